// IRCConnection+Channels: JOIN, PART, NAMES, LIST, TOPIC, KICK, INVITE and channel MODE.

import ChatCore
import Codec
import IRCProtocol

extension IRCConnection {
    func join(_ params: IRCMessage.Params) {
        guard let channels = params.first, !channels.isEmpty else {
            return self.numeric(461, ["JOIN", "Not enough parameters"])
        }
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
                self.numeric(403, [Self.shown(channel), "No such channel"])
                continue
            }
            if let name = self.state.roomName(room), self.state.isMember(self.id, of: name) { continue }
            self.state.perform(.join(room: room, leavingOthers: false, key: key), from: self.id)
            guard let name = self.state.roomName(room), self.state.isMember(self.id, of: name) else { continue }
            // No RPL_NOTOPIC on joining: a channel without a topic says nothing about it (Modern).
            self.sendTopic(name, whenUnset: false)
            self.sendNames(name)
            self.announceAwayOnJoin(name)
        }
    }

    /// `away-notify`: members of `room` that asked for it hear that this client, arriving away, is away.
    private func announceAwayOnJoin(_ room: Name) {
        guard let away = self.state.awayMessage(of: self.id), let nick = self.state.nickName(of: self.id) else {
            return
        }
        for member in self.state.members(of: room) ?? [] where member != self.id {
            guard let other = self.directory[member], other.capabilities.contains(.awayNotify) else { continue }
            let style = other.style
            away.withUnsafeBytes { message in
                other.output.write { buffer in
                    self.encoder.encode(.awayChanged(nick: nick, message: message), style: style, recipient: nil, into: &buffer)
                }
            }
        }
    }

    func part(_ params: IRCMessage.Params) {
        guard let channels = params.first, !channels.isEmpty else {
            return self.numeric(461, ["PART", "Not enough parameters"])
        }
        let reason = params.count > 1 ? params[1] : WireText(start: nil, count: 0)
        for channel in IRCCommaList(channels, omittingEmpty: true) {
            guard let room = IRCChannel.room(channel), self.state.roomName(room) != nil else {
                self.numeric(403, [Self.shown(channel), "No such channel"])
                continue
            }
            self.state.perform(.part(room: room, reason: reason), from: self.id)
        }
    }

    /// `NAMES #a[,#b…]`: the `353`s of each channel that exists, then one `366` naming the list as
    /// given (RFC 2812); `366` alone for none.
    func names(_ params: IRCMessage.Params) {
        guard let channels = params.first, !channels.isEmpty else {
            return self.numeric(366, ["*", "End of /NAMES list"])
        }
        var several = false
        for (index, channel) in IRCCommaList(channels, omittingEmpty: true).prefix(IRCServerConfig.maxTargets).enumerated() {
            several = index > 0
            if let room = IRCChannel.room(channel), let name = self.state.roomName(room) {
                self.sendNames(name, end: false)
            }
        }
        self.numeric(366, [Self.shown(channels, limit: several ? 512 : 64), "End of /NAMES list"])
    }

    /// `353` lines (as many as fit) and, with `end`, `366` for one room.
    func sendNames(_ room: Name, end: Bool = true) {
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
                while end < entries.count && (end == start || length + entries[end].utf8.count + 1 < 400) {
                    length += entries[end].utf8.count + 1
                    end += 1
                }
                IRCEncoder.numeric(
                    353, server: self.serverName, target: me,
                    ["=", channel, entries[start..<end].joined(separator: " ")], alwaysTrailing: true, into: &buffer)
                start = end
            }
            guard end else { return }
            IRCEncoder.numeric(366, server: self.serverName, target: me, [channel, "End of /NAMES list"], alwaysTrailing: true, into: &buffer)
        }
    }

    /// `LIST` or `LIST #a,#b`: 321, a 322 per channel, 323.
    func list(_ params: IRCMessage.Params) {
        var rooms = self.state.roomSummaries()
        if let filter = params.first, !filter.isEmpty, IRCChannel.isChannel(filter) {
            var wanted: [NameKey] = []
            for channel in IRCCommaList(filter, omittingEmpty: true) {
                if let room = IRCChannel.room(channel), let key = NameKey(validating: room) { wanted.append(key) }
            }
            rooms = rooms.filter { wanted.contains($0.name.key) }
        }
        let me = self.me
        self.output.write { buffer in
            IRCEncoder.numeric(321, server: self.serverName, target: me, ["Channel", "Users  Name"], into: &buffer)
            for room in rooms {
                IRCEncoder.numeric(
                    322, server: self.serverName, target: me,
                    ["#" + room.name.string, String(room.members),
                     String(decoding: self.state.details(of: room.name)?.topic ?? [], as: UTF8.self)],
                    alwaysTrailing: true, into: &buffer)
            }
            IRCEncoder.numeric(323, server: self.serverName, target: me, ["End of /LIST"], alwaysTrailing: true, into: &buffer)
        }
    }

    func topic(_ params: IRCMessage.Params) {
        guard let target = params.first, !target.isEmpty else {
            return self.numeric(461, ["TOPIC", "Not enough parameters"])
        }
        guard let room = IRCChannel.room(target), let name = self.state.roomName(room) else {
            return self.numeric(403, [Self.shown(target), "No such channel"])
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
    func sendTopic(_ name: Name, whenUnset: Bool) {
        guard let details = self.state.details(of: name) else { return }
        let channel = "#" + name.string
        guard !details.topic.isEmpty else {
            if whenUnset { self.numeric(331, [channel, "No topic is set"]) }
            return
        }
        self.numeric(332, [channel, String(decoding: details.topic, as: UTF8.self)])
        self.numeric(333, [channel, details.topicSetBy, String(details.topicSetAt)], trailing: false)
    }

    /// `KICK #c nick[,nick…] [reason]`, or `KICK #a,#b nick1,nick2`: each channel with its nick.
    func kick(_ params: IRCMessage.Params) {
        guard params.count >= 2, !params[0].isEmpty, !params[1].isEmpty else {
            return self.numeric(461, ["KICK", "Not enough parameters"])
        }
        let reason = params.count > 2 ? params[2] : WireText(start: nil, count: 0)
        let channels = Array(IRCCommaList(params[0], omittingEmpty: true))
        let nicks = Array(IRCCommaList(params[1], omittingEmpty: true).prefix(IRCServerConfig.maxTargets))
        guard channels.count == 1 || channels.count == nicks.count else {
            return self.numeric(461, ["KICK", "Not enough parameters"])
        }
        for (index, nick) in nicks.enumerated() {
            let channel = channels[channels.count == 1 ? 0 : index]
            guard let room = IRCChannel.room(channel), self.state.roomName(room) != nil else {
                self.numeric(403, [Self.shown(channel), "No such channel"])
                continue
            }
            self.state.perform(.kick(room: room, nick: nick, reason: reason), from: self.id)
        }
    }

    func invite(_ params: IRCMessage.Params) {
        guard params.count >= 2 else { return self.numeric(461, ["INVITE", "Not enough parameters"]) }
        guard let room = IRCChannel.room(params[1]), self.state.roomName(room) != nil else {
            return self.numeric(403, [Self.shown(params[1]), "No such channel"])
        }
        guard self.state.client(named: params[0]) != nil else {
            return self.numeric(401, [Self.shown(params[0]), "No such nick/channel"])
        }
        self.state.perform(.invite(nick: params[0], room: room), from: self.id)
    }

    /// `MODE #channel [changes [arguments…]]`: the modes (324, 329), a ban list query (367/368), or
    /// changes for ChatCore to apply (at most 4, `MODES=4`).
    func channelMode(_ target: UnsafeRawBufferPointer, _ params: IRCMessage.Params) {
        guard let room = IRCChannel.room(target), let name = self.state.roomName(room),
            let details = self.state.details(of: name)
        else {
            return self.numeric(403, [Self.shown(target), "No such channel"])
        }
        let channel = "#" + name.string
        guard params.count > 1 else {
            let (modes, arguments) = IRCModes.render(details.modes)
            self.numeric(324, [channel, modes.isEmpty ? "+" : modes] + arguments, trailing: false)
            return self.numeric(329, [channel, String(details.createdAt)], trailing: false)
        }
        // Parse "+o-v alice bob" into changes; a list query (b without an argument) is answered here.
        var arguments = params.dropFirst(2)[...]
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
                // One word, as it will be echoed as a middle parameter: a trailing one could be
                // empty or hold spaces (ERR_INVALIDMODEPARAM).
                guard !next.isEmpty, next[0] != UInt8(ascii: ":"), !next.contains(UInt8(ascii: " ")) else {
                    self.numeric(696, [channel, String(letter), "*", "Invalid mode parameter"])
                    continue
                }
                if mode == .op || mode == .voice, self.state.client(named: next) == nil {
                    self.numeric(401, [Self.shown(next), "No such nick/channel"])
                    continue
                }
                argument = String(decoding: next, as: UTF8.self)
            }
            changes.append(RoomModeChange(adding: adding, mode: mode, argument: argument))
        }
        guard !changes.isEmpty else { return }
        self.state.perform(.setModes(room: room, changes: Array(changes.prefix(4))), from: self.id)
    }
}
