// IRCConnection+Users: WHO (with WHOX), WHOIS, ISON, USERHOST, AWAY, user MODE, LUSERS and MOTD.

import ChatCore
import Codec
import IRCProtocol

extension IRCConnection {
    // MARK: WHO

    /// One `WHO` answer line: the channel shown (or `*`) and the client.
    private struct WhoRow {
        let channel: String
        let client: ClientID
        /// The room of ``channel``, for the member's prefix.
        var room: Name? = nil
    }

    /// `WHO mask [flags][%fields[,token]]`: `352` per match (`354` with WHOX fields), then `315`.
    ///
    /// A channel lists its members; a nick without wildcards, its holder (even `+i`); a mask (`*`,
    /// `?`) every client whose nick, user, host, real name or server matches, leaving out `+i`
    /// clients that share no channel with the asker.
    func who(_ params: IRCMessage.Params) {
        let given = params.first.flatMap { $0.isEmpty ? nil : $0 }
        let maskText = given.map { Self.shown($0, limit: 64) } ?? "*"
        var fields: Set<UInt8>?
        var token = "0"
        var opersOnly = false
        if params.count > 1 {
            let options = Array(params[1])
            let percent = options.firstIndex(of: UInt8(ascii: "%")) ?? options.count
            opersOnly = options[..<percent].contains(UInt8(ascii: "o"))
            if percent < options.count {
                let spec = options[(percent + 1)...]
                let comma = spec.firstIndex(of: UInt8(ascii: ",")) ?? spec.endIndex
                fields = Set(spec[..<comma])
                let tokenBytes = comma < spec.endIndex ? spec[(comma + 1)...] : []
                if (1...3).contains(tokenBytes.count) && tokenBytes.allSatisfy({ (0x30...0x39).contains($0) }) {
                    token = String(decoding: tokenBytes, as: UTF8.self)
                }
            }
        }
        var rows: [WhoRow] = []
        if !opersOnly {
            if let mask = given, IRCChannel.isChannel(mask) {
                if let room = IRCChannel.room(mask), let name = self.state.roomName(room) {
                    let channel = "#" + name.string
                    let inside = self.state.isMember(self.id, of: name)
                    for member in self.state.members(of: name) ?? [] where inside || !self.isHidden(member) {
                        rows.append(WhoRow(channel: channel, client: member, room: name))
                    }
                }
            } else if let mask = given, !Self.hasWildcard(mask), !mask.elementsEqual("0".utf8) {
                if let client = self.state.client(named: mask) { rows.append(WhoRow(channel: "*", client: client)) }
            } else {
                let pattern = given.map { $0.elementsEqual("0".utf8) ? Array("*".utf8) : Array($0) } ?? Array("*".utf8)
                for client in self.everyone() where !self.isHidden(client) && self.whoMatches(pattern, client) {
                    rows.append(WhoRow(channel: "*", client: client))
                }
            }
        }
        for row in rows {
            guard let nick = self.state.nickName(of: row.client)?.string else { continue }
            let identity = self.state.identity(of: row.client)
            let user = identity?.user ?? "line"
            let host = identity?.host ?? "line"
            let realName = identity?.realName ?? nick
            var flags = self.state.awayMessage(of: row.client) == nil ? "H" : "G"
            if let room = row.room { flags += self.prefix(self.state.status(of: row.client, in: room)) }
            guard let fields else {
                self.numeric(352, [row.channel, user, host, self.serverName, nick, flags, "0 " + realName])
                continue
            }
            var values: [String] = []
            for field in "tcuihsnfdlaor".utf8 where fields.contains(field) {
                switch field {
                case UInt8(ascii: "t"): values.append(token)
                case UInt8(ascii: "c"): values.append(row.channel)
                case UInt8(ascii: "u"): values.append(user)
                case UInt8(ascii: "i"): values.append(Self.isAddress(host) ? host : "255.255.255.255")
                case UInt8(ascii: "h"): values.append(host)
                case UInt8(ascii: "s"): values.append(self.serverName)
                case UInt8(ascii: "n"): values.append(nick)
                case UInt8(ascii: "f"): values.append(flags)
                case UInt8(ascii: "d"): values.append("0")
                case UInt8(ascii: "l"): values.append(String(self.idleSeconds(of: row.client)))
                case UInt8(ascii: "a"): values.append("0")
                case UInt8(ascii: "o"): values.append("n/a")
                default: values.append(realName)
                }
            }
            if values.isEmpty { continue }
            self.numeric(354, values)
        }
        self.numeric(315, [maskText, "End of /WHO list"])
    }

    /// Every admitted client: the IRC ones, and the others through the rooms they are in.
    private func everyone() -> [ClientID] {
        var seen = Set<Int32>()
        var clients: [ClientID] = []
        for connection in self.directory.registered where seen.insert(connection.id.raw).inserted {
            clients.append(connection.id)
        }
        for room in self.state.roomSummaries() {
            for member in self.state.members(of: room.name) ?? [] where seen.insert(member.raw).inserted {
                clients.append(member)
            }
        }
        return clients
    }

    /// Whether `client` is `+i` and shares no channel with this client (so masks do not find it).
    private func isHidden(_ client: ClientID) -> Bool {
        guard client != self.id, let other = self.directory[client], other.isInvisible else { return false }
        let mine = Set(self.state.roomNames(of: self.id).map(\.key))
        return !self.state.roomNames(of: client).contains { mine.contains($0.key) }
    }

    private func whoMatches(_ pattern: [UInt8], _ client: ClientID) -> Bool {
        guard let nick = self.state.nickName(of: client) else { return false }
        if nick.withBytes({ Wildcard.matches(pattern, $0) }) { return true }
        guard let identity = self.state.identity(of: client) else { return false }
        for text in [identity.user, identity.host, identity.realName, self.serverName] {
            var text = text
            if text.withUTF8({ Wildcard.matches(pattern, UnsafeRawBufferPointer($0)) }) { return true }
        }
        return false
    }

    private static func hasWildcard(_ mask: UnsafeRawBufferPointer) -> Bool {
        mask.contains(UInt8(ascii: "*")) || mask.contains(UInt8(ascii: "?"))
    }

    /// Whether `host` is a numeric address (WHOX `i`).
    private static func isAddress(_ host: String) -> Bool {
        !host.isEmpty
            && host.utf8.allSatisfy {
                $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 &- 0x30 < 10 || ($0 | 0x20) &- 0x61 < 6
            }
    }

    /// Seconds since `client` last sent a message (IRC clients), or 0.
    private func idleSeconds(of client: ClientID) -> Int64 {
        guard let other = self.directory[client] else { return 0 }
        return max(0, self.nowSeconds - other.lastSpokeAt)
    }

    // MARK: WHOIS

    /// `WHOIS [server] nick[,nick…]`: 311, 319, 312, 301, 317 for each, or 401; then 318.
    func whois(_ params: IRCMessage.Params) {
        guard let targets = params.last, !targets.isEmpty else {
            return self.numeric(431, ["No nickname given"])
        }
        for target in IRCCommaList(targets, omittingEmpty: true).prefix(8) {
            let shown = Self.shown(target)
            guard let client = self.state.client(named: target), let nick = self.state.nickName(of: client)?.string
            else {
                self.numeric(401, [shown, "No such nick/channel"])
                self.numeric(318, [shown, "End of /WHOIS list"])
                continue
            }
            let identity = self.state.identity(of: client)
            self.numeric(311, [nick, identity?.user ?? "line", identity?.host ?? "line", "*", identity?.realName ?? nick])
            let rooms = self.state.roomNames(of: client).map {
                self.prefix(self.state.status(of: client, in: $0)) + "#" + $0.string
            }
            if !rooms.isEmpty { self.numeric(319, [nick, rooms.joined(separator: " ")]) }
            self.numeric(312, [nick, self.serverName, self.config.network])
            if let away = self.state.awayMessage(of: client) {
                self.numeric(301, [nick, String(decoding: away, as: UTF8.self)])
            }
            if let other = self.directory[client] {
                self.numeric(
                    317, [nick, String(self.idleSeconds(of: client)), String(other.signedOnAt), "seconds idle, signon time"])
            }
            self.numeric(318, [nick, "End of /WHOIS list"])
        }
    }

    // MARK: Presence queries

    func away(_ params: IRCMessage.Params) {
        let message = params.first ?? WireText(start: nil, count: 0)
        self.state.perform(.away(message: message), from: self.id)
        if message.isEmpty {
            self.numeric(305, ["You are no longer marked as being away"])
        } else {
            self.numeric(306, ["You have been marked as being away"])
        }
    }

    func ison(_ params: IRCMessage.Params) {
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

    func userhost(_ params: IRCMessage.Params) {
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

    // MARK: Modes

    /// `MODE target …`: a channel's (see ``channelMode(_:_:)``) or the client's own user modes.
    func mode(_ params: IRCMessage.Params) {
        guard let target = params.first, !target.isEmpty else {
            return self.numeric(461, ["MODE", "Not enough parameters"])
        }
        if IRCChannel.isChannel(target) { return self.channelMode(target, params) }
        guard let nick = self.state.nickName(of: self.id) else { return }
        guard Name(target, .nick)?.key == nick.key else {
            guard self.state.client(named: target) != nil else {
                return self.numeric(401, [Self.shown(target), "No such nick/channel"])
            }
            let what = params.count > 1 ? "change" : "view"
            return self.numeric(502, ["Can't \(what) mode for other users"])
        }
        guard params.count > 1 else { return self.numeric(221, [self.isInvisible ? "+i" : "+"], trailing: false) }
        var adding = true
        var applied = ""
        var appliedSign: Character?
        var unknown = false
        for byte in params[1] {
            switch byte {
            case UInt8(ascii: "+"): adding = true
            case UInt8(ascii: "-"): adding = false
            case UInt8(ascii: "i"):
                guard self.isInvisible != adding else { continue }
                self.isInvisible = adding
                let sign: Character = adding ? "+" : "-"
                if appliedSign != sign { applied.append(sign) }
                appliedSign = sign
                applied.append("i")
            case UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "w"):
                // Operator status is never granted by MODE, and nobody has it to drop; there are
                // no wallops to receive.
                continue
            default:
                unknown = true
            }
        }
        if unknown { self.numeric(501, ["Unknown MODE flag"]) }
        guard !applied.isEmpty else { return }
        let source = self.mask(of: self.id, nick: nick.string)
        self.output.write { buffer in
            IRCEncoder.encode(source: source, command: "MODE", params: [nick.string, applied], alwaysTrailing: true, into: &buffer)
        }
    }

    // MARK: Server

    func lusers() {
        let users = self.state.admittedCount
        let unknown = max(0, self.state.counters.connections - users)
        let invisible = self.directory.registered.reduce(0) { $0 + ($1.isInvisible ? 1 : 0) }
        self.directory.maxUsers = max(self.directory.maxUsers, users)
        let most = self.directory.maxUsers
        self.numeric(251, ["There are \(users - invisible) users and \(invisible) invisible on 1 servers"])
        self.numeric(252, ["0", "operator(s) online"])
        if unknown > 0 { self.numeric(253, [String(unknown), "unknown connection(s)"]) }
        self.numeric(254, [String(self.state.roomCount), "channels formed"])
        self.numeric(255, ["I have \(users) clients and 0 servers"])
        // The counts are in the text only: Modern makes the two number parameters optional.
        self.numeric(265, ["Current local users \(users), max \(most)"])
        self.numeric(266, ["Current global users \(users), max \(most)"])
    }

    func motd() {
        guard let lines = self.config.motd else { return self.numeric(422, ["MOTD File is missing"]) }
        self.numeric(375, ["- \(self.serverName) Message of the day - "])
        for text in lines { self.numeric(372, ["- " + text]) }
        self.numeric(376, ["End of /MOTD command."])
    }
}
