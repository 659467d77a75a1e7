// IRCEventEncoder: renders ChatCore's events as IRC lines, once per encoding (plain, server-time or
// message-tags).

import ChatCore
import Codec
import IRCProtocol

/// Renders ``ChatEvent``s for IRC clients.
///
/// One instance serves the whole server. An event is rendered once per call, for every recipient
/// of one encoding (see ``IRCEncodings``): clients that negotiated `server-time` or `message-tags`
/// are partitions of their own, so the tags they get cost no per-recipient branch. Sources are
/// `nick!user@host`, looked up through ChatState while rendering; a client from another front end
/// (no IRC identity) shows as `nick!line@line`.
///
/// Messages to `message-tags` clients carry a `msgid`, and the client-only tags their sender
/// attached: an IRC connection sets ``relay`` around the ChatState call that delivers its message,
/// so the tags and the id reach the renderer without ChatCore carrying them.
public final class IRCEventEncoder {
    /// How the lines of one encoding are tagged.
    public enum Style: UInt8, Sendable {
        /// No tags.
        case plain
        /// `time` (`server-time` without `message-tags`).
        case serverTime
        /// `time`, and on messages `msgid` and the sender's client-only tags.
        case messageTags
    }

    /// What an IRC client's message carries beyond its text, while ChatState delivers it.
    public struct Relay {
        /// The message's id, the same for every recipient and for the sender's echo.
        public var msgid: UInt64
        /// The tag section the client sent (without `@` and the space), or empty. Only its
        /// client-only (`+`) tags are relayed. Points into the line being handled.
        public var tags: UnsafeRawBufferPointer
    }

    let config: IRCServerConfig
    unowned(unsafe) let state: ChatState
    /// Wall-clock milliseconds since the epoch, for `server-time`.
    let wallClock: () -> Int64
    private var serverName: [UInt8]
    private var prefix = EncodeBuffer(capacity: 128)
    /// Set by the sending connection for the duration of one delivery; see ``Relay``.
    public var relay: Relay?
    /// The last message id handed out; ids are `<start><counter>` in base 36, unique per run.
    private var lastMsgid: UInt64 = 0
    private let msgidStem: [UInt8]
    /// Wall-clock milliseconds when the server (this renderer) started.
    public let startedAtMilliseconds: Int64

    public init(config: IRCServerConfig, state: ChatState, wallClock: @escaping () -> Int64) {
        self.config = config
        self.state = state
        self.wallClock = wallClock
        self.serverName = Array(config.serverName.utf8)
        self.startedAtMilliseconds = wallClock()
        self.msgidStem = Array(String(UInt64(max(0, self.startedAtMilliseconds)), radix: 36).utf8) + [UInt8(ascii: "-")]
    }

    /// A fresh message id, for a message that is about to be delivered.
    public func nextMsgid() -> UInt64 {
        self.lastMsgid &+= 1
        return self.lastMsgid
    }

    /// Appends the line(s) for `event`, for recipients with or without tags (`time` only).
    public func encode(_ event: ChatEvent, tagged: Bool, recipient: ClientID?, into buffer: inout EncodeBuffer) {
        self.encode(event, style: tagged ? .serverTime : .plain, recipient: recipient, into: &buffer)
    }

    /// Appends the line(s) for `event` to `buffer`, for recipients of one encoding.
    ///
    /// - Parameters:
    ///   - style: How the recipients' lines are tagged.
    ///   - recipient: The one recipient of a reply or error (its nick fills numerics), if single.
    public func encode(_ event: ChatEvent, style: Style, recipient: ClientID?, into buffer: inout EncodeBuffer) {
        let tagged = style != .plain
        switch event {
        case .message(let kind, let room, let from, let text):
            var line = self.start(tagged: tagged, message: style == .messageTags, source: from, into: &buffer)
            line.command(kind == .notice ? "NOTICE" : "PRIVMSG", into: &buffer)
            self.channel(room, line: &line, into: &buffer)
            self.text(kind, text, line: &line, into: &buffer)
            line.finish(into: &buffer)
        case .privateMessage(let kind, let from, let to, let text):
            var line = self.start(tagged: tagged, message: style == .messageTags, source: from, into: &buffer)
            line.command(kind == .notice ? "NOTICE" : "PRIVMSG", into: &buffer)
            to.withBytes { line.param($0, into: &buffer) }
            self.text(kind, text, line: &line, into: &buffer)
            line.finish(into: &buffer)
        case .joined(let room, let nick):
            var line = self.start(tagged: tagged, source: nick, into: &buffer)
            line.command("JOIN", into: &buffer)
            self.channel(room, line: &line, into: &buffer, last: true)
            line.finish(into: &buffer)
        case .parted(let room, let nick, let reason):
            var line = self.start(tagged: tagged, source: nick, into: &buffer)
            line.command("PART", into: &buffer)
            if reason.isEmpty {
                self.channel(room, line: &line, into: &buffer, last: true)
            } else {
                self.channel(room, line: &line, into: &buffer)
                line.lastParam(reason, into: &buffer)
            }
            line.finish(into: &buffer)
        case .quit(let nick, let reason, _):
            var line = self.start(tagged: tagged, source: nick, into: &buffer)
            line.command("QUIT", into: &buffer)
            if reason.isEmpty {
                line.lastParam("Quit", alwaysTrailing: true, into: &buffer)
            } else {
                line.lastParam(string: "Quit: " + String(decoding: reason, as: UTF8.self), into: &buffer)
            }
            line.finish(into: &buffer)
        case .renamed(let old, let new):
            // The identity is found under the new nick: the rename has happened.
            var line = self.start(tagged: tagged, source: old, identityOf: new, into: &buffer)
            line.command("NICK", into: &buffer)
            new.withBytes { line.lastParam($0, into: &buffer) }
            line.finish(into: &buffer)
        case .awayChanged(let nick, let message):
            var line = self.start(tagged: tagged, source: nick, into: &buffer)
            line.command("AWAY", into: &buffer)
            if !message.isEmpty { line.lastParam(message, into: &buffer) }
            line.finish(into: &buffer)
        case .topicChanged(let room, let by, let text):
            var line = self.start(tagged: tagged, source: by, into: &buffer)
            line.command("TOPIC", into: &buffer)
            self.channel(room, line: &line, into: &buffer)
            line.lastParam(text, alwaysTrailing: true, into: &buffer)
            line.finish(into: &buffer)
        case .modeChanged(let room, let by, let changes):
            var line = self.start(tagged: tagged, source: by, into: &buffer)
            line.command("MODE", into: &buffer)
            self.channel(room, line: &line, into: &buffer)
            let (modes, arguments) = IRCModes.render(changes)
            if arguments.isEmpty {
                line.lastParam(string: modes, into: &buffer)
            } else {
                line.param(string: modes, into: &buffer)
                for argument in arguments.dropLast() { line.param(string: argument, into: &buffer) }
                line.lastParam(string: arguments.last!, into: &buffer)
            }
            line.finish(into: &buffer)
        case .kicked(let room, let nick, let by, let reason):
            var line = self.start(tagged: tagged, source: by, into: &buffer)
            line.command("KICK", into: &buffer)
            self.channel(room, line: &line, into: &buffer)
            nick.withBytes { line.param($0, into: &buffer) }
            // Without a comment, the kicker's nick (RFC 2812).
            if reason.isEmpty { by.withBytes { line.lastParam($0, alwaysTrailing: true, into: &buffer) } } else {
                line.lastParam(reason, alwaysTrailing: true, into: &buffer)
            }
            line.finish(into: &buffer)
        case .invited(let room, let nick, let by):
            if let recipient, self.state.nickName(of: recipient)?.key == by.key && by.key != nick.key {
                // The inviter's confirmation.
                IRCEncoder.numeric(341, server: self.config.serverName, target: by.string, [nick.string, "#" + room.string], into: &buffer)
            } else {
                var line = self.start(tagged: tagged, source: by, into: &buffer)
                line.command("INVITE", into: &buffer)
                nick.withBytes { line.param($0, into: &buffer) }
                self.channel(room, line: &line, into: &buffer, last: true)
                line.finish(into: &buffer)
            }
        case .welcome(let nick, _):
            self.welcome(nick, into: &buffer)
        case .error(let error):
            self.error(error, recipient: recipient, into: &buffer)
        case .bye(let reason):
            Self.closing(reason.isEmpty ? "Client Quit" : String(decoding: reason, as: UTF8.self), into: &buffer)
        case .roomList, .memberList, .statistics:
            // The IRC front end answers LIST, NAMES and WHO from ChatState's queries, in IRC's
            // own numerics; it never asks for these.
            break
        }
    }

    /// `ERROR :Closing link: (why)`, the last line a client gets before the server closes it.
    public static func closing(_ why: String, into buffer: inout EncodeBuffer) {
        IRCEncoder.encode(command: "ERROR", params: ["Closing link: (\(why))"], alwaysTrailing: true, into: &buffer)
    }

    /// The numerics of a completed registration: 001 to 005.
    private func welcome(_ nick: Name, into buffer: inout EncodeBuffer) {
        let me = nick.string
        let server = self.config.serverName
        let identity = self.state.client(named: nick).flatMap { self.state.identity(of: $0) }
        let mask = "\(me)!\(identity?.user ?? "line")@\(identity?.host ?? "line")"
        IRCEncoder.numeric(1, server: server, target: me, ["Welcome to the \(self.config.network) IRC network, \(mask)"], alwaysTrailing: true, into: &buffer)
        IRCEncoder.numeric(2, server: server, target: me, ["Your host is \(server), running version \(self.config.version)"], alwaysTrailing: true, into: &buffer)
        IRCEncoder.numeric(3, server: server, target: me, ["This server was created \(self.config.created)"], alwaysTrailing: true, into: &buffer)
        IRCEncoder.numeric(4, server: server, target: me, [server, self.config.version, "i", "biklmnotv", "bklov"], into: &buffer)
        self.isupport(for: me, into: &buffer)
    }

    /// The `005` lines (12 tokens each), for `nick`: at registration and after `VERSION`.
    func isupport(for nick: String, into buffer: inout EncodeBuffer) {
        let tokens = self.config.isupport
        var start = 0
        while start < tokens.count {
            let chunk = Array(tokens[start..<min(start + 12, tokens.count)])
            IRCEncoder.numeric(
                5, server: self.config.serverName, target: nick, chunk + ["are supported by this server"],
                alwaysTrailing: true, into: &buffer)
            start += 12
        }
    }

    /// A failure as its numeric (or `ERROR` for the glue's closing reasons).
    private func error(_ error: ChatError, recipient: ClientID?, into buffer: inout EncodeBuffer) {
        let server = self.config.serverName
        let me = recipient.flatMap { self.state.nickName(of: $0)?.string } ?? "*"
        func numeric(_ code: Int, _ params: [String]) {
            // Names here may be as a client sent them (a KICK target): middles must be one word.
            IRCEncoder.numeric(
                code, server: server, target: me, IRCConnection.safeParams(params), alwaysTrailing: true, into: &buffer)
        }
        func closing(_ why: String) { Self.closing(why, into: &buffer) }
        switch error {
        case .badName(.nick): numeric(432, ["*", "Erroneous nickname"])
        case .badName(.recipient): numeric(401, ["*", "No such nick/channel"])
        case .badName(.room): numeric(403, ["*", "No such channel"])
        case .nickTaken(let name): numeric(433, [name.string, "Nickname is already in use"])
        case .noSuchNick(let raw): numeric(401, [String(decoding: raw, as: UTF8.self), "No such nick/channel"])
        case .missingText: numeric(412, ["No text to send"])
        case .notInRoom(let raw): numeric(442, ["#" + String(decoding: raw, as: UTF8.self), "You're not on that channel"])
        case .notRegistered: numeric(451, ["You have not registered"])
        case .notOperator(let room): numeric(482, ["#" + room.string, "You're not channel operator"])
        case .cannotJoin(let room, let refusal):
            switch refusal {
            case .inviteOnly: numeric(473, ["#" + room.string, "Cannot join channel (+i)"])
            case .badKey: numeric(475, ["#" + room.string, "Cannot join channel (+k)"])
            case .full: numeric(471, ["#" + room.string, "Cannot join channel (+l)"])
            case .banned: numeric(474, ["#" + room.string, "Cannot join channel (+b)"])
            }
        case .cannotSend(let room): numeric(404, ["#" + room.string, "Cannot send to channel"])
        case .userNotInRoom(let nick, let room):
            numeric(441, [String(decoding: nick.prefix(64), as: UTF8.self), "#" + room.string, "They aren't on that channel"])
        case .alreadyInRoom(let nick, let room): numeric(443, [nick.string, "#" + room.string, "is already on channel"])
        case .lineTooLong: numeric(417, ["Input line was too long"])
        case .badLine:
            IRCEncoder.encode(source: server, command: "NOTICE", params: [me, "A line contained a NUL byte and was ignored"], into: &buffer)
        case .unknownCommand(let word):
            let shown = String(decoding: word.prefix(32), as: UTF8.self)
            numeric(421, [shown.isEmpty ? "*" : shown, "Unknown command"])
        case .serverFull: closing("Server full, try later")
        case .tryAgain: closing("Server temporarily unavailable, try again shortly")
        case .slowConsumer: closing("SendQ exceeded")
        case .idleTimeout(let seconds): closing("Ping timeout: \(seconds) seconds")
        }
    }

    // MARK: Parts

    /// `TAGMSG target` from `nick`, with `time`, `msgid` and the client-only tags of `relay`: for
    /// `message-tags` clients only.
    public func tagMessage(
        from nick: Name, to target: UnsafeRawBufferPointer, relay: Relay, into buffer: inout EncodeBuffer
    ) {
        let saved = self.relay
        self.relay = relay
        defer { self.relay = saved }
        var line = self.start(tagged: true, message: true, source: nick, into: &buffer)
        line.command("TAGMSG", into: &buffer)
        line.lastParam(target, into: &buffer)
        line.finish(into: &buffer)
    }

    /// Starts a line: the `time` tag when tagged, with `message` also `msgid` and the relayed
    /// client-only tags, then `:nick!user@host`.
    private func start(
        tagged: Bool, message: Bool = false, source nick: Name, identityOf owner: Name? = nil,
        into buffer: inout EncodeBuffer
    ) -> IRCLineWriter {
        var line = IRCLineWriter(buffer)
        if tagged {
            _ = line.tag("time", string: IRCTime.format(self.wallClock()), into: &buffer)
        }
        if message {
            self.messageTags(line: &line, into: &buffer)
        }
        self.prefix.removeAll()
        nick.withBytes { self.prefix.append($0) }
        self.prefix.append(byte: UInt8(ascii: "!"))
        // The identity's bytes straight from ChatState's table: no strings made per line.
        let found =
            self.state.client(named: owner ?? nick).map { client in
                self.state.withIdentity(of: client) { identity in
                    guard let identity else { return false }
                    self.prefix.append(identity.user)
                    self.prefix.append(byte: UInt8(ascii: "@"))
                    self.prefix.append(identity.host)
                    return true
                }
            } ?? false
        if !found { self.prefix.append("line@line") }
        line.source(self.prefix.bytes, into: &buffer)
        return line
    }

    /// `msgid` (the relay's, or a fresh one) and the relay's client-only tags.
    private func messageTags(line: inout IRCLineWriter, into buffer: inout EncodeBuffer) {
        let msgid = self.relay?.msgid ?? self.nextMsgid()
        self.prefix.removeAll()
        self.prefix.append(self.msgidStem)
        Self.appendBase36(msgid, to: &self.prefix)
        line.tag("msgid", value: self.prefix.bytes, into: &buffer)
        guard let tags = self.relay?.tags, !tags.isEmpty else { return }
        for tag in IRCTags(raw: tags) where tag.isClientOnly {
            line.tag(tag, into: &buffer)
        }
    }

    /// Appends `value` in base 36 (lowercase), without allocating.
    private static func appendBase36(_ value: UInt64, to buffer: inout EncodeBuffer) {
        var digits: (UInt64, UInt64) = (0, 0)
        var length = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                length += 1
                let digit = UInt8(rest % 36)
                scratch[scratch.count - length] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                rest /= 36
            } while rest != 0
            buffer.append(UnsafeRawBufferPointer(rebasing: scratch[(scratch.count - length)...]))
        }
    }

    private func channel(_ room: Name, line: inout IRCLineWriter, into buffer: inout EncodeBuffer, last: Bool = false) {
        self.prefix.removeAll()
        self.prefix.append(byte: UInt8(ascii: "#"))
        room.withBytes { self.prefix.append($0) }
        if last { line.lastParam(self.prefix.bytes, into: &buffer) } else { line.param(self.prefix.bytes, into: &buffer) }
    }

    private func text(_ kind: MessageKind, _ text: WireText, line: inout IRCLineWriter, into buffer: inout EncodeBuffer) {
        if kind == .action {
            line.ctcp("ACTION", text: text, into: &buffer)
        } else {
            line.lastParam(text, into: &buffer)
        }
    }
}

/// `server-time`'s `time` tag: UTC to the millisecond, by hand (no Foundation).
public enum IRCTime {
    /// `YYYY-MM-DDThh:mm:ss.sssZ` for `milliseconds` since the Unix epoch.
    public static func format(_ milliseconds: Int64) -> String {
        let days = Int(milliseconds.quotientAndRemainder(dividingBy: 86_400_000).quotient)
        let inDay = Int(milliseconds - Int64(days) * 86_400_000)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(inDay / 3_600_000, 2)):"
            + "\(pad(inDay / 60_000 % 60, 2)):\(pad(inDay / 1000 % 60, 2)).\(pad(inDay % 1000, 3))Z"
    }
}

/// Channel mode letters: IRC's spelling of ``RoomMode``.
public enum IRCModes {
    public static func letter(_ mode: RoomMode) -> Character {
        switch mode {
        case .inviteOnly: "i"
        case .key: "k"
        case .limit: "l"
        case .moderated: "m"
        case .noOutsideMessages: "n"
        case .topicLocked: "t"
        case .ban: "b"
        case .op: "o"
        case .voice: "v"
        }
    }

    public static func mode(_ letter: Character) -> RoomMode? {
        RoomMode.allCases.first { Self.letter($0) == letter }
    }

    /// Whether the mode takes an argument when set (`adding`) or unset.
    public static func takesArgument(_ mode: RoomMode, adding: Bool) -> Bool {
        switch mode {
        case .key, .ban, .op, .voice: true
        case .limit: adding
        default: false
        }
    }

    /// `+nt-k` and its arguments, in order.
    public static func render(_ changes: [RoomModeChange]) -> (String, [String]) {
        var modes = ""
        var arguments: [String] = []
        var sign: Bool?
        for change in changes {
            if sign != change.adding {
                modes.append(change.adding ? "+" : "-")
                sign = change.adding
            }
            modes.append(Self.letter(change.mode))
            if let argument = change.argument { arguments.append(argument) }
        }
        return (modes, arguments)
    }
}
