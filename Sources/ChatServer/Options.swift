// Options: the switchboard command line, parsed into a value with one clear error per mistake.
import Glibc

/// Everything the command line sets.
struct Options {
    static let version = "switchboard 0.1.0"

    var host = "127.0.0.1"
    var port = 9999
    var unixPath: String?
    /// 0 disables the IRC listener.
    var ircPort = 6667
    var ircUnixPath: String?
    /// 0 disables the HTTP listener (the chat page, /ws, /metrics, /healthz).
    var httpPort = 8080
    /// Origins besides the server's own host whose pages may open /ws; "*" for any.
    var allowedOrigins: [String] = []
    var ircPassword: String?
    /// The lines of --motd FILE, read when the flags are parsed.
    var motd: [String]?
    var serverName = "switchboard.local"
    /// nil: derived from the open-files limit at start-up.
    var maxConnections: Int?
    var maxLine = 4096
    /// The soft output limit per client (slow consumers: see ``slowConsumerGraceMilliseconds``).
    var maxOutbuf = 1 << 20
    /// How long a client's queue may stay above ``maxOutbuf`` before it is dropped.
    var slowConsumerGraceMilliseconds = 10_000
    /// The hard output limit per client as given; nil: ``defaultMaxOutbufHard`` or ``maxOutbuf``.
    var maxOutbufHard: Int?
    /// All clients' queued output together, kept by backpressure; 0 = no budget.
    var maxTotalOutbuf = 256 << 20
    var idleTimeout = 0
    var rate = 0
    var presenceLimit = 1000
    var logLevel = LogLevel.info
    var printPort = false
    /// Redis for the cluster bus (--redis HOST:PORT or --redis-unix PATH); nil: a node alone.
    var redisHost: String?
    var redisPort = 6379
    var redisUnixPath: String?
    /// This node's name in the cluster; nil: `<hostname>-<port>`.
    var nodeID: String?
    var reusePort = false
    var keepAlive = true

    static let defaultMaxOutbufHard = 16 << 20
    /// The hard limit in force: the flag, or the default raised to the soft limit if that is higher.
    var hardOutbuf: Int { maxOutbufHard ?? max(Self.defaultMaxOutbufHard, maxOutbuf) }

    static let usage = """
        Usage: switchboard [options]

        A chat server. Connect with `nc 127.0.0.1 9999` and type (/help lists commands), or point an
        IRC client at 127.0.0.1 port 6667: both see the same rooms (#lobby is the room lobby).

        Options:
          --host H              address to listen on (default 127.0.0.1; ::1 or 0.0.0.0 to widen)
          --port P              TCP port, 0 picks a free one (default 9999)
          --unix PATH           also listen on a Unix-domain socket at PATH
          --irc-port P          IRC port on the same --host, 0 = no IRC over TCP (default 6667)
          --irc-unix PATH       also serve IRC on a Unix-domain socket at PATH
          --http-port P         HTTP port on the same --host: the chat page at /, IRC over
                                WebSocket at /ws, /metrics and /healthz; 0 = none (default 8080)
          --allowed-origin O    a page from origin O (e.g. https://chat.example.org) may open /ws;
                                repeat for more, * for any (default: only pages from this server)
          --irc-password PW     IRC clients must send PASS PW to register
          --motd FILE           IRC message of the day, one line per line of FILE (default: none, 422)
          --server-name NAME    the IRC server name (default switchboard.local)
          --max-connections N   clients at most; more get ERR server-full (default: open-files limit - 64)
          --max-line BYTES      longest line accepted, newline excluded (default 4096)
          --max-outbuf BYTES    output that may pile up for a client that reads slowly; a client with
                                more than this waiting for the whole grace period is dropped as a slow
                                consumer (ERR slow-consumer), one that catches up in time is kept
                                (default 1048576)
          --slow-consumer-grace S
                                seconds a client may stay above --max-outbuf before it is dropped;
                                fractions such as 0.5 work (default 10)
          --max-outbuf-hard BYTES
                                a client with more than this waiting is dropped at once, grace period
                                or not; at least --max-outbuf (default 16777216, or --max-outbuf if
                                that is larger)
          --max-total-outbuf BYTES
                                output that may wait for all clients together; past it the server
                                stops reading from the clients causing the most output until it has
                                drained, so they are slowed down, never dropped; 0 = no limit
                                (default 268435456)
          --idle-timeout S      close clients silent for S seconds, 0 = never (default 0)
          --rate N              lines per second per client, with a burst of N; a faster client is
                                slowed by not reading from it, never by dropping lines; 0 = unlimited (default 0)
          --presence-limit N    no JOIN/PART/NICK announcements in rooms above N members (default 1000)
          --no-keepalive        do not enable TCP keepalive on client sockets
          --redis HOST:PORT     join a cluster: nodes sharing this Redis share rooms, nicks and
                                presence (docs/CLUSTER.md); default: this node alone
          --redis-unix PATH     the same, with Redis on a Unix-domain socket
          --node-id ID          this node's unique name in the cluster (letters, digits, . _ -;
                                default <hostname>-<port>); refused while a live node holds it
          --reuse-port          SO_REUSEPORT on every listener, so several nodes on one host can
                                share the ports
          --log-level L         error, warn, info or debug (default info)
          --print-port          print the bound TCP port on stdout once listening
          --help                show this help
          --version             show the version
        """

    enum Parsed {
        case success(Int)
        case failure(String)
    }

    enum Outcome {
        case run(Options)
        case exit(message: String, status: Int32)
    }

    /// Parses `arguments` (without the program name). Accepts `--flag value` and `--flag=value`.
    static func parse(_ arguments: [String]) -> Outcome {
        var options = Options()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            var flag = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() -> String? {
                if let inlineValue { return inlineValue }
                return rest.popFirst()
            }
            func number(_ range: ClosedRange<Int>) -> Parsed {
                guard let text = value() else { return .failure("\(flag) needs a value") }
                guard let n = Int(text), range.contains(n) else {
                    return .failure("\(flag): '\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
                }
                return .success(n)
            }
            var failure: String?
            func set(_ result: Parsed, _ apply: (Int) -> Void) {
                switch result {
                case .success(let n): apply(n)
                case .failure(let message): failure = message
                }
            }
            switch flag {
            case "--help", "-h":
                return .exit(message: usage, status: 0)
            case "--version":
                return .exit(message: version, status: 0)
            case "--host":
                guard let host = value(), !host.isEmpty else { return .exit(message: "--host needs a value", status: 2) }
                options.host = host
            case "--port":
                set(number(0...65535)) { options.port = $0 }
            case "--unix":
                guard let path = value(), !path.isEmpty else { return .exit(message: "--unix needs a path", status: 2) }
                options.unixPath = path
            case "--irc-port":
                set(number(0...65535)) { options.ircPort = $0 }
            case "--irc-unix":
                guard let path = value(), !path.isEmpty else { return .exit(message: "--irc-unix needs a path", status: 2) }
                options.ircUnixPath = path
            case "--http-port":
                set(number(0...65535)) { options.httpPort = $0 }
            case "--allowed-origin":
                guard let origin = value(), Self.isOrigin(origin) else {
                    return .exit(
                        message: "--allowed-origin needs an origin such as https://chat.example.org "
                            + "(scheme, host and optional port, no path) or *", status: 2)
                }
                options.allowedOrigins.append(origin.lowercased())
            case "--irc-password":
                guard let password = value(), !password.isEmpty, !password.contains(" ") else {
                    return .exit(message: "--irc-password needs a value without spaces", status: 2)
                }
                options.ircPassword = password
            case "--motd":
                guard let path = value(), !path.isEmpty else { return .exit(message: "--motd needs a file", status: 2) }
                guard let text = readTextFile(path, limit: 64 << 10) else {
                    return .exit(message: "--motd: cannot read '\(path)' (or it is over 64 KiB)", status: 2)
                }
                options.motd = text.split(separator: "\n", omittingEmptySubsequences: false).map {
                    String($0.hasSuffix("\r") ? $0.dropLast() : $0)
                }
                if options.motd?.last == "" { options.motd?.removeLast() }
            case "--server-name":
                guard let name = value(), !name.isEmpty, name.contains("."),
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
                else {
                    return .exit(message: "--server-name needs a host-like name with a dot, e.g. irc.example.org", status: 2)
                }
                options.serverName = name
            case "--max-connections":
                set(number(1...10_000_000)) { options.maxConnections = $0 }
            case "--max-line":
                set(number(1...(64 << 20))) { options.maxLine = $0 }
            case "--max-outbuf":
                set(number(1024...(1 << 40))) { options.maxOutbuf = $0 }
            case "--slow-consumer-grace":
                guard let text = value() else { return .exit(message: "--slow-consumer-grace needs a value", status: 2) }
                guard let seconds = Double(text), seconds.isFinite, (0...86_400).contains(seconds) else {
                    return .exit(
                        message: "--slow-consumer-grace: '\(text)' is not a number of seconds in 0...86400", status: 2)
                }
                options.slowConsumerGraceMilliseconds = Int((seconds * 1000).rounded())
            case "--max-outbuf-hard":
                set(number(1024...(1 << 40))) { options.maxOutbufHard = $0 }
            case "--max-total-outbuf":
                set(number(0...(1 << 44))) { options.maxTotalOutbuf = $0 }
            case "--idle-timeout":
                set(number(0...(365 * 86400))) { options.idleTimeout = $0 }
            case "--rate":
                set(number(0...1_000_000_000)) { options.rate = $0 }
            case "--presence-limit":
                set(number(0...Int(Int32.max))) { options.presenceLimit = $0 }
            case "--log-level":
                guard let text = value() else { return .exit(message: "--log-level needs a value", status: 2) }
                guard let level = LogLevel(name: text) else {
                    return .exit(message: "--log-level: '\(text)' is not one of error, warn, info, debug", status: 2)
                }
                options.logLevel = level
            case "--redis":
                guard let text = value(), let colon = text.lastIndex(of: ":"),
                    let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port),
                    colon != text.startIndex
                else { return .exit(message: "--redis needs HOST:PORT, e.g. 127.0.0.1:6379", status: 2) }
                options.redisHost = String(text[..<colon])
                options.redisPort = port
            case "--redis-unix":
                guard let path = value(), !path.isEmpty else { return .exit(message: "--redis-unix needs a path", status: 2) }
                options.redisUnixPath = path
            case "--node-id":
                guard let id = value(), (1...64).contains(id.utf8.count),
                    id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D })
                else { return .exit(message: "--node-id needs 1-64 letters, digits, '.', '_' or '-'", status: 2) }
                options.nodeID = id
            case "--reuse-port":
                options.reusePort = true
            case "--print-port":
                options.printPort = true
            case "--no-keepalive":
                options.keepAlive = false
            default:
                return .exit(message: "unknown option '\(argument)' (see --help)", status: 2)
            }
            if let failure { return .exit(message: failure, status: 2) }
        }
        if let hard = options.maxOutbufHard, hard < options.maxOutbuf {
            return .exit(
                message: "--max-outbuf-hard: \(hard) is below --max-outbuf (\(options.maxOutbuf)); "
                    + "the hard limit must be at least the soft one", status: 2)
        }
        return .run(options)
    }
}

extension Options {
    /// `*`, or what a browser sends as `Origin`: `http://` or `https://`, a host, maybe a port.
    static func isOrigin(_ text: String) -> Bool {
        if text == "*" { return true }
        let lower = text.lowercased()
        guard let rest = ["http://", "https://"].first(where: lower.hasPrefix).map({ lower.dropFirst($0.count) }),
            !rest.isEmpty
        else { return false }
        return rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }
    }
}

/// The contents of a small text file, or nil if it cannot be read or exceeds `limit` bytes.
func readTextFile(_ path: String, limit: Int) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { return nil }
        if n == 0 { break }
        bytes += chunk[..<n]
        if bytes.count > limit { return nil }
    }
    return String(decoding: bytes, as: UTF8.self)
}
