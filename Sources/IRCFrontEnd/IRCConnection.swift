// IRCConnection: one IRC client's front end: registration, capabilities and commands, over ChatState.

import ChatCore
import Codec
import IRCProtocol

/// Where an IRC connection's own replies go: the glue writes them to the client's socket at once,
/// so they stay in order with the events ChatState delivers meanwhile.
public protocol IRCOutput: AnyObject {
    /// Renders with `body` and queues the bytes for this client.
    func write(_ body: (inout EncodeBuffer) -> Void)
    /// Moves the client to `encoding` (it negotiated, or dropped, tagged output).
    func setEncoding(_ encoding: Encoding)
    /// Flushes and closes the connection (after `ERROR`).
    func close()
}

/// The IRCv3 capabilities this server offers.
public struct IRCCapabilities: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let capNotify = IRCCapabilities(rawValue: 1 << 0)
    public static let multiPrefix = IRCCapabilities(rawValue: 1 << 1)
    public static let userhostInNames = IRCCapabilities(rawValue: 1 << 2)
    public static let messageTags = IRCCapabilities(rawValue: 1 << 3)
    public static let serverTime = IRCCapabilities(rawValue: 1 << 4)
    public static let echoMessage = IRCCapabilities(rawValue: 1 << 5)
    public static let awayNotify = IRCCapabilities(rawValue: 1 << 6)

    /// Every capability with its wire name, in the order `CAP LS` lists them.
    public static let all: [(name: String, cap: IRCCapabilities)] = [
        ("away-notify", .awayNotify), ("cap-notify", .capNotify), ("echo-message", .echoMessage),
        ("message-tags", .messageTags), ("multi-prefix", .multiPrefix), ("server-time", .serverTime),
        ("userhost-in-names", .userhostInNames),
    ]

    /// Capabilities that change how every line is rendered: clients with them are their own encoding.
    public static let tagged: IRCCapabilities = [.messageTags, .serverTime]

    static func named(_ name: Substring) -> IRCCapabilities? {
        Self.all.first { $0.name == name.lowercased() }?.cap
    }

    var names: String { Self.all.filter { self.contains($0.cap) }.map(\.name).joined(separator: " ") }
}

/// One IRC client's front end.
///
/// It parses each line with ``IRCParser``, answers what IRC answers itself (registration, `CAP`,
/// `PING`, listings from ChatState's queries) through its ``IRCOutput``, and turns the rest into
/// ``ChatCommand``s. Events for the client come back through the server's sink and
/// ``IRCEventEncoder``. Pure: no sockets, so tests drive it with a recording output.
public final class IRCConnection {
    public let id: ClientID
    unowned(unsafe) let state: ChatState
    let config: IRCServerConfig
    unowned(unsafe) let output: any IRCOutput
    let plain: Encoding
    let tagged: Encoding
    let host: String
    let wallClock: () -> Int64

    /// Capabilities the client enabled.
    public private(set) var capabilities: IRCCapabilities = []
    /// Whether registration is complete.
    public private(set) var isRegistered = false
    private var negotiating = false
    private var user: (name: String, realName: String)?
    private var passwordOK: Bool
    private var triedNick = false

    public init(
        id: ClientID, state: ChatState, config: IRCServerConfig, output: any IRCOutput, plain: Encoding,
        tagged: Encoding, host: String, wallClock: @escaping () -> Int64
    ) {
        self.id = id
        self.state = state
        self.config = config
        self.output = output
        self.plain = plain
        self.tagged = tagged
        self.host = host
        self.wallClock = wallClock
        self.passwordOK = config.password == nil
    }

    /// The nick to address numerics to: the client's, or `*` before it has one.
    var me: String { self.state.nick(of: self.id) ?? "*" }

    /// The longest line a client may send, tags included, before the framer discards it.
    public static let maxLineLength = 4096 + 512

    // MARK: Input

    /// Handles one line without its CR LF.
    public func handle(line: UnsafeRawBufferPointer) {
        guard !self.state.hasQuit(self.id) else { return }
        switch IRCParser.parse(line, limits: .fromClient) {
        case .failure(let error):
            switch error {
            case .empty, .forbiddenByte: return
            case .tagsTooLong, .lineTooLong: self.numeric(417, ["Input line was too long"])
            case .noCommand, .badCommand:
                let word = String(decoding: IRCParser.commandWord(in: line).prefix(32), as: UTF8.self)
                self.numeric(421, [word.isEmpty ? "*" : word, "Unknown command"])
            }
        case .message(let message):
            self.handle(message)
        }
    }

    /// The framer discarded a line over ``maxLineLength``.
    public func lineTooLong() {
        self.numeric(417, ["Input line was too long"])
    }

    private func handle(_ message: IRCMessage) {
        let params = message.params
        switch message.command {
        case "CAP": self.cap(params)
        case "PASS": self.pass(params)
        case "NICK": self.nick(params)
        case "USER": self.user(params)
        case "PING":
            guard let token = params.first else { return self.numeric(409, ["No origin specified"]) }
            self.output.write { buffer in
                var line = IRCLineWriter(buffer)
                line.source(string: self.config.serverName, into: &buffer)
                line.command("PONG", into: &buffer)
                line.param(string: self.config.serverName, into: &buffer)
                line.lastParam(token, into: &buffer)
                line.finish(into: &buffer)
            }
        case "PONG": return
        case "QUIT":
            self.state.perform(.quit(reason: params.first ?? WireText(start: nil, count: 0)), from: self.id)
        default:
            guard self.isRegistered else {
                return self.numeric(451, ["You have not registered"])
            }
            self.registered(message.command, params)
        }
    }

    private func registered(_ command: IRCCommand, _ params: IRCMessage.Params) {
        switch command {
        case "JOIN": self.join(params)
        case "PART": self.part(params)
        case "PRIVMSG": self.send(params, kind: .message, command: "PRIVMSG")
        case "NOTICE": self.send(params, kind: .notice, command: "NOTICE")
        case "NAMES": self.names(params)
        case "WHO": self.who(params)
        case "WHOIS": self.whois(params)
        case "LIST": self.list()
        case "LUSERS": self.lusers()
        case "MOTD": self.motd()
        case "AWAY": self.away(params)
        case "ISON": self.ison(params)
        case "USERHOST": self.userhost(params)
        case "MODE": self.mode(params)
        case "TOPIC": self.topic(params)
        case "KICK": self.kick(params)
        case "INVITE": self.invite(params)
        default:
            var word = ""
            command.withBytes { word = String(decoding: $0, as: UTF8.self) }
            self.numeric(421, [word, "Unknown command"])
        }
    }

    // MARK: Registration

    private func cap(_ params: IRCMessage.Params) {
        guard let sub = params.first.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
            return self.numeric(461, ["CAP", "Not enough parameters"])
        }
        switch sub {
        case "LS":
            if !self.isRegistered { self.negotiating = true }
            let list = IRCCapabilities.all.map(\.name).joined(separator: " ")
            self.capReply("LS", list)
        case "LIST":
            self.capReply("LIST", self.capabilities.names)
        case "REQ":
            if !self.isRegistered { self.negotiating = true }
            let text = params.count > 1 ? String(decoding: params[1], as: UTF8.self) : ""
            var enable: IRCCapabilities = []
            var disable: IRCCapabilities = []
            var ok = true
            for word in text.split(separator: " ") {
                let removing = word.hasPrefix("-")
                guard let cap = IRCCapabilities.named(removing ? word.dropFirst() : word) else {
                    ok = false
                    break
                }
                if removing { disable.insert(cap) } else { enable.insert(cap) }
            }
            guard ok, !text.isEmpty else { return self.capReply("NAK", text) }
            let before = self.capabilities.intersection(.tagged).isEmpty
            self.capabilities.subtract(disable)
            self.capabilities.formUnion(enable)
            self.capReply("ACK", text)
            if before != self.capabilities.intersection(.tagged).isEmpty {
                self.output.setEncoding(self.capabilities.intersection(.tagged).isEmpty ? self.plain : self.tagged)
            }
        case "END":
            guard !self.isRegistered else { return }
            self.negotiating = false
            self.completeRegistration()
        default:
            self.numeric(410, [sub, "Invalid CAP command"])
        }
    }

    private func capReply(_ sub: String, _ text: String) {
        let me = self.me
        self.output.write { buffer in
            IRCEncoder.encode(
                source: self.config.serverName, command: "CAP", params: [me, sub, text], alwaysTrailing: true,
                into: &buffer)
        }
    }

    private func pass(_ params: IRCMessage.Params) {
        guard !self.isRegistered else { return self.numeric(462, ["You may not reregister"]) }
        guard let given = params.first else { return self.numeric(461, ["PASS", "Not enough parameters"]) }
        if let password = self.config.password {
            self.passwordOK = Array(password.utf8) == Array(given)
        }
    }

    private func nick(_ params: IRCMessage.Params) {
        guard let raw = params.first, !raw.isEmpty else { return self.numeric(431, ["No nickname given"]) }
        guard Name(raw, .nick) != nil else {
            return self.numeric(432, [String(decoding: raw.prefix(64), as: UTF8.self), "Erroneous nickname"])
        }
        self.triedNick = true
        self.state.perform(.rename(to: raw), from: self.id)
        if !self.isRegistered { self.completeRegistration() }
    }

    private func user(_ params: IRCMessage.Params) {
        guard !self.isRegistered else { return self.numeric(462, ["You may not reregister"]) }
        guard params.count >= 4, !params[0].isEmpty else { return self.numeric(461, ["USER", "Not enough parameters"]) }
        let name = String(decoding: params[0].prefix(16), as: UTF8.self).filter { $0 != "@" && $0 != "!" }
        self.user = ("~" + (name.isEmpty ? "user" : name), String(decoding: params[3], as: UTF8.self))
        self.completeRegistration()
    }

    /// Admits the client once it has a nick and a user and is not negotiating capabilities.
    private func completeRegistration() {
        guard !self.isRegistered, !self.negotiating, let user = self.user, self.state.nick(of: self.id) != nil else {
            return
        }
        guard self.passwordOK else {
            self.numeric(464, ["Password incorrect"])
            self.output.write { buffer in
                IRCEncoder.encode(command: "ERROR", params: ["Closing link: (Bad password)"], alwaysTrailing: true, into: &buffer)
            }
            self.output.close()
            return
        }
        self.isRegistered = true
        self.state.setIdentity(self.id, ClientIdentity(user: user.name, host: self.host, realName: user.realName))
        self.state.admit(self.id, joiningLobby: false)
        self.lusers()
        self.motd()
    }

    // MARK: Channels

    private func join(_ params: IRCMessage.Params) {
        guard let channels = params.first else { return self.numeric(461, ["JOIN", "Not enough parameters"]) }
        if channels.count == 1 && channels[0] == UInt8(ascii: "0") {
            for room in self.state.roomNames(of: self.id) {
                room.withBytes { self.state.perform(.part(room: $0, reason: WireText(start: nil, count: 0)), from: self.id) }
            }
            return
        }
        var keys = params.count > 1 ? IRCCommaList(params[1]).makeIterator() : nil
        for channel in IRCCommaList(channels, omittingEmpty: true) {
            let key = keys?.next().flatMap { $0.isEmpty ? nil : $0 }
            guard let room = IRCChannel.room(channel) else {
                self.numeric(403, [String(decoding: channel.prefix(64), as: UTF8.self), "No such channel"])
                continue
            }
            if let name = self.state.roomName(room), self.state.isMember(self.id, of: name) { continue }
            self.state.perform(.join(room: room, leavingOthers: false, key: key), from: self.id)
            guard let name = self.state.roomName(room), self.state.isMember(self.id, of: name) else { continue }
            self.sendTopic(name, whenUnset: false)
            self.sendNames(name)
        }
    }

    private func part(_ params: IRCMessage.Params) {
        guard let channels = params.first else { return self.numeric(461, ["PART", "Not enough parameters"]) }
        let reason = params.count > 1 ? params[1] : WireText(start: nil, count: 0)
        for channel in IRCCommaList(channels, omittingEmpty: true) {
            guard let room = IRCChannel.room(channel), self.state.roomName(room) != nil else {
                self.numeric(403, [String(decoding: channel.prefix(64), as: UTF8.self), "No such channel"])
                continue
            }
            self.state.perform(.part(room: room, reason: reason), from: self.id)
        }
    }

    private func send(_ params: IRCMessage.Params, kind: MessageKind, command: String) {
        let notice = kind == .notice
        guard let targets = params.first, !targets.isEmpty else {
            if !notice { self.numeric(411, ["No recipient given (\(command))"]) }
            return
        }
        guard params.count > 1, !params[1].isEmpty else {
            if !notice { self.numeric(412, ["No text to send"]) }
            return
        }
        var text = params[1]
        var kind = kind
        if kind == .message, let action = CTCP.action(in: text) {
            kind = .action
            text = action
        }
        for target in IRCCommaList(targets, omittingEmpty: true) {
            if IRCChannel.isChannel(target) {
                guard let room = IRCChannel.room(target), let name = self.state.roomName(room) else {
                    if !notice { self.numeric(403, [String(decoding: target.prefix(64), as: UTF8.self), "No such channel"]) }
                    continue
                }
                guard self.state.isMember(self.id, of: name) else {
                    if !notice { self.numeric(404, ["#" + name.string, "Cannot send to channel"]) }
                    continue
                }
                self.state.perform(.send(kind, text: text, to: .room(room)), from: self.id)
                if self.capabilities.contains(.echoMessage), let nick = self.state.nickName(of: self.id) {
                    self.echo(.message(kind, room: name, from: nick, text: text))
                }
            } else {
                guard let recipient = self.state.client(named: target) else {
                    if !notice { self.numeric(401, [String(decoding: target.prefix(64), as: UTF8.self), "No such nick/channel"]) }
                    continue
                }
                self.state.perform(.send(kind, text: text, to: .nick(target)), from: self.id)
                if self.capabilities.contains(.echoMessage), let nick = self.state.nickName(of: self.id),
                    let to = self.state.nickName(of: recipient)
                {
                    self.echo(.privateMessage(kind, from: nick, to: to, text: text))
                }
                if !notice, let away = self.state.awayMessage(of: recipient), let to = self.state.nickName(of: recipient) {
                    self.numeric(301, [to.string, String(decoding: away, as: UTF8.self)])
                }
            }
        }
    }

    /// With `echo-message`, the sender gets its own message as the others see it.
    private func echo(_ event: ChatEvent) {
        let tagged = !self.capabilities.intersection(.tagged).isEmpty
        let encoder = IRCEventEncoder(config: self.config, state: self.state, wallClock: self.wallClock)
        self.output.write { encoder.encode(event, tagged: tagged, recipient: self.id, into: &$0) }
    }

    // MARK: Listings

    private func names(_ params: IRCMessage.Params) {
        guard let channels = params.first else {
            return self.numeric(366, ["*", "End of /NAMES list"])
        }
        for channel in IRCCommaList(channels, omittingEmpty: true) {
            if let room = IRCChannel.room(channel), let name = self.state.roomName(room) {
                self.sendNames(name)
            } else {
                self.numeric(366, [String(decoding: channel.prefix(64), as: UTF8.self), "End of /NAMES list"])
            }
        }
    }

    /// `353` lines (as many as fit) and `366` for one room.
    private func sendNames(_ room: Name) {
        let channel = "#" + room.string
        let members = self.state.members(of: room) ?? []
        let full = self.capabilities.contains(.userhostInNames)
        var entries: [String] = []
        for member in members {
            guard let nick = self.state.nickName(of: member)?.string else { continue }
            let prefix = self.prefix(self.state.status(of: member, in: room))
            entries.append(prefix + (full ? self.mask(of: member, nick: nick) : nick))
        }
        let me = self.me
        self.output.write { buffer in
            var start = 0
            while start < entries.count {
                var end = start
                var length = 0
                while end < entries.count && (end == start || length + entries[end].count + 1 < 400) {
                    length += entries[end].count + 1
                    end += 1
                }
                IRCEncoder.numeric(
                    353, server: self.config.serverName, target: me,
                    ["=", channel, entries[start..<end].joined(separator: " ")], alwaysTrailing: true, into: &buffer)
                start = end
            }
            IRCEncoder.numeric(366, server: self.config.serverName, target: me, [channel, "End of /NAMES list"], alwaysTrailing: true, into: &buffer)
        }
    }

    private func who(_ params: IRCMessage.Params) {
        let mask = params.first.map { String(decoding: $0, as: UTF8.self) } ?? "*"
        var rows: [(channel: String, id: ClientID)] = []
        if let first = params.first, IRCChannel.isChannel(first) {
            if let room = IRCChannel.room(first), let name = self.state.roomName(room) {
                rows = (self.state.members(of: name) ?? []).map { ("#" + name.string, $0) }
            }
        } else if let first = params.first, let client = self.state.client(named: first) {
            let channel = self.state.roomNames(of: client).first.map { "#" + $0.string } ?? "*"
            rows = [(channel, client)]
        }
        let me = self.me
        self.output.write { buffer in
            for row in rows {
                guard let nick = self.state.nickName(of: row.id)?.string else { continue }
                let identity = self.state.identity(of: row.id)
                var flags = self.state.awayMessage(of: row.id) == nil ? "H" : "G"
                if row.channel != "*", let room = Name(String(row.channel.dropFirst())) {
                    flags += self.prefix(self.state.status(of: row.id, in: room))
                }
                IRCEncoder.numeric(
                    352, server: self.config.serverName, target: me,
                    [row.channel, identity?.user ?? "line", identity?.host ?? "line", self.config.serverName, nick, flags,
                     "0 " + (identity?.realName ?? nick)], alwaysTrailing: true, into: &buffer)
            }
            IRCEncoder.numeric(315, server: self.config.serverName, target: me, [mask, "End of /WHO list"], alwaysTrailing: true, into: &buffer)
        }
    }

    private func whois(_ params: IRCMessage.Params) {
        guard let target = params.last else { return self.numeric(431, ["No nickname given"]) }
        let shown = String(decoding: target.prefix(64), as: UTF8.self)
        guard let client = self.state.client(named: target), let nick = self.state.nickName(of: client)?.string else {
            self.numeric(401, [shown, "No such nick/channel"])
            return self.numeric(318, [shown, "End of /WHOIS list"])
        }
        let identity = self.state.identity(of: client)
        self.numeric(311, [nick, identity?.user ?? "line", identity?.host ?? "line", "*", identity?.realName ?? nick])
        let rooms = self.state.roomNames(of: client).map { self.prefix(self.state.status(of: client, in: $0)) + "#" + $0.string }
        if !rooms.isEmpty { self.numeric(319, [nick, rooms.joined(separator: " ")]) }
        self.numeric(312, [nick, self.config.serverName, self.config.network])
        if let away = self.state.awayMessage(of: client) { self.numeric(301, [nick, String(decoding: away, as: UTF8.self)]) }
        self.numeric(318, [nick, "End of /WHOIS list"])
    }

    private func list() {
        let rooms = self.state.roomSummaries()
        let me = self.me
        self.output.write { buffer in
            IRCEncoder.numeric(321, server: self.config.serverName, target: me, ["Channel", "Users  Name"], into: &buffer)
            for room in rooms {
                IRCEncoder.numeric(
                    322, server: self.config.serverName, target: me, ["#" + room.name.string, String(room.members),
                     String(decoding: self.state.details(of: room.name)?.topic ?? [], as: UTF8.self)],
                    alwaysTrailing: true, into: &buffer)
            }
            IRCEncoder.numeric(323, server: self.config.serverName, target: me, ["End of /LIST"], alwaysTrailing: true, into: &buffer)
        }
    }

    private func lusers() {
        let users = self.state.admittedCount
        let unknown = self.state.counters.connections - users
        self.numeric(251, ["There are \(users) users and 0 invisible on 1 servers"])
        self.numeric(252, ["0", "operator(s) online"])
        if unknown > 0 { self.numeric(253, [String(unknown), "unknown connection(s)"]) }
        self.numeric(254, [String(self.state.roomCount), "channels formed"])
        self.numeric(255, ["I have \(users) clients and 0 servers"])
    }

    private func motd() {
        guard let lines = self.config.motd else { return self.numeric(422, ["MOTD File is missing"]) }
        self.numeric(375, ["- \(self.config.serverName) Message of the day - "])
        for text in lines { self.numeric(372, ["- " + text]) }
        self.numeric(376, ["End of /MOTD command."])
    }

    private func away(_ params: IRCMessage.Params) {
        let message = params.first ?? WireText(start: nil, count: 0)
        self.state.perform(.away(message: message), from: self.id)
        if message.isEmpty {
            self.numeric(305, ["You are no longer marked as being away"])
        } else {
            self.numeric(306, ["You have been marked as being away"])
        }
    }

    private func ison(_ params: IRCMessage.Params) {
        guard !params.isEmpty else { return self.numeric(461, ["ISON", "Not enough parameters"]) }
        var present: [String] = []
        for param in params {
            for word in param.split(separator: UInt8(ascii: " ")) {
                let bytes = Array(word)
                if let client = bytes.withUnsafeBytes({ self.state.client(named: $0) }),
                    let nick = self.state.nickName(of: client)
                {
                    present.append(nick.string)
                }
            }
        }
        self.numeric(303, [present.joined(separator: " ")])
    }

    private func userhost(_ params: IRCMessage.Params) {
        guard !params.isEmpty else { return self.numeric(461, ["USERHOST", "Not enough parameters"]) }
        var replies: [String] = []
        for param in params.prefix(5) {
            guard let client = self.state.client(named: param), let nick = self.state.nickName(of: client)?.string else {
                continue
            }
            let identity = self.state.identity(of: client)
            let away = self.state.awayMessage(of: client) == nil ? "+" : "-"
            replies.append("\(nick)=\(away)\(identity?.user ?? "line")@\(identity?.host ?? "line")")
        }
        self.numeric(302, [replies.joined(separator: " ")])
    }

    private func mode(_ params: IRCMessage.Params) {
        guard let target = params.first else { return self.numeric(461, ["MODE", "Not enough parameters"]) }
        guard IRCChannel.isChannel(target) else { return self.userMode(target, params) }
        guard let room = IRCChannel.room(target), let name = self.state.roomName(room),
            let details = self.state.details(of: name)
        else {
            return self.numeric(403, [String(decoding: target.prefix(64), as: UTF8.self), "No such channel"])
        }
        let channel = "#" + name.string
        guard params.count > 1 else {
            let (modes, arguments) = IRCModes.render(details.modes)
            self.numeric(324, [channel, modes.isEmpty ? "+" : modes] + arguments, trailing: false)
            return self.numeric(329, [channel, String(details.createdAt)], trailing: false)
        }
        // Parse "+o-v alice bob" into changes; a list query (b without an argument) is answered here.
        var arguments = params.dropFirst(2).map { String(decoding: $0, as: UTF8.self) }[...]
        var changes: [RoomModeChange] = []
        var adding = true
        for letter in String(decoding: params[1], as: UTF8.self) {
            if letter == "+" || letter == "-" {
                adding = letter == "+"
                continue
            }
            guard let mode = IRCModes.mode(letter) else {
                self.numeric(472, [String(letter), "is unknown mode char to me for \(channel)"])
                continue
            }
            if mode == .ban && arguments.isEmpty {
                for mask in details.bans { self.numeric(367, [channel, mask], trailing: false) }
                self.numeric(368, [channel, "End of channel ban list"])
                continue
            }
            var argument: String?
            if IRCModes.takesArgument(mode, adding: adding) {
                guard let next = arguments.popFirst() else {
                    self.numeric(461, ["MODE", "Not enough parameters"])
                    continue
                }
                argument = next
            }
            changes.append(RoomModeChange(adding: adding, mode: mode, argument: argument))
        }
        guard !changes.isEmpty else { return }
        self.state.perform(.setModes(room: room, changes: Array(changes.prefix(4))), from: self.id)
    }

    private func userMode(_ target: UnsafeRawBufferPointer, _ params: IRCMessage.Params) {
        guard let nick = self.state.nickName(of: self.id), Name(target, .nick)?.key == nick.key else {
            if self.state.client(named: target) == nil {
                return self.numeric(401, [String(decoding: target.prefix(64), as: UTF8.self), "No such nick/channel"])
            }
            return self.numeric(502, ["Can't change mode for other users"])
        }
        if params.count > 1 {
            // Only +i exists, and every user has it: nothing changes.
            let asked = String(decoding: params[1], as: UTF8.self)
            if asked.contains(where: { !"+-iwo".contains($0) }) { return self.numeric(501, ["Unknown MODE flag"]) }
            return
        }
        self.numeric(221, ["+i"], trailing: false)
    }

    private func topic(_ params: IRCMessage.Params) {
        guard let target = params.first else { return self.numeric(461, ["TOPIC", "Not enough parameters"]) }
        guard let room = IRCChannel.room(target), let name = self.state.roomName(room) else {
            return self.numeric(403, [String(decoding: target.prefix(64), as: UTF8.self), "No such channel"])
        }
        let channel = "#" + name.string
        guard params.count > 1 else {
            guard self.state.isMember(self.id, of: name) else {
                return self.numeric(442, [channel, "You're not on that channel"])
            }
            return self.sendTopic(name, whenUnset: true)
        }
        let text = UnsafeRawBufferPointer(rebasing: params[1].prefix(IRCServerConfig.topicLength))
        self.state.perform(.setTopic(room: room, text: text), from: self.id)
    }

    /// `332` and `333` for a room with a topic; `331` when it has none and `whenUnset` asks for it.
    private func sendTopic(_ name: Name, whenUnset: Bool) {
        guard let details = self.state.details(of: name) else { return }
        let channel = "#" + name.string
        guard !details.topic.isEmpty else {
            if whenUnset { self.numeric(331, [channel, "No topic is set"]) }
            return
        }
        self.numeric(332, [channel, String(decoding: details.topic, as: UTF8.self)])
        self.numeric(333, [channel, details.topicSetBy, String(details.topicSetAt)], trailing: false)
    }

    private func kick(_ params: IRCMessage.Params) {
        guard params.count >= 2 else { return self.numeric(461, ["KICK", "Not enough parameters"]) }
        guard let room = IRCChannel.room(params[0]), self.state.roomName(room) != nil else {
            return self.numeric(403, [String(decoding: params[0].prefix(64), as: UTF8.self), "No such channel"])
        }
        let reason = params.count > 2 ? params[2] : WireText(start: nil, count: 0)
        for nick in IRCCommaList(params[1], omittingEmpty: true) {
            self.state.perform(.kick(room: room, nick: nick, reason: reason), from: self.id)
        }
    }

    private func invite(_ params: IRCMessage.Params) {
        guard params.count >= 2 else { return self.numeric(461, ["INVITE", "Not enough parameters"]) }
        guard let room = IRCChannel.room(params[1]), self.state.roomName(room) != nil else {
            return self.numeric(403, [String(decoding: params[1].prefix(64), as: UTF8.self), "No such channel"])
        }
        guard self.state.client(named: params[0]) != nil else {
            return self.numeric(401, [String(decoding: params[0].prefix(64), as: UTF8.self), "No such nick/channel"])
        }
        self.state.perform(.invite(nick: params[0], room: room), from: self.id)
    }

    /// `@`, `+` or nothing; both with `multi-prefix`.
    private func prefix(_ status: MemberStatus) -> String {
        if self.capabilities.contains(.multiPrefix) {
            return (status.contains(.op) ? "@" : "") + (status.contains(.voice) ? "+" : "")
        }
        return status.contains(.op) ? "@" : status.contains(.voice) ? "+" : ""
    }

    // MARK: Output

    private func mask(of client: ClientID, nick: String) -> String {
        let identity = self.state.identity(of: client)
        return "\(nick)!\(identity?.user ?? "line")@\(identity?.host ?? "line")"
    }

    /// `:server NNN me params…`, the last parameter trailing unless `trailing` is false (then only
    /// when it must be).
    func numeric(_ code: Int, _ params: [String], trailing: Bool = true) {
        let me = self.me
        self.output.write { buffer in
            IRCEncoder.numeric(code, server: self.config.serverName, target: me, params, alwaysTrailing: trailing, into: &buffer)
        }
    }
}
