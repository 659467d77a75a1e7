// Options: chatload's command line, parsed by hand (no dependencies) into one config struct,
// the way redis-benchmark fills its `config`. Bad input is an `OptionsError` whose message main
// prints on one line before exiting with status 2.

/// The workload shapes chatload can run.
enum Workload: String, CaseIterable, Sendable {
    case fanout, rooms, idle, echo
}

/// A usage error: one line for stderr.
struct OptionsError: Error, Equatable {
    let message: String
}

/// Everything a run needs to know, with each workload's defaults filled in.
struct Options: Sendable {
    var workload = Workload.fanout
    var host = "127.0.0.1"
    var port: Int?
    var unixPath: String?
    var protocolName = "line"
    /// IRC: `OPER name password` sent by senders before they join (`--irc-oper NAME:PASSWORD`).
    var ircOper: (name: String, password: String)?
    /// IRC: user modes senders set on themselves after `OPER` (`--irc-sender-mode +F`).
    var ircSenderModes: String?
    var allowRemote = false
    /// The processes whose CPU and memory are the server's: one server, or every node of a
    /// cluster and its Redis (`--server-pid A,B,C`), summed.
    var serverPIDs: [Int32] = []
    /// `--targets`: several servers (cluster nodes) the connections are spread over, round-robin
    /// by connection number; empty: `--host` and `--port` only.
    var targets: [(host: String, port: Int)] = []

    var connections: Int?
    var receivers = 1000
    var senders = 1
    var window = 64
    var rate: Double?
    var roomsSize = 10
    var pipeline = 16
    var payload: Int?
    var room = "bench"

    var duration = 10.0
    var warmup: Double?
    var drain = 5.0
    var hold = 2.0
    var setupTimeout = 60.0
    var connectConcurrency = 256

    var jsonOnly = false
    var progress = true
    var tag: String?

    /// Connections the run opens, after defaults: fanout N + S, otherwise C.
    var totalConnections: Int {
        switch self.workload {
        case .fanout: return self.receivers + self.senders
        case .rooms, .idle: return self.connections ?? 10_000
        case .echo: return self.connections ?? 50
        }
    }

    /// Per-sender message rate after defaults (nil: fan-out's closed-loop window).
    var effectiveRate: Double? {
        switch self.workload {
        case .fanout: return self.rate
        case .rooms: return self.rate ?? 2
        case .idle, .echo: return nil
        }
    }

    /// Payload bytes after defaults (echo pings carry the bare stamp unless asked otherwise).
    var effectivePayload: Int {
        self.payload ?? (self.workload == .echo ? 0 : 64)
    }

    /// Warm-up seconds after defaults (idle measures setup itself and has none).
    var effectiveWarmup: Double {
        self.warmup ?? (self.workload == .idle ? 0 : 2)
    }

    /// The hard deadline: the longest a correct run can take, plus a margin.
    var hardDeadlineSeconds: Double {
        self.setupTimeout + self.effectiveWarmup + self.duration + self.drain + self.hold + 10
    }

    /// Parses `arguments` (without the program name).
    ///
    /// - Returns: the options, or nil when `--help` was asked for.
    /// - Throws: `OptionsError` for an unknown flag, a missing or malformed value, or a value
    ///   out of range.
    static func parse(_ arguments: [String]) throws(OptionsError) -> Options? {
        var options = Options()
        var rest = arguments[...]
        var sawWorkload = false
        while let argument = rest.popFirst() {
            var flag = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() throws(OptionsError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = rest.popFirst() else { throw OptionsError(message: "\(flag) needs a value") }
                return next
            }
            func int(_ range: ClosedRange<Int>) throws(OptionsError) -> Int {
                let text = try value()
                guard let number = Int(text), range.contains(number) else {
                    throw OptionsError(
                        message: "\(flag) wants an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
                }
                return number
            }
            func seconds(allowZero: Bool = true) throws(OptionsError) -> Double {
                let text = try value()
                guard let number = Double(text), number.isFinite, number >= 0, number <= 86_400,
                    allowZero || number > 0
                else {
                    throw OptionsError(
                        message: "\(flag) wants seconds (a number \(allowZero ? ">=" : ">") 0), got '\(text)'")
                }
                return number
            }
            switch flag {
            case "-h", "--help":
                return nil
            case "--workload":
                options.workload = try Self.workload(try value())
                sawWorkload = true
            case "--host": options.host = try value()
            case "--port": options.port = try int(1...65_535)
            case "--unix": options.unixPath = try value()
            case "--protocol":
                let name = try value()
                guard ProtocolAdapters.named(name) != nil else {
                    throw OptionsError(
                        message: "unknown protocol '\(name)' (known: \(ProtocolAdapters.names.joined(separator: ", ")))"
                    )
                }
                options.protocolName = name
            case "--irc-oper":
                let text = try value()
                let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                    text.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
                else { throw OptionsError(message: "--irc-oper wants NAME:PASSWORD (printable, no spaces), got '\(text)'") }
                options.ircOper = (String(parts[0]), String(parts[1]))
            case "--irc-sender-mode":
                let modes = try value()
                guard modes.utf8.count >= 2, modes.first == "+" || modes.first == "-",
                    modes.utf8.dropFirst().allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A })
                else { throw OptionsError(message: "--irc-sender-mode wants +LETTERS (user modes), got '\(modes)'") }
                options.ircSenderModes = modes
            case "--allow-remote": options.allowRemote = true
            case "--server-pid":
                let text = try value()
                let pids = text.split(separator: ",").map { Int32($0) }
                guard !pids.isEmpty, pids.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw OptionsError(message: "--server-pid wants PID or PID,PID,..., got '\(text)'")
                }
                options.serverPIDs = pids.map { $0! }
            case "--targets":
                let text = try value()
                var targets: [(host: String, port: Int)] = []
                for item in text.split(separator: ",") {
                    guard let colon = item.lastIndex(of: ":"), let port = Int(item[item.index(after: colon)...]),
                        (1...65_535).contains(port), colon != item.startIndex
                    else { throw OptionsError(message: "--targets wants HOST:PORT,HOST:PORT,..., got '\(text)'") }
                    targets.append((String(item[..<colon]), port))
                }
                guard !targets.isEmpty else { throw OptionsError(message: "--targets needs at least one HOST:PORT") }
                options.targets = targets
                options.host = targets[0].host
                options.port = targets[0].port
            case "-c", "--connections": options.connections = try int(1...1_000_000)
            case "--receivers": options.receivers = try int(1...1_000_000)
            case "--senders": options.senders = try int(1...100_000)
            case "--window": options.window = try int(1...1_000_000)
            case "--rate":
                let text = try value()
                guard let rate = Double(text), rate.isFinite, rate > 0, rate <= 10_000_000 else {
                    throw OptionsError(message: "--rate wants messages per second per sender (> 0), got '\(text)'")
                }
                options.rate = rate
            case "--rooms-size": options.roomsSize = try int(1...100_000)
            case "--pipeline": options.pipeline = try int(1...100_000)
            case "--payload": options.payload = try int(0...60_000)
            case "--room":
                let room = try value()
                let allowed = { (byte: UInt8) in
                    (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                }
                guard (1...24).contains(room.utf8.count), room.utf8.allSatisfy(allowed) else {
                    throw OptionsError(message: "--room wants 1-24 of [A-Za-z0-9_-] (a chat room name), got '\(room)'")
                }
                options.room = room
            case "--duration": options.duration = try seconds(allowZero: false)
            case "--warmup": options.warmup = try seconds()
            case "--drain": options.drain = try seconds()
            case "--hold": options.hold = try seconds()
            case "--setup-timeout": options.setupTimeout = try seconds(allowZero: false)
            case "--connect-concurrency": options.connectConcurrency = try int(1...100_000)
            case "--json-only": options.jsonOnly = true
            case "--no-progress": options.progress = false
            case "--tag":
                let tag = try value()
                guard
                    tag.utf8.allSatisfy({ $0 >= 32 && $0 < 127 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
                    )
                else { throw OptionsError(message: "--tag wants printable ASCII without quotes or backslashes") }
                options.tag = tag
            default:
                if !argument.hasPrefix("-") && !sawWorkload {
                    options.workload = try Self.workload(argument)
                    sawWorkload = true
                } else if argument.hasPrefix("-") {
                    throw OptionsError(message: "unknown option '\(argument)'")
                } else {
                    throw OptionsError(message: "unexpected argument '\(argument)'")
                }
            }
        }
        if options.workload == .fanout, let connections = options.connections {
            options.receivers = connections
        }
        try options.validate()
        return options
    }

    private static func workload(_ name: String) throws(OptionsError) -> Workload {
        guard let workload = Workload(rawValue: name) else {
            let known = Workload.allCases.map(\.rawValue).joined(separator: ", ")
            throw OptionsError(message: "unknown workload '\(name)' (known: \(known))")
        }
        return workload
    }

    private func validate() throws(OptionsError) {
        if self.port == nil && self.unixPath == nil {
            throw OptionsError(message: "--port is required (or --unix PATH)")
        }
        for target in self.targets where !self.allowRemote && !Self.isLoopback(target.host) {
            throw OptionsError(
                message: "refusing non-loopback target '\(target.host)' (chatload is a local benchmark; add --allow-remote)")
        }
        if self.unixPath == nil && !self.allowRemote && !Self.isLoopback(self.host) {
            throw OptionsError(
                message: "refusing non-loopback host '\(self.host)' (chatload is a local benchmark; add --allow-remote)"
            )
        }
        if (self.ircOper != nil || self.ircSenderModes != nil) && self.protocolName != "irc" {
            throw OptionsError(message: "--irc-oper and --irc-sender-mode need --protocol irc")
        }
        if self.workload == .rooms && self.roomsSize < 2 {
            throw OptionsError(message: "--rooms-size must be at least 2 (every connection sends to the others)")
        }
        if self.totalConnections > Int(Int32.max) / 64 {
            throw OptionsError(message: "too many connections")
        }
    }

    /// Whether `host` names this machine: 127.0.0.0/8, ::1 or localhost.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part).map { _ in true } ?? false }
    }

    /// The address as `SocketAddress(host:port:)` wants it.
    var connectHost: String {
        switch self.host {
        case "localhost": return "127.0.0.1"
        case "[::1]": return "::1"
        default: return self.host
        }
    }

    static let usage = """
        USAGE: chatload [fanout|rooms|idle|echo] --port P [options]

        Drives a Switchboard (or Redis, or an IRC) server over loopback and reports throughput,
        latency, loss, server CPU and memory. Ends with one JSON line on stdout; exits 1 if any message
        was lost, duplicated or reordered, 2 on a usage error.

        WORKLOADS (positional, or --workload NAME; default fanout)
          fanout   one room, N receivers, S senders; each sender keeps W messages in flight
                   (a message counts as landed when receiver 0 has it), or sends --rate R msg/s
          rooms    C connections in rooms of K, each sending --rate msg/s and receiving the rest
          idle     open C connections, wait until all are ready, hold them; reports setup rate
                   and server RSS per connection (with --server-pid); IRC: registered, no channel
          echo     C connections each keeping P pings in flight (/ping T; PING T for Redis and IRC)

        TARGET
          --host H                 server address (default 127.0.0.1; loopback only)
          --port P                 server port (required unless --unix)
          --unix PATH              connect to a Unix-domain socket instead
          --protocol P             wire protocol: line (default), redis, or irc (registers
                                   as cl<N>, joins #ROOM, sends PRIVMSG #ROOM :payload)
          --irc-oper NAME:PASS     irc: senders send OPER NAME PASS before joining
          --irc-sender-mode MODES  irc: senders then set these user modes (ngIRCd: +F, no
                                   command throttling for that client)
          --targets H:P,H:P,...    several servers (cluster nodes): connection i goes to
                                   target i mod count (fan-out: receivers come first, then
                                   senders, so rooms span every node)
          --server-pid PID[,PID]   sample the server's CPU time and RSS from /proc/PID;
                                   several (cluster nodes and Redis) are summed
          --allow-remote           allow a host that is not loopback

        SHAPE
          -c, --connections C      rooms/idle: 10000, echo: 50; fanout: same as --receivers
          --receivers N            fanout receivers (default 1000)
          --senders S              fanout senders (default 1)
          --window W               fanout messages in flight per sender (default 64)
          --rate R                 messages/s per sender (fanout: open loop instead of the
                                   window; rooms: default 2)
          --rooms-size K           rooms: connections per room (default 10)
          --pipeline P             echo: pings in flight per connection (default 16)
          --payload B              payload bytes including the stamp (default 64; echo: bare stamp)
          --room NAME              fanout room, or rooms' name prefix (default bench)

        TIMING (seconds)
          --duration S             measured interval (default 10)
          --warmup S               sending before the measured interval (default 2; idle 0)
          --drain S                wait at most this long for in-flight messages (default 5)
          --hold S                 idle: hold the connections this long (default 2)
          --setup-timeout S        open and ready all connections within this (default 60)
          --connect-concurrency N  connection setups in flight at once (default 256)

        OUTPUT
          --json-only              print only the JSON line (no summary, no progress)
          --no-progress            no progress line on stderr
          --tag TEXT               copied into the JSON line as "tag"
          -h, --help               this text

        EXAMPLES
          chatload fanout --port 9999 --receivers 10000 --window 64 --server-pid $(pidof switchboard)
          chatload rooms --port 6379 --protocol redis -c 10000 --rooms-size 10 --rate 2
          chatload idle --port 9999 -c 10000 --server-pid 1234 --json-only
          chatload fanout --port 6667 --protocol irc --connect-concurrency 8 \\
              --irc-oper bench:bench --irc-sender-mode +F
        """
}
