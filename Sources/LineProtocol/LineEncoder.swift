// LineEncoder: every line the server sends in protocol v1, and the one place that spells them.

import ChatCore
import Codec

/// Renders ``ChatEvent``s and the front end's own replies as protocol v1 lines.
///
/// Every method appends complete lines, each ending in `"\n"`, to a buffer the caller reuses; the
/// caller clears it. Names are copied from their inline storage and texts from the line being
/// handled, so rendering a chat line is a handful of copies and allocates nothing once the buffer
/// has grown. An empty optional part (`PONG`'s token, `BYE`'s and `PART`'s reason) is left off
/// together with the space before it.
public enum LineEncoder {
    /// Appends the line(s) for `event`.
    @inlinable
    public static func encode(_ event: ChatEvent, into buffer: inout EncodeBuffer) {
        switch event {
        case .message(let kind, let room, let nick, let text):
            // The hot path: reserve once, then copy.
            buffer.reserve(7 + room.count + nick.count + text.count + 3)
            // Protocol v1 has no notices: a notice reads as a message.
            if kind == .action { buffer.append("ACTION") } else { buffer.append("MSG") }
            self.appendField(room, to: &buffer)
            self.appendField(nick, to: &buffer)
            self.appendField(text, to: &buffer)
            buffer.append(byte: ASCII.newline)
        default:
            self.encodeOther(event, into: &buffer)
        }
    }

    /// Everything but room messages: presence, replies, listings and errors.
    @usableFromInline
    static func encodeOther(_ event: ChatEvent, into buffer: inout EncodeBuffer) {
        switch event {
        case .message:
            self.encode(event, into: &buffer)
        case .privateMessage(_, let from, _, let text):
            // Every kind reads as PRIV: v1 has no private actions or notices.
            buffer.append("PRIV")
            self.appendField(from, to: &buffer)
            self.appendField(text, to: &buffer)
            buffer.append(byte: ASCII.newline)
        case .welcome(let nick, let room):
            buffer.append("WELCOME")
            self.appendField(nick, to: &buffer)
            if let room { self.appendField(room, to: &buffer) }
            buffer.append(byte: ASCII.newline)
        case .joined(let room, let nick):
            self.line("JOIN", room, nick, into: &buffer)
        case .parted(let room, let nick, let reason), .quit(let nick, let reason, let room):
            // A departure from the server reads as a departure from the room the recipient shared.
            buffer.append("PART")
            self.appendField(room, to: &buffer)
            self.appendField(nick, to: &buffer)
            if !reason.isEmpty { self.appendField(reason, to: &buffer) }
            buffer.append(byte: ASCII.newline)
        case .renamed(let old, let new):
            self.line("NICK", old, new, into: &buffer)
        case .awayChanged, .topicChanged, .modeChanged:
            // Protocol v1 has no away state, topics or modes: nothing to say.
            break
        case .kicked(let room, let nick, let by, let reason):
            // A kick reads as a departure whose reason says who and why.
            buffer.append("PART")
            self.appendField(room, to: &buffer)
            self.appendField(nick, to: &buffer)
            buffer.append(" kicked by")
            self.appendField(by, to: &buffer)
            if !reason.isEmpty {
                buffer.append(":")
                self.appendField(reason, to: &buffer)
            }
            buffer.append(byte: ASCII.newline)
        case .invited(let room, _, let by):
            buffer.append("PRIV")
            self.appendField(by, to: &buffer)
            buffer.append(" invites you to /join")
            self.appendField(room, to: &buffer)
            buffer.append(byte: ASCII.newline)
        case .roomList(let rooms):
            for room in rooms {
                buffer.append("ROOM")
                self.appendField(room.name, to: &buffer)
                buffer.append(byte: ASCII.space)
                buffer.append(decimal: room.members)
                buffer.append(byte: ASCII.newline)
            }
            self.end("rooms", into: &buffer)
        case .memberList(_, let members):
            for nick in members {
                buffer.append("USER")
                self.appendField(nick, to: &buffer)
                buffer.append(byte: ASCII.newline)
            }
            self.end("who", into: &buffer)
        case .statistics(let statistics):
            self.encodeStatistics(statistics, into: &buffer)
        case .error(let error):
            self.encodeError(error, into: &buffer)
        case .bye(let reason):
            buffer.append("BYE")
            if !reason.isEmpty { self.appendField(reason, to: &buffer) }
            buffer.append(byte: ASCII.newline)
        }
    }

    /// Appends the answer to a request the front end answers itself: `PONG [token]` for `/ping`,
    /// or the `/help` text (one `INFO` line each, then `END help`).
    public static func encode(_ reply: LineReply, into buffer: inout EncodeBuffer) {
        switch reply {
        case .pong(let token):
            buffer.append("PONG")
            if !token.isEmpty { self.appendField(token, to: &buffer) }
            buffer.append(byte: ASCII.newline)
        case .help:
            for text in Self.helpLines {
                buffer.append("INFO ")
                buffer.append(text)
                buffer.append(byte: ASCII.newline)
            }
            self.end("help", into: &buffer)
        }
    }

    /// The lines for `event`, as an array: for lines the glue keeps, and for tests.
    public static func lines(for event: ChatEvent) -> [UInt8] {
        var buffer = EncodeBuffer(capacity: 128)
        self.encode(event, into: &buffer)
        return buffer.array
    }

    /// The `/help` text.
    static let helpLines: [StaticString] = [
        "Switchboard line protocol v1. One line per message; commands start with /.",
        "<text>            send text to your room (start it with // to send a line beginning with /)",
        "/nick NAME        change your nick (1-32 of A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -)",
        "/join ROOM        leave your room and join ROOM, creating it if needed",
        "/rooms            list rooms and their member counts",
        "/who              list the members of your room",
        "/msg NICK TEXT    send TEXT to NICK only",
        "/me TEXT          act in your room",
        "/ping [TOKEN]     the server answers PONG [TOKEN]",
        "/stats            server counters",
        "/help             this text",
        "/quit [REASON]    leave; the server answers BYE [REASON] and closes the connection",
    ]

    /// The `STAT` names, in the order `/stats` lists them. Later additions go at the end: clients
    /// may rely on the order of the first eight (docs/PROTOCOL.md).
    private static func encodeStatistics(_ statistics: ChatStatistics, into buffer: inout EncodeBuffer) {
        let counters = statistics.counters
        let stats: [(name: StaticString, value: Int)] = [
            ("connections", counters.connections),
            ("rooms", statistics.rooms),
            ("messages_in", counters.messagesIn),
            ("deliveries_out", counters.deliveriesOut),
            ("bytes_in", counters.bytesIn),
            ("bytes_out", counters.bytesOut),
            ("slow_consumer_drops", counters.slowConsumerDrops),
            ("uptime_seconds", statistics.uptimeSeconds),
            ("slow_consumer_drops_soft_limit", counters.slowConsumerSoftLimitDrops),
            ("slow_consumer_drops_hard_limit", counters.slowConsumerHardLimitDrops),
            ("output_queued_bytes", counters.outputQueuedBytes),
            ("output_queued_peak_bytes", counters.outputQueuedPeakBytes),
            ("output_budget_pauses", counters.outputBudgetPauses),
            ("output_budget_paused_connections", counters.outputBudgetPausedConnections),
            ("output_budget_paused_ms", counters.outputBudgetPausedMilliseconds),
            ("loop_iteration_max_us", counters.loopIterationMaxMicroseconds),
            ("loop_iteration_max_on_cpu_us", counters.loopIterationMaxOnCPUMicroseconds),
        ] + (counters.bus.map { bus -> [(name: StaticString, value: Int)] in
            [
                ("bus_connected", bus.connected), ("bus_published", bus.published), ("bus_received", bus.received),
                ("bus_dropped", bus.dropped), ("bus_gaps", bus.gaps), ("bus_missed", bus.missed),
                ("bus_duplicates", bus.duplicates),
                ("bus_reconnects", bus.reconnects), ("bus_subscriptions", bus.subscriptions),
                ("bus_remote_clients", bus.remoteClients),
            ]
        } ?? [])
        for stat in stats {
            buffer.append("STAT ")
            buffer.append(stat.name)
            buffer.append(byte: ASCII.space)
            buffer.append(decimal: stat.value)
            buffer.append(byte: ASCII.newline)
        }
        self.end("stats", into: &buffer)
    }

    /// `ERR <code> <text>`: the code from the one table, the text worded for people.
    private static func encodeError(_ error: ChatError, into buffer: inout EncodeBuffer) {
        buffer.append("ERR ")
        buffer.append(string: LineErrorCode(error).rawValue)
        buffer.append(byte: ASCII.space)
        switch error {
        case .badName(.nick): buffer.append(string: Self.nickRule("a nick"))
        case .badName(.room): buffer.append(string: Self.roomRule("a room name"))
        case .badName(.recipient): buffer.append(string: "usage: /msg NICK TEXT, " + Self.nickRule("NICK"))
        case .nickTaken(let name): buffer.append(string: "\(name.string) is already in use")
        case .noSuchNick(let nick): buffer.append(string: "\(String(decoding: nick, as: UTF8.self)) is not connected")
        case .missingText(_, private: true): buffer.append("usage: /msg NICK TEXT")
        case .missingText(.action, private: false): buffer.append("usage: /me TEXT")
        case .missingText: buffer.append("usage: TEXT")
        case .notInRoom(let room):
            buffer.append(string: "you are not in \(String(decoding: room, as: UTF8.self))")
        case .notRegistered: buffer.append("registration is not complete")
        case .notOperator(let room): buffer.append(string: "you are not an operator of \(room.string)")
        case .cannotJoin(let room, let refusal):
            let why: String
            switch refusal {
            case .inviteOnly: why = "is invite-only"
            case .badKey: why = "needs a key"
            case .full: why = "is full"
            case .banned: why = "bans you"
            }
            buffer.append(string: "\(room.string) \(why)")
        case .cannotSend(let room): buffer.append(string: "\(room.string) is moderated: only operators and voiced members speak")
        case .userNotInRoom(let nick, let room):
            buffer.append(string: "\(String(decoding: nick, as: UTF8.self)) is not in \(room.string)")
        case .alreadyInRoom(let nick, let room): buffer.append(string: "\(nick.string) is already in \(room.string)")
        case .lineTooLong(let limit): buffer.append(string: "lines are limited to \(limit) bytes; the line was discarded")
        case .badLine: buffer.append("line contains a NUL byte")
        case .unknownCommand(let word):
            // Echo at most a short prefix: the word can be as long as the line.
            let shown = String(decoding: word.slice(0..<min(word.count, 40)), as: UTF8.self)
            buffer.append(string: "\(shown) is not a command; try /help")
        case .serverFull: buffer.append("too many connections (limit reached), try later")
        case .tryAgain: buffer.append("the server cannot register anyone right now (its cluster bus is down), try again shortly")
        case .slowConsumer(let limit): buffer.append(string: "more than \(limit) bytes queued, disconnecting")
        case .idleTimeout(let seconds): buffer.append(string: "no input for \(seconds) seconds")
        }
        buffer.append(byte: ASCII.newline)
    }

    /// The explanations that follow `bad-name` errors, one per ``NameGrammar``.
    private static func roomRule(_ what: String) -> String {
        "\(what) must be 1-\(NameKey.maxLength) characters from A-Z a-z 0-9 _ -"
    }

    private static func nickRule(_ what: String) -> String {
        "\(what) must be 1-\(NameKey.maxLength) characters from A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -"
    }

    private static func line(_ word: StaticString, _ first: Name, _ second: Name, into buffer: inout EncodeBuffer) {
        buffer.append(word)
        self.appendField(first, to: &buffer)
        self.appendField(second, to: &buffer)
        buffer.append(byte: ASCII.newline)
    }

    private static func end(_ listing: StaticString, into buffer: inout EncodeBuffer) {
        buffer.append("END ")
        buffer.append(listing)
        buffer.append(byte: ASCII.newline)
    }

    @inlinable @inline(__always)
    static func appendField(_ name: Name, to buffer: inout EncodeBuffer) {
        buffer.append(byte: ASCII.space)
        name.withBytes { buffer.append($0) }
    }

    @inlinable @inline(__always)
    static func appendField(_ bytes: UnsafeRawBufferPointer, to buffer: inout EncodeBuffer) {
        buffer.append(byte: ASCII.space)
        buffer.append(bytes)
    }
}
