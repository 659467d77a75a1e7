// ChatState+Rooms: what operators do to rooms (topics, modes, kicks, invitations), and who may join.

extension ChatState {
    /// Why `client` may not join `room`, or `nil` if it may. An invitation overrides invite-only
    /// and bans, never the key or the limit.
    func refusal(of id: ClientID, _ client: Client, into room: Room, key: WireText?) -> JoinRefusal? {
        let settings = room.settings
        let invited = settings.invited.contains(id)
        if !invited && !settings.bans.isEmpty {
            let mask = self.mask(of: id, client)
            if settings.bans.contains(where: { Wildcard.matches($0, mask) }) { return .banned }
        }
        if settings.inviteOnly && !invited { return .inviteOnly }
        if let required = settings.key, key.map({ Array($0) }) != required { return .badKey }
        if let limit = settings.limit, room.count >= limit { return .full }
        return nil
    }

    /// `nick!user@host`, what bans match against.
    func mask(of id: ClientID, _ client: Client) -> String {
        let identity = self.identities[id]
        return "\(client.nick.string)!\(identity?.user ?? "line")@\(identity?.host ?? "line")"
    }

    /// The room `raw` names, if the client is in it; otherwise reports why not.
    private func memberRoom(_ id: ClientID, _ client: Client, _ raw: WireText) -> Room? {
        guard let key = NameKey(validating: raw) else {
            self.deliver(.error(.badName(.room)), to: id, client)
            return nil
        }
        guard let room = self.rooms.find(key), client.isMember(of: room) || self.replaying else {
            self.deliver(.error(.notInRoom(raw)), to: id, client)
            return nil
        }
        return room
    }

    func setTopic(_ id: ClientID, _ client: Client, _ raw: WireText, _ text: WireText) {
        guard let room = self.memberRoom(id, client, raw) else { return }
        let settings = room.settings
        guard !settings.topicLocked || settings.ops.contains(id) || self.replaying else {
            self.deliver(.error(.notOperator(room: room.name)), to: id, client)
            return
        }
        settings.topic = Array(text)
        settings.topicSetBy = self.mask(of: id, client)
        settings.topicSetAt = self.wallClock()
        self.deliver(.topicChanged(room: room.name, by: client.nick, text: text), toRoom: room, except: nil)
        self.observer?.chatTopicChanged(room: room.name, by: id, text: text)
    }

    func setModes(_ id: ClientID, _ client: Client, _ raw: WireText, _ changes: [RoomModeChange]) {
        guard let room = self.memberRoom(id, client, raw) else { return }
        let settings = room.settings
        guard settings.ops.contains(id) || self.replaying else {
            self.deliver(.error(.notOperator(room: room.name)), to: id, client)
            return
        }
        var applied: [RoomModeChange] = []
        for change in changes {
            if let done = self.apply(change, to: room, by: id, client) { applied.append(done) }
        }
        guard !applied.isEmpty else { return }
        self.deliver(.modeChanged(room: room.name, by: client.nick, changes: applied), toRoom: room, except: nil)
        self.observer?.chatModesChanged(room: room.name, by: id, changes: applied)
    }

    /// Applies one change; returns it as applied (arguments normalised), or `nil` if it changed nothing.
    private func apply(_ change: RoomModeChange, to room: Room, by id: ClientID, _ client: Client) -> RoomModeChange? {
        let settings = room.settings
        let on = change.adding
        switch change.mode {
        case .inviteOnly:
            guard settings.inviteOnly != on else { return nil }
            settings.inviteOnly = on
        case .moderated:
            guard settings.moderated != on else { return nil }
            settings.moderated = on
        case .noOutsideMessages:
            guard settings.noOutsideMessages != on else { return nil }
            settings.noOutsideMessages = on
        case .topicLocked:
            guard settings.topicLocked != on else { return nil }
            settings.topicLocked = on
        case .key:
            if on {
                guard let key = change.argument, !key.isEmpty, !key.contains(" ") else { return nil }
                settings.key = Array(key.utf8)
                return RoomModeChange(adding: true, mode: .key, argument: key)
            }
            guard settings.key != nil else { return nil }
            settings.key = nil
            return RoomModeChange(adding: false, mode: .key, argument: "*")
        case .limit:
            if on {
                guard let text = change.argument, let limit = Int(text), limit > 0 else { return nil }
                settings.limit = limit
                return RoomModeChange(adding: true, mode: .limit, argument: String(limit))
            }
            guard settings.limit != nil else { return nil }
            settings.limit = nil
        case .ban:
            guard let mask = change.argument, !mask.isEmpty else { return nil }
            let normalised = Self.normaliseMask(mask)
            if on {
                guard !settings.bans.contains(where: { $0.lowercased() == normalised.lowercased() }) else { return nil }
                settings.bans.append(normalised)
            } else {
                guard let index = settings.bans.firstIndex(where: { $0.lowercased() == normalised.lowercased() }) else {
                    return nil
                }
                // Reported as it was stored, not as the remover spelled it.
                return RoomModeChange(adding: false, mode: .ban, argument: settings.bans.remove(at: index))
            }
            return RoomModeChange(adding: on, mode: .ban, argument: normalised)
        case .op, .voice:
            guard let nick = change.argument else { return nil }
            var bytes = Array(nick.utf8)
            guard let target = bytes.withUnsafeMutableBytes({ self.client(named: UnsafeRawBufferPointer($0)) }),
                let member = self.client(target), member.isMember(of: room)
            else {
                bytes.withUnsafeBytes { self.deliver(.error(.userNotInRoom(nick: $0, room: room.name)), to: id, client) }
                return nil
            }
            if change.mode == .op {
                guard settings.ops.contains(target) != on else { return nil }
                if on { settings.ops.insert(target) } else { settings.ops.remove(target) }
            } else {
                guard settings.voices.contains(target) != on else { return nil }
                if on { settings.voices.insert(target) } else { settings.voices.remove(target) }
            }
            return RoomModeChange(adding: on, mode: change.mode, argument: member.nick.string)
        }
        return RoomModeChange(adding: on, mode: change.mode)
    }

    /// A ban mask completed to `nick!user@host`: `bob` is `bob!*@*`, `*@host` is `*!*@host`.
    static func normaliseMask(_ mask: String) -> String {
        var mask = mask
        if !mask.contains("!") && !mask.contains("@") { mask += "!*@*" }
        if !mask.contains("@") { mask += "@*" }
        if !mask.contains("!") { mask = "*!" + mask }
        return mask
    }

    func kick(_ id: ClientID, _ client: Client, _ raw: WireText, _ nick: WireText, reason: WireText) {
        guard let room = self.memberRoom(id, client, raw) else { return }
        guard room.settings.ops.contains(id) || self.replaying else {
            self.deliver(.error(.notOperator(room: room.name)), to: id, client)
            return
        }
        guard let target = self.client(named: nick), let member = self.client(target), member.isMember(of: room) else {
            self.deliver(.error(.userNotInRoom(nick: nick, room: room.name)), to: id, client)
            return
        }
        let name = room.name
        self.deliver(.kicked(room: name, nick: member.nick, by: client.nick, reason: reason), toRoom: room, except: nil)
        self.removeMember(target, member, from: room)
        self.observer?.chatKicked(target, room: name, by: id, reason: reason)
        if member.isLobbyBound && member.firstRoom == nil {
            self.enter(target, member, into: self.rooms.find(self.lobby.key)?.name ?? self.lobby)
        }
    }

    func invite(_ id: ClientID, _ client: Client, _ nick: WireText, _ raw: WireText) {
        guard let room = self.memberRoom(id, client, raw) else { return }
        if room.settings.inviteOnly && !room.settings.ops.contains(id) && !self.replaying {
            self.deliver(.error(.notOperator(room: room.name)), to: id, client)
            return
        }
        guard let target = self.client(named: nick), let invitee = self.client(target) else {
            self.deliver(.error(.noSuchNick(nick)), to: id, client)
            return
        }
        guard !invitee.isMember(of: room) else {
            self.deliver(.error(.alreadyInRoom(nick: invitee.nick, room: room.name)), to: id, client)
            return
        }
        if room.settings.invited.insert(target).inserted {
            self.invitations[target, default: []].append(room)
        }
        let event = ChatEvent.invited(room: room.name, nick: invitee.nick, by: client.nick)
        self.deliver(event, to: target, invitee)
        self.deliver(event, to: id, client)
        self.observer?.chatInvited(target, room: room.name, by: id)
    }
}

/// A room's state as listings and IRC's numerics show it.
public struct RoomDetails: Sendable {
    public var name: Name
    public var topic: [UInt8]
    /// `nick!user@host` of whoever set the topic, and when (wall-clock seconds).
    public var topicSetBy: String
    public var topicSetAt: Int64
    public var createdAt: Int64
    /// The flag and argument modes set (`+iklmnt`), in that order.
    public var modes: [RoomModeChange]
    public var bans: [String]
    public var members: Int
}

extension ChatState {
    /// The topic, modes and bans of the room `name`, or `nil` if it does not exist.
    public func details(of name: Name) -> RoomDetails? {
        guard let room = self.rooms.find(name.key) else { return nil }
        let settings = room.settings
        return RoomDetails(
            name: room.name, topic: settings.topic, topicSetBy: settings.topicSetBy, topicSetAt: settings.topicSetAt,
            createdAt: settings.createdAt, modes: settings.flagModes, bans: settings.bans, members: room.count)
    }

    /// `client`'s standing in the room `name`: operator, voiced, or neither.
    public func status(of client: ClientID, in name: Name) -> MemberStatus {
        self.rooms.find(name.key)?.settings.status(of: client) ?? []
    }
}
