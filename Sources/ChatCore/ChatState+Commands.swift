// ChatState+Commands: dispatch of commands, and the commands that are not chat lines.

extension ChatState {
    /// Carries out one command from an admitted client.
    @inline(__always)
    func dispatch(_ command: ChatCommand, from id: ClientID, _ client: Client) {
        switch command {
        case .send(let kind, let text, let target):
            self.send(kind, text, to: target, from: id, client)
        case .rename(let name):
            self.rename(id, client, to: name)
        case .join(let name, let leavingOthers, let key):
            self.join(id, client, name, leavingOthers: leavingOthers, key: key)
        case .setTopic(let room, let text):
            self.setTopic(id, client, room, text)
        case .setModes(let room, let changes):
            self.setModes(id, client, room, changes)
        case .kick(let room, let nick, let reason):
            self.kick(id, client, room, nick, reason: reason)
        case .invite(let nick, let room):
            self.invite(id, client, nick, room)
        case .part(let name, let reason):
            self.part(id, client, name, reason: reason)
        case .listRooms:
            let summaries = self.rooms.sortedByName().map { RoomSummary(name: $0.name, members: $0.count) }
            self.deliver(.roomList(summaries), to: id, client)
        case .listMembers(let name):
            self.listMembers(of: name, to: id, client)
        case .stats:
            self.deliver(.statistics(self.statistics), to: id, client)
        case .quit(let reason):
            self.quit(id, client, reason: reason)
        case .away(let message):
            self.setAway(id, client, message: message)
        }
    }

    /// Records or clears the away message and tells the client's peers (not the client itself).
    private func setAway(_ id: ClientID, _ client: Client, message: WireText) {
        let wasAway = self.awayMessages[id] != nil
        guard !message.isEmpty || wasAway else { return }
        self.awayMessages[id] = message.isEmpty ? nil : Array(message)
        self.observer?.chatAwayChanged(id, message: message)
        guard client.firstRoom != nil else { return }
        let limit = self.config.presenceLimit
        let event = ChatEvent.awayChanged(nick: client.nick, message: message)
        if client.roomCount == 1, let room = client.firstRoom {
            if room.count <= limit {
                self.deliver(event, toRoom: room, except: id, audience: .peers(of: id))
            }
            return
        }
        let rooms = client.rooms.filter { $0.count <= limit }
        guard !rooms.isEmpty else { return }
        self.peerScratch.collect(from: rooms, except: id)
        self.peerScratch.deliver(audience: .peers(of: id), groupedByRoom: false, to: self.sink) { _ in event }
    }

    /// Before admission a client may only choose its nick or leave.
    func dispatchUnregistered(_ command: ChatCommand, from id: ClientID, _ client: Client) {
        switch command {
        case .rename(let name):
            self.rename(id, client, to: name)
        case .quit(let reason):
            self.quit(id, client, reason: reason)
        default:
            self.deliver(.error(.notRegistered), to: id, client)
        }
    }

    /// The counters as ``ChatCommand/stats`` reports them.
    public var statistics: ChatStatistics {
        self.refreshCounters?(&self.counters)
        return ChatStatistics(
            counters: self.counters, rooms: self.rooms.count,
            uptimeSeconds: Int((self.clock() - self.startedAt) / 1000))
    }

    /// Takes the nick `raw` and tells everyone sharing a room with the client, itself included.
    ///
    /// Changing only the case of your own nick is a rename like any other. Asking for exactly the
    /// nick you have confirms it to you alone. Before admission a successful rename is silent: the
    /// nick is reserved, and the welcome will carry it.
    private func rename(_ id: ClientID, _ client: Client, to raw: WireText) {
        guard let name = Name(raw, .nick) else {
            self.deliver(.error(.badName(.nick)), to: id, client)
            return
        }
        let old = client.nick
        if client.hasNick && name == old {
            if client.isAdmitted { self.deliver(.renamed(old: old, new: name), to: id, client) }
            return
        }
        guard self.nicks.rename(id, from: client.hasNick ? old : nil, to: name, keyOf: { self.nickKey(of: $0) }) else {
            self.deliver(.error(.nickTaken(name)), to: id, client)
            return
        }
        client.nick = name
        client.hasNick = true
        if client.isAdmitted {
            self.announceToPeers(.renamed(old: old, new: name), of: id, client)
            self.observer?.chatRenamed(id, from: old, to: name)
        }
    }

    /// Enters the room `raw`; with `leavingOthers`, leaves every other room first (the leaver hears
    /// each departure).
    ///
    /// Joining a room you are in (ignoring case) changes nothing there and confirms it to you alone.
    private func join(_ id: ClientID, _ client: Client, _ raw: WireText, leavingOthers: Bool, key: WireText?) {
        guard let name = Name(raw) else {
            self.deliver(.error(.badName(.room)), to: id, client)
            return
        }
        let existing = self.rooms.find(name.key)
        if let observer = self.observer, !self.replaying, existing.map({ !client.isMember(of: $0) }) ?? true,
            observer.chatWillJoin(id, room: existing?.name ?? name, key: key)
        {
            return
        }
        if let existing, !client.isMember(of: existing), !self.replaying,
            let refusal = self.refusal(of: id, client, into: existing, key: key)
        {
            self.deliver(.error(.cannotJoin(room: existing.name, refusal)), to: id, client)
            return
        }
        if leavingOthers {
            while let room = client.firstRoom(otherThan: existing) {
                self.leave(id, client, room: room, reason: WireText(start: nil, count: 0), tellLeaver: true)
            }
        }
        if let existing, client.isMember(of: existing) {
            self.deliver(.joined(room: existing.name, nick: client.nick), to: id, client)
            return
        }
        self.enter(id, client, into: name)
    }

    /// Leaves the room `raw`; its members hear it, the leaver included.
    private func part(_ id: ClientID, _ client: Client, _ raw: WireText, reason: WireText) {
        guard let key = NameKey(validating: raw) else {
            self.deliver(.error(.badName(.room)), to: id, client)
            return
        }
        guard let room = self.rooms.find(key), client.isMember(of: room) else {
            self.deliver(.error(.notInRoom(raw)), to: id, client)
            return
        }
        self.leave(id, client, room: room, reason: reason, tellLeaver: true)
    }

    /// Lists the members of a room, ordered by nick ignoring case: the client's current room when
    /// `raw` is `nil`; a room that does not exist has no members.
    private func listMembers(of raw: WireText?, to id: ClientID, _ client: Client) {
        let room: Room?
        let name: Name
        if let raw {
            guard let named = Name(raw) else {
                self.deliver(.error(.badName(.room)), to: id, client)
                return
            }
            name = named
            room = self.rooms.find(named.key)
        } else {
            guard let current = client.firstRoom else {
                self.deliver(.error(.notInRoom(WireText(start: nil, count: 0))), to: id, client)
                return
            }
            name = current.name
            room = current
        }
        var nicks: [Name] = []
        room?.forEachMember { member, _ in
            if let member = self.client(member), member.hasNick { nicks.append(member.nick) }
        }
        nicks.sort { $0.key < $1.key }
        self.deliver(.memberList(room: room?.name ?? name, members: nicks), to: id, client)
    }

    /// Answers ``ChatEvent/bye(reason:)`` and asks the sink to flush and close.
    ///
    /// The client stays in its rooms until the glue calls ``disconnect(_:reason:)``; until then its
    /// further commands are ignored. Its departure then carries `reason`, or `quit` if none was given.
    private func quit(_ id: ClientID, _ client: Client, reason: WireText) {
        self.quitReasons[id] = reason.isEmpty ? Array("quit".utf8) : Array(reason)
        client.hasQuit = true
        self.deliver(.bye(reason: reason), to: id, client)
        self.sink.close(id)
    }
}
