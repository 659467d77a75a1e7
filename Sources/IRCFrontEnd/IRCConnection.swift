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
/// ``IRCEventEncoder``. What it knows of other IRC clients (capabilities, user modes) it finds in
/// the server's ``IRCDirectory``. Pure: no sockets, so tests drive it with a recording output.
public final class IRCConnection {
    // Layout: one of these lives as long as each IRC client, so its size is per connection (at
    // 10,000 idle clients every 16 bytes are 160 KB). Swift lays stored properties out in
    // declaration order: the 4-byte id, the 2-byte capabilities and the flags byte share the first
    // word after the object header, then the output (a class existential, two words), the
    // directory, and the two times in 32 bits: 56 bytes, malloc's 64-byte class (it was 144, a
    // 160-byte chunk). What is reachable from the directory is not stored here: the server's
    // ChatState and renderer (``IRCDirectory/encoder``), and what registration needs only until
    // it is over (the host, `USER`, `PASS`, `CAP` negotiation: ``IRCDirectory/Registration``).

    public let id: ClientID
    /// Capabilities the client enabled.
    public private(set) var capabilities: IRCCapabilities = []
    private var flags: UInt8 = 0
    unowned(unsafe) let output: any IRCOutput
    unowned(unsafe) let directory: IRCDirectory
    /// Wall-clock seconds of registration and of the client's last message (for idle times), in
    /// 32 bits: unsigned seconds since 1970 last until 2106.
    private var signedOn: UInt32 = 0
    private var lastSpoke: UInt32 = 0

    private static let registeredFlag: UInt8 = 1
    private static let invisibleFlag: UInt8 = 2
    private static let quitFlag: UInt8 = 4

    /// Whether registration is complete.
    public private(set) var isRegistered: Bool {
        get { self.flags & Self.registeredFlag != 0 }
        set { self.set(Self.registeredFlag, newValue) }
    }
    /// User mode `+i`: left out of `WHO` masks by clients sharing no channel with it.
    public internal(set) var isInvisible: Bool {
        get { self.flags & Self.invisibleFlag != 0 }
        set { self.set(Self.invisibleFlag, newValue) }
    }
    /// Set by `QUIT` and by a refused password: later lines are ignored.
    private(set) var hasQuit: Bool {
        get { self.flags & Self.quitFlag != 0 }
        set { self.set(Self.quitFlag, newValue) }
    }

    private func set(_ flag: UInt8, _ on: Bool) {
        if on { self.flags |= flag } else { self.flags &= ~flag }
    }

    /// Wall-clock seconds of registration.
    var signedOnAt: Int64 { Int64(self.signedOn) }
    /// Wall-clock seconds of the client's last message (its registration until it sends one).
    var lastSpokeAt: Int64 {
        get { Int64(self.lastSpoke) }
        set { self.lastSpoke = UInt32(clamping: newValue) }
    }

    /// The server's renderer, shared: it renders this client's echoes and relays too.
    var encoder: IRCEventEncoder { self.directory.encoder }
    var state: ChatState { self.directory.encoder.state }

    /// - Parameters:
    ///   - state: The server's chat state; it must be `encoder`'s.
    ///   - encoder: The server's renderer; every connection of one directory has the same.
    ///   - host: The client's host, shown in its `nick!user@host` once it has registered.
    public init(
        id: ClientID, state: ChatState, output: any IRCOutput, encoder: IRCEventEncoder, directory: IRCDirectory,
        host: String
    ) {
        precondition(state === encoder.state, "an IRC connection's state is its encoder's")
        self.id = id
        self.output = output
        self.directory = directory
        directory.add(self, encoder: encoder)
        directory.startRegistration(
            of: id, IRCDirectory.Registration(host: host, passwordOK: encoder.config.password == nil))
    }

    /// The connection is gone: forget it.
    public func closed() {
        self.directory.remove(self.id)
        self.directory.endRegistration(of: self.id)
    }

    var config: IRCServerConfig { self.encoder.config }
    var serverName: String { self.encoder.config.serverName }
    var nowSeconds: Int64 { self.encoder.wallClock() / 1000 }

    /// The nick to address numerics to: the client's, or `*` before it has one.
    var me: String { self.state.nick(of: self.id) ?? "*" }

    /// The longest line a client may send, tags included, before the framer discards it.
    public static let maxLineLength = 4096 + 512

    // MARK: Input

    /// Handles one line without its CR LF.
    public func handle(line: UnsafeRawBufferPointer) {
        guard !self.hasQuit else { return }
        switch IRCParser.parse(line, limits: .fromClient) {
        case .failure(let error):
            switch error {
            case .empty, .forbiddenByte: return
            case .tagsTooLong, .lineTooLong: self.numeric(417, ["Input line was too long"])
            case .noCommand, .badCommand:
                self.numeric(421, [Self.shown(IRCParser.commandWord(in: line), limit: 32), "Unknown command"])
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
            guard let token = params.first, !token.isEmpty else {
                return self.numeric(409, ["No origin specified"])
            }
            self.output.write { buffer in
                var line = IRCLineWriter(buffer)
                line.source(string: self.serverName, into: &buffer)
                line.command("PONG", into: &buffer)
                line.param(string: self.serverName, into: &buffer)
                line.lastParam(token, into: &buffer)
                line.finish(into: &buffer)
            }
        case "PONG": return
        case "QUIT": self.quit(params.first ?? WireText(start: nil, count: 0))
        default:
            guard self.isRegistered else {
                return self.numeric(451, ["You have not registered"])
            }
            self.registered(message)
        }
    }

    private func registered(_ message: IRCMessage) {
        let params = message.params
        switch message.command {
        case "JOIN": self.join(params)
        case "PART": self.part(params)
        case "PRIVMSG": self.send(message, kind: .message)
        case "NOTICE": self.send(message, kind: .notice)
        case "TAGMSG": self.tagMessage(message)
        case "NAMES": self.names(params)
        case "WHO": self.who(params)
        case "WHOIS": self.whois(params)
        case "LIST": self.list(params)
        case "LUSERS": self.lusers()
        case "MOTD": self.motd()
        case "AWAY": self.away(params)
        case "ISON": self.ison(params)
        case "USERHOST": self.userhost(params)
        case "MODE": self.mode(params)
        case "TOPIC": self.topic(params)
        case "KICK": self.kick(params)
        case "INVITE": self.invite(params)
        case "TIME": self.numeric(391, [self.serverName, IRCTime.format(self.encoder.wallClock())])
        case "VERSION":
            self.numeric(351, [self.config.version, self.serverName, "Switchboard, a chat server on an epoll reactor"])
            let me = self.me
            self.output.write { self.encoder.isupport(for: me, into: &$0) }
        case "INFO":
            self.numeric(371, ["\(self.config.version): line chat and IRC on the same rooms"])
            self.numeric(371, ["Server started \(self.config.created)"])
            self.numeric(374, ["End of INFO list"])
        default:
            self.numeric(421, [Self.shown(message.commandBytes, limit: 32), "Unknown command"])
        }
    }

    /// `QUIT`: `ERROR` to the client, then its departure is announced at once (not when the
    /// socket has finished closing), so everyone sharing a channel hears the `QUIT` now.
    private func quit(_ reason: WireText) {
        self.hasQuit = true
        self.state.perform(.quit(reason: reason), from: self.id)
        self.state.disconnect(self.id, reason: nil)
    }

    // MARK: Registration

    private func cap(_ params: IRCMessage.Params) {
        guard let sub = params.first.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
            return self.numeric(461, ["CAP", "Not enough parameters"])
        }
        switch sub {
        case "LS":
            if !self.isRegistered { self.directory.updateRegistration(of: self.id) { $0.negotiating = true } }
            let list = IRCCapabilities.all.map(\.name).joined(separator: " ")
            self.capReply("LS", list)
        case "LIST":
            self.capReply("LIST", self.capabilities.names)
        case "REQ":
            if !self.isRegistered { self.directory.updateRegistration(of: self.id) { $0.negotiating = true } }
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
            guard ok, !text.trimmingSpaces.isEmpty else { return self.capReply("NAK", text) }
            let before = self.encodings.encoding(for: self.capabilities)
            self.capabilities.subtract(disable)
            self.capabilities.formUnion(enable)
            self.capReply("ACK", text)
            let after = self.encodings.encoding(for: self.capabilities)
            if before != after { self.output.setEncoding(after) }
        case "END":
            guard !self.isRegistered else { return }
            self.directory.updateRegistration(of: self.id) { $0.negotiating = false }
            self.completeRegistration()
        default:
            self.numeric(410, [Self.shown(sub, limit: 32), "Invalid CAP command"])
        }
    }

    var encodings: IRCEncodings { self.directory.encodings }

    /// How this client's lines are tagged.
    var style: IRCEventEncoder.Style { self.encodings.style(of: self.encodings.encoding(for: self.capabilities)) }

    private func capReply(_ sub: String, _ text: String) {
        let me = self.me
        self.output.write { buffer in
            IRCEncoder.encode(
                source: self.serverName, command: "CAP", params: [me, sub, text], alwaysTrailing: true,
                into: &buffer)
        }
    }

    private func pass(_ params: IRCMessage.Params) {
        guard !self.isRegistered else { return self.numeric(462, ["You may not reregister"]) }
        guard let given = params.first, !given.isEmpty else {
            return self.numeric(461, ["PASS", "Not enough parameters"])
        }
        if let password = self.config.password {
            let ok = Array(password.utf8) == Array(given)
            self.directory.updateRegistration(of: self.id) { $0.passwordOK = ok }
        }
    }

    private func nick(_ params: IRCMessage.Params) {
        guard let raw = params.first, !raw.isEmpty else { return self.numeric(431, ["No nickname given"]) }
        guard Name(raw, .nick) != nil else {
            return self.numeric(432, [Self.shown(raw), "Erroneous nickname"])
        }
        // The nick the client has, spelled the same: nothing to do and nothing to say.
        if let current = self.state.nickName(of: self.id), current.withBytes({ $0.elementsEqual(raw) }) {
            if !self.isRegistered { self.completeRegistration() }
            return
        }
        self.state.perform(.rename(to: raw), from: self.id)
        if !self.isRegistered { self.completeRegistration() }
    }

    private func user(_ params: IRCMessage.Params) {
        guard !self.isRegistered else { return self.numeric(462, ["You may not reregister"]) }
        guard params.count >= 4, !params[0].isEmpty, !params[3].isEmpty else {
            return self.numeric(461, ["USER", "Not enough parameters"])
        }
        let name = String(decoding: params[0].prefix(16), as: UTF8.self).filter { $0 != "@" && $0 != "!" }
        let user = "~" + (name.isEmpty ? "user" : name)
        let realName = String(decoding: params[3], as: UTF8.self)
        self.directory.updateRegistration(of: self.id) { $0.user = (user, realName) }
        self.completeRegistration()
    }

    /// Admits the client once it has a nick and a user and is not negotiating capabilities.
    private func completeRegistration() {
        guard !self.isRegistered, let registration = self.directory.registration(of: self.id),
            !registration.negotiating, let user = registration.user, self.state.nick(of: self.id) != nil
        else {
            return
        }
        guard registration.passwordOK else {
            self.numeric(464, ["Password incorrect"])
            self.output.write { buffer in
                IRCEventEncoder.closing("Bad password", into: &buffer)
            }
            self.hasQuit = true
            self.output.close()
            return
        }
        self.isRegistered = true
        self.directory.endRegistration(of: self.id)
        self.signedOn = UInt32(clamping: self.nowSeconds)
        self.lastSpoke = self.signedOn
        self.state.setIdentity(
            self.id, ClientIdentity(user: user.name, host: registration.host, realName: user.realName))
        self.state.admit(self.id, joiningLobby: false)
        self.lusers()
        self.motd()
    }

    // MARK: Output

    /// `nick!user@host` of `client`.
    func mask(of client: ClientID, nick: String) -> String {
        let identity = self.state.identity(of: client)
        return "\(nick)!\(identity?.user ?? "line")@\(identity?.host ?? "line")"
    }

    /// `:server NNN me params…`, the last parameter trailing unless `trailing` is false (then only
    /// when it must be).
    ///
    /// Middle parameters that echo what a client sent are made safe to write (see ``safeMiddle(_:)``).
    func numeric(_ code: Int, _ params: [String], trailing: Bool = true) {
        let me = self.me
        let params = Self.safeParams(params)
        self.output.write { buffer in
            IRCEncoder.numeric(code, server: self.serverName, target: me, params, alwaysTrailing: trailing, into: &buffer)
        }
    }

    /// `@`, `+` or nothing; both with `multi-prefix`.
    func prefix(_ status: MemberStatus) -> String {
        if self.capabilities.contains(.multiPrefix) {
            return (status.contains(.op) ? "@" : "") + (status.contains(.voice) ? "+" : "")
        }
        return status.contains(.op) ? "@" : status.contains(.voice) ? "+" : ""
    }

    /// Every parameter but the last made a valid middle parameter.
    static func safeParams(_ params: [String]) -> [String] {
        guard params.count > 1 else { return params }
        var params = params
        for index in 0..<(params.count - 1) { params[index] = Self.safeMiddle(params[index]) }
        return params
    }

    /// `text` as one middle parameter: spaces become `_`, leading `:`s are dropped, and an empty
    /// result is `*`. A client can put anything in a trailing parameter (`JOIN :a b`), and replies
    /// quote it in the middle.
    static func safeMiddle(_ text: String) -> String {
        var text = Substring(text)
        while text.first == ":" { text = text.dropFirst() }
        guard !text.isEmpty else { return "*" }
        guard text.contains(" ") else { return String(text) }
        return String(text.map { $0 == " " ? "_" : $0 })
    }

    /// What a client sent, for quoting in a reply: at most `limit` bytes, as text.
    static func shown(_ bytes: UnsafeRawBufferPointer, limit: Int = 64) -> String {
        String(decoding: bytes.prefix(limit), as: UTF8.self)
    }

    static func shown(_ text: String, limit: Int) -> String {
        String(decoding: Array(text.utf8.prefix(limit)), as: UTF8.self)
    }
}

extension String {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
