// IRCTestSupport: an IRC client for the end-to-end tests (CR LF lines, registration, bounded waits
// that can skip unrelated lines), a parsed server line to compare semantically, and a server
// started with its IRC front end on a Unix socket or a free TCP port. Built on TestHarness's
// TestClient; nothing here uses the server's own IRC code, so the tests check the wire, not a copy
// of the parser.
import Glibc
import TestHarness
import Testing

// MARK: - One server line

/// A line from the server, split the way RFC 1459 and IRCv3 message-tags split it.
///
/// Two lines are the same message (``sameMessage(as:)``) when source, command (ignoring case) and
/// parameters are equal: `PRIVMSG #c hi` and `PRIVMSG #c :hi` are one message, tags are not compared.
struct IRCLine: CustomStringConvertible, Sendable {
    /// The line as received, without CR LF.
    let raw: String
    /// `@a=b;c` as `["a": "b", "c": ""]` (values not unescaped: the tests only read `time`).
    let tags: [String: String]
    /// The source without its `:`, if any.
    let source: String?
    /// The command, upper-cased (numerics stay digits).
    let command: String
    /// Every parameter, the trailing one without its `:`.
    let params: [String]

    init(_ raw: String) {
        self.raw = raw
        var rest = Substring(raw)
        var tags: [String: String] = [:]
        if rest.hasPrefix("@") {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            for tag in rest[rest.index(after: rest.startIndex)..<end].split(separator: ";") {
                if let equals = tag.firstIndex(of: "=") {
                    tags[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
                } else {
                    tags[String(tag)] = ""
                }
            }
            rest = rest[end...].drop { $0 == " " }
        }
        self.tags = tags
        if rest.hasPrefix(":") {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            self.source = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[end...].drop { $0 == " " }
        } else {
            self.source = nil
        }
        let commandEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        self.command = rest[..<commandEnd].uppercased()
        rest = rest[commandEnd...]
        var params: [String] = []
        while true {
            rest = rest.drop { $0 == " " }
            if rest.isEmpty { break }
            if rest.hasPrefix(":") {
                params.append(String(rest.dropFirst()))
                break
            }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            params.append(String(rest[..<end]))
            rest = rest[end...]
        }
        self.params = params
    }

    var description: String { raw }

    /// The numeric's code, if the command is three digits.
    var code: Int? { command.count == 3 && command.allSatisfy(\.isNumber) ? Int(command) : nil }

    /// The nick part of the source (`alice` of `alice!~alice@localhost`).
    var sourceNick: String? { source.map { String($0.prefix { $0 != "!" }) } }

    /// The last parameter, or "".
    var text: String { params.last ?? "" }

    /// Same source, command and parameters (tags ignored).
    func sameMessage(as other: IRCLine) -> Bool {
        source == other.source && command == other.command && params == other.params
    }

    /// Whether this is numeric `code` and its parameters start with `params` (the first is the target).
    func isNumeric(_ code: Int, _ params: [String] = []) -> Bool {
        self.code == code && self.params.starts(with: params)
    }
}

/// The words of a 353 (or 319) line's last parameter without their `@`/`+` prefixes.
func namesIn(_ line: IRCLine) -> [String] {
    line.text.split(separator: " ").map { String($0.drop { "@+".contains($0) }) }
}

/// The CTCP ACTION text `\u{1}ACTION text\u{1}`, as a PRIVMSG's trailing parameter carries it.
func ctcpAction(_ text: String) -> String { "\u{1}ACTION \(text)\u{1}" }

/// How a client of another front end (the line protocol) appears in IRC sources.
func lineSource(_ nick: String) -> String { "\(nick)!line@line" }

// MARK: - The IRC client

/// How an ``IRCClient``'s lines travel: CR LF lines on a byte stream, or one WebSocket message each.
protocol IRCTransport: AnyObject {
    /// Sends each line (without its CR LF) in one write.
    func send(lines: [[UInt8]]) throws
    /// Sends bytes as they are: on a stream, raw; over WebSocket, as one message.
    func sendRaw(_ bytes: [UInt8]) throws
    /// The next line, ending in CR if the wire had one (a WebSocket message counts as CR LF framed).
    func readLine(until deadline: Deadline) -> TestClient.LineRead
    var isOpen: Bool { get }
    func close()
    func resetAbruptly()
}

/// IRC on a TCP or Unix stream socket.
final class StreamTransport: IRCTransport {
    let client: TestClient
    init(_ client: TestClient) { self.client = client }
    func send(lines: [[UInt8]]) throws { try client.send(lines.flatMap { $0 + [13, 10] }) }
    func sendRaw(_ bytes: [UInt8]) throws { try client.send(bytes) }
    func readLine(until deadline: Deadline) -> TestClient.LineRead { client.readLine(until: deadline) }
    var isOpen: Bool { client.isOpen }
    func close() { client.close() }
    func resetAbruptly() { client.resetAbruptly() }
}

/// One blocking IRC client on a ``TestClient``: sends CR LF lines, reads with a deadline on every
/// wait. Not thread-safe: one thread uses a client at a time.
final class IRCClient: @unchecked Sendable {
    private let socket: any IRCTransport
    /// The nick the server confirmed (learnt from 001 whenever one is read, and kept by ``rename(to:sourceLocation:)``);
    /// `*` before registration.
    var nick = "*"
    /// `~user@host` as 001 reported it, so ``source`` follows renames.
    private(set) var userHost = ""
    /// Whether a read saw the server close the connection.
    private(set) var sawEOF = false
    /// Every line that arrived with a bare LF instead of CR LF.
    private(set) var linesWithoutCR: [String] = []
    /// Every line read so far, in order, for failure messages and for ``linesWithoutCR``.
    private(set) var received: [IRCLine] = []
    private var syncs = 0

    init(transport: any IRCTransport) { self.socket = transport }

    /// Opens a blocking stream socket to `endpoint`.
    static func connect(_ endpoint: Endpoint) throws -> IRCClient {
        IRCClient(transport: StreamTransport(try TestClient(connectingTo: endpoint)))
    }

    /// `nick!~user@host`, how the server names this client in sources.
    var source: String { "\(nick)!\(userHost)" }

    // MARK: Writing

    /// Sends `line` and CR LF.
    func send(_ line: String) throws { try socket.send(lines: [Array(line.utf8)]) }

    /// Sends several lines in one write, each ending in CR LF.
    func send(lines: [String]) throws { try socket.send(lines: lines.map { Array($0.utf8) }) }

    /// Sends bytes as they are (over WebSocket: as one message).
    func sendRaw(_ bytes: [UInt8]) throws { try socket.sendRaw(bytes) }

    // MARK: Reading

    private enum Next {
        case line(IRCLine), timeout, closed
    }

    private func next(until deadline: Deadline) -> Next {
        switch socket.readLine(until: deadline) {
        case .line(var bytes):
            let text: String
            if bytes.last == 13 {
                bytes.removeLast()
                text = String(decoding: bytes, as: UTF8.self)
            } else {
                text = String(decoding: bytes, as: UTF8.self)
                linesWithoutCR.append(text)
            }
            let line = IRCLine(text)
            received.append(line)
            if line.code == 1 { learnIdentity(from: line) }
            return .line(line)
        case .stopped(.timeout):
            return .timeout
        case .stopped:
            // EOF or reset: close our end too, as IRC clients do, so the server need not linger.
            if socket.isOpen {
                sawEOF = true
                socket.close()
            }
            return .closed
        }
    }

    /// The next line, or nil if none arrives within `timeout` or the connection closes first.
    func readLine(timeout: Duration = lineTimeout) -> IRCLine? {
        guard case .line(let line) = next(until: Deadline(timeout)) else { return nil }
        return line
    }

    /// Every line already here or arriving within `timeout`.
    func availableLines(within timeout: Duration = .zero) -> [IRCLine] {
        let deadline = Deadline(timeout)
        var lines: [IRCLine] = []
        while case .line(let line) = next(until: deadline) { lines.append(line) }
        return lines
    }

    /// Requires the very next line to be the same message as `expected` (tags ignored).
    @discardableResult
    func expect(
        _ expected: String, timeout: Duration = lineTimeout, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCLine {
        let want = IRCLine(expected)
        let line = readLine(timeout: timeout)
        try #require(
            line?.sameMessage(as: want) == true,
            "\(nick): expected \"\(expected)\", got \(describe(line))", sourceLocation: sourceLocation)
        return line!
    }

    /// Skips lines until one satisfies `predicate` (`what` names it in failures); returns it.
    @discardableResult
    func expectLine(
        matching predicate: (IRCLine) -> Bool, _ what: String, timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCLine {
        let deadline = Deadline(timeout)
        var skipped: [String] = []
        while true {
            switch next(until: deadline) {
            case .line(let line):
                if predicate(line) { return line }
                skipped.append(line.raw)
            case .timeout, .closed:
                try #require(
                    Bool(false),
                    "\(nick): no \(what) within \(timeout)\(sawEOF ? " (connection closed)" : ""); skipped \(skipped)",
                    sourceLocation: sourceLocation)
                preconditionFailure("unreachable")
            }
        }
    }

    /// Skips lines until the same message as `expected` arrives.
    @discardableResult
    func expectEventually(
        _ expected: String, timeout: Duration = lineTimeout, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCLine {
        let want = IRCLine(expected)
        return try expectLine(
            matching: { $0.sameMessage(as: want) }, "\"\(expected)\"", timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Skips lines until numeric `code` whose parameters start with `params` (the target first).
    @discardableResult
    func expect(
        numeric code: Int, _ params: [String] = [], timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCLine {
        try expectLine(
            matching: { $0.isNumeric(code, params) },
            "numeric \(threeDigits(code))" + (params.isEmpty ? "" : " \(params)"), timeout: timeout,
            sourceLocation: sourceLocation)
    }

    /// Reads lines up to and including the first satisfying `last`; returns them all.
    func collect(
        through last: (IRCLine) -> Bool, _ what: String, timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [IRCLine] {
        let deadline = Deadline(timeout)
        var lines: [IRCLine] = []
        while true {
            switch next(until: deadline) {
            case .line(let line):
                lines.append(line)
                if last(line) { return lines }
            case .timeout, .closed:
                try #require(
                    Bool(false), "\(nick): no \(what) within \(timeout); got \(lines.map(\.raw))",
                    sourceLocation: sourceLocation)
                preconditionFailure("unreachable")
            }
        }
    }

    /// Sends `PING :sync-N` and reads up to its `PONG`; returns the lines before it. The server
    /// answers a client's lines in order, so afterwards everything queued earlier has been read.
    @discardableResult
    func sync(timeout: Duration = lineTimeout, sourceLocation: SourceLocation = #_sourceLocation) throws -> [IRCLine] {
        syncs += 1
        let token = "sync-\(syncs)"
        try send("PING :\(token)")
        var lines = try collect(
            through: { $0.command == "PONG" && $0.params.last == token }, "PONG \(token)", timeout: timeout,
            sourceLocation: sourceLocation)
        lines.removeLast()
        return lines
    }

    /// Requires that nothing but the PONG of a ``sync(timeout:sourceLocation:)`` is queued.
    func expectNothingQueued(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = try sync(sourceLocation: sourceLocation)
        #expect(lines.isEmpty, "\(nick) expected no lines, got \(lines.map(\.raw))", sourceLocation: sourceLocation)
    }

    /// Reads until the server closes the connection; returns the lines read before that.
    @discardableResult
    func waitForClose(timeout: Duration = lineTimeout, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [IRCLine]
    {
        let deadline = Deadline(timeout)
        var lines: [IRCLine] = []
        while true {
            switch next(until: deadline) {
            case .line(let line): lines.append(line)
            case .closed: return lines
            case .timeout:
                try #require(
                    Bool(false), "\(nick): still open after \(timeout); got \(lines.map(\.raw))",
                    sourceLocation: sourceLocation)
                return lines
            }
        }
    }

    // MARK: Commands

    /// Registers: `CAP LS 302` and `CAP REQ` when `capabilities` are asked for (requiring their ACK),
    /// `PASS` if given, `NICK`, `USER` (user name `user`, default the nick), `CAP END`; then reads
    /// through the end of the MOTD (376 or 422). Requires 001 as the first numeric and learns the
    /// client's `~user@host` from it. Returns every line of the welcome burst.
    @discardableResult
    func register(
        nick: String, user: String? = nil, realName: String = "Test User", password: String? = nil,
        capabilities: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [IRCLine] {
        if !capabilities.isEmpty {
            try send("CAP LS 302")
            try expectLine(
                matching: { $0.command == "CAP" && $0.params.dropFirst().first == "LS" }, "CAP LS reply",
                sourceLocation: sourceLocation)
            try send("CAP REQ :\(capabilities.joined(separator: " "))")
            let reply = try expectLine(
                matching: { $0.command == "CAP" && ["ACK", "NAK"].contains($0.params.dropFirst().first ?? "") },
                "CAP ACK", sourceLocation: sourceLocation)
            try #require(reply.params.dropFirst().first == "ACK", "CAP REQ refused: \(reply)", sourceLocation: sourceLocation)
        }
        var lines: [String] = []
        if let password { lines.append("PASS \(password)") }
        lines += ["NICK \(nick)", "USER \(user ?? nick) 0 * :\(realName)"]
        if !capabilities.isEmpty { lines.append("CAP END") }
        try send(lines: lines)
        let burst = try collect(
            through: { $0.code == 376 || $0.code == 422 || $0.command == "ERROR" }, "end of MOTD (376 or 422)",
            sourceLocation: sourceLocation)
        let numerics = burst.filter { $0.code != nil }
        try #require(
            numerics.first?.code == 1, "\(nick): registration did not start with 001: \(burst.map(\.raw))",
            sourceLocation: sourceLocation)
        #expect(!userHost.isEmpty, "001 does not end with the client's nick!user@host: \(numerics[0])", sourceLocation: sourceLocation)
        return burst
    }

    /// 001 names the client: its nick is the target, and its text ends with `nick!user@host`.
    private func learnIdentity(from welcome: IRCLine) {
        nick = welcome.params.first ?? nick
        let mask = welcome.text.split(separator: " ").last.map(String.init) ?? ""
        if let bang = mask.firstIndex(of: "!"), mask[..<bang] == nick {
            userHost = String(mask[mask.index(after: bang)...])
        }
    }

    /// Joins `channels` in one `JOIN` and reads, for each, its own `JOIN` through `366`.
    /// Returns the lines per channel.
    @discardableResult
    func join(_ channels: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> [[IRCLine]] {
        try send("JOIN \(channels.joined(separator: ","))")
        var result: [[IRCLine]] = []
        for channel in channels {
            let lines = try collect(
                through: { $0.isNumeric(366, [self.nick]) && $0.params.dropFirst().first?.lowercased() == channel.lowercased() },
                "366 for \(channel)", sourceLocation: sourceLocation)
            try #require(
                lines.first?.sameMessage(as: IRCLine(":\(source) JOIN \(channel)")) == true,
                "\(nick): JOIN \(channel) did not start with its own JOIN: \(lines.map(\.raw))",
                sourceLocation: sourceLocation)
            result.append(lines)
        }
        return result
    }

    /// Sends `NICK new` and requires the server's confirmation `:old!… NICK new`; keeps ``nick``.
    func rename(to new: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let old = source
        try send("NICK \(new)")
        try expectEventually(":\(old) NICK \(new)", sourceLocation: sourceLocation)
        nick = new
    }

    // MARK: Closing

    /// Closes the socket normally (FIN). Idempotent.
    func close() { socket.close() }

    /// Closes with SO_LINGER 0, so the server sees a reset.
    func resetAbruptly() { socket.resetAbruptly() }
}

/// `1` as `001`, as numerics are written.
func threeDigits(_ code: Int) -> String {
    let digits = String(code)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}

private func describe(_ line: IRCLine?) -> String {
    line.map { "\"\($0.raw)\"" } ?? "nothing (timeout or closed)"
}

// MARK: - The server, with IRC

/// A `switchboard` with its IRC front end on a Unix socket (the default: no port to race for) or on
/// a free TCP port (for real clients, which only speak TCP). Stops, and removes the socket, on deinit;
/// tests also `defer { server.stop() }`, which keeps it (and its clients) alive to the end of the test.
final class IRCTestServer: @unchecked Sendable {
    /// The `--server-name` default: the source of every numeric.
    static let defaultName = "switchboard.local"

    let process: ServerProcess
    /// Where IRC clients connect.
    let endpoint: Endpoint
    private let socketPath: String?
    /// Every client connected through this server, kept open until ``stop()``: a client a test no
    /// longer mentions must not close (and quit) early.
    private var ircClients: [IRCClient] = []
    private var lineClients: [Client] = []

    /// The port of `--http-port` (the page, /ws, /metrics), when started `web`.
    let httpPort: Int?

    private init(process: ServerProcess, endpoint: Endpoint, socketPath: String?, httpPort: Int? = nil) {
        self.httpPort = httpPort
        self.process = process
        self.endpoint = endpoint
        self.socketPath = socketPath
    }

    deinit { stop() }

    /// Starts the server with IRC on `--irc-unix <temporary path>`, or with `overTCP` on
    /// `--irc-port <a free port>` (found by binding port 0; retried if another process takes it
    /// first). `arguments` come after, so they can add flags such as `--motd`.
    static func start(_ arguments: [String] = [], overTCP: Bool = false, web: Bool = false) throws -> IRCTestServer {
        var attempt = 0
        while true {
            attempt += 1
            // Free ports are found by binding port 0 and closing: another process may take one
            // before the server binds it, so a start that fails is retried with fresh ones.
            let httpPort = web ? try freeTCPPort() : nil
            let http = httpPort.map { ["--http-port", String($0)] } ?? []
            do {
                guard overTCP else {
                    let path = temporaryPath("irc")
                    let process = try ServerProcess.start(["--irc-unix", path] + http + arguments)
                    return IRCTestServer(process: process, endpoint: .unix(path), socketPath: path, httpPort: httpPort)
                }
                let port = try freeTCPPort()
                let process = try ServerProcess.start(["--irc-port", String(port)] + http + arguments)
                return IRCTestServer(process: process, endpoint: .ipv4(port), socketPath: nil, httpPort: httpPort)
            } catch where attempt < 3 {
                continue
            }
        }
    }

    /// The TCP port of the IRC listener, when started `overTCP`.
    var ircPort: Int? {
        if case .ipv4(let port) = endpoint { return port }
        return nil
    }

    /// An unregistered IRC connection.
    func connect() throws -> IRCClient {
        let client = try IRCClient.connect(endpoint)
        ircClients.append(client)
        return client
    }

    /// An unregistered IRC connection over WebSocket at `/ws` (the server must be started `web`),
    /// offering `subprotocols` in that order.
    func connectWeb(subprotocols: [String] = ["text.ircv3.net"]) throws -> IRCClient {
        let transport = try WebSocketTransport(port: try #require(httpPort, "started without web: true"),
            subprotocols: subprotocols)
        let client = IRCClient(transport: transport)
        ircClients.append(client)
        return client
    }

    /// A WebSocket IRC connection registered as `nick`.
    func registerWeb(
        _ nick: String, capabilities: [String] = [], subprotocols: [String] = ["text.ircv3.net"],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCClient {
        let client = try connectWeb(subprotocols: subprotocols)
        try client.register(nick: nick, capabilities: capabilities, sourceLocation: sourceLocation)
        return client
    }

    /// A connection registered as `nick` (see ``IRCClient/register(nick:user:realName:password:capabilities:sourceLocation:)``).
    func register(
        _ nick: String, capabilities: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> IRCClient {
        let client = try connect()
        try client.register(nick: nick, capabilities: capabilities, sourceLocation: sourceLocation)
        return client
    }

    /// A line-protocol client, welcomed into the lobby.
    func connectLine(sourceLocation: SourceLocation = #_sourceLocation) throws -> Client {
        let client = try process.connect(sourceLocation: sourceLocation)
        lineClients.append(client)
        return client
    }

    /// Stops the server and removes its IRC socket. Idempotent.
    func stop() {
        for client in ircClients { client.close() }
        for client in lineClients { client.close() }
        ircClients = []
        lineClients = []
        process.stop()
        if let socketPath { unlink(socketPath) }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, read back, closed.
func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw HarnessError.system("socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw HarnessError.system("bind 127.0.0.1:0") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw HarnessError.system("getsockname") }
    return Int(UInt16(bigEndian: address.sin_port))
}
