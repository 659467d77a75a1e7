// ChatState+Delivery: handing events to the sink, per audience and per encoding, and room membership.

extension ChatState {
    /// Hands `event` to the sink for one client.
    func deliver(_ event: ChatEvent, to id: ClientID, _ client: Client) {
        var recipient = id
        _ = withUnsafePointer(to: &recipient) { pointer in
            self.sink.deliver(
                event,
                to: Recipients(
                    audience: .client(id), encoding: client.encoding,
                    clients: UnsafeBufferPointer(start: pointer, count: 1), excluded: nil))
        }
    }

    /// Hands `event` to the sink once per encoding present in `room`, for every member but `excluded`.
    ///
    /// This is the inner loop of the server: the sink renders once per call and walks the
    /// partition's IDs through a buffer pointer. Nothing can reshape the room meanwhile: disconnects
    /// the sink requests are deferred until the current entry point returns.
    ///
    /// - Returns: The number of recipients the sink reached.
    @discardableResult
    func deliver(_ event: ChatEvent, toRoom room: Room, except excluded: ClientID?, audience: Audience? = nil)
        -> Int
    {
        let audience = audience ?? .room(room.name, except: excluded)
        var delivered = 0
        for index in room.partitions.indices {
            // Nobody to render for: an empty partition, or one holding only the sender.
            let count = room.partitions[index].count
            guard count > 1 || (count == 1 && room.partitions[index][0] != excluded) else { continue }
            delivered += room.partitions[index].withUnsafeBufferPointer { members in
                self.sink.deliver(
                    event,
                    to: Recipients(
                        audience: audience, encoding: Encoding(UInt8(index)), clients: members, excluded: excluded))
            }
        }
        return delivered
    }

    /// Sends presence about `actor`, a current member of `room`, to the room.
    ///
    /// Rooms up to ``ChatConfig/presenceLimit`` members (counting the actor) hear it. In a bigger
    /// room announcing would make every arrival cost O(members), so only the actor gets it, as
    /// confirmation.
    ///
    /// - Parameter includingActor: Whether the actor hears it too.
    func announce(_ event: ChatEvent, in room: Room, by actor: ClientID, _ client: Client, includingActor: Bool = true) {
        if room.count <= self.config.presenceLimit {
            self.deliver(event, toRoom: room, except: includingActor ? nil : actor)
        } else if includingActor {
            self.deliver(event, to: actor, client)
        }
    }

    /// Sends `event` about `actor` to everyone sharing a room with it, each once, and to the actor.
    ///
    /// Rooms above ``ChatConfig/presenceLimit`` members are left out; if that leaves the actor alone
    /// (or it is in no room), it still hears the event, as confirmation.
    func announceToPeers(_ event: ChatEvent, of actor: ClientID, _ client: Client) {
        let limit = self.config.presenceLimit
        guard client.roomCount > 1 else {
            if let room = client.firstRoom, room.count <= limit {
                self.deliver(event, toRoom: room, except: nil, audience: .peers(of: actor))
            } else {
                self.deliver(event, to: actor, client)
            }
            return
        }
        let rooms = client.rooms.filter { $0.count <= limit }
        guard !rooms.isEmpty else {
            self.deliver(event, to: actor, client)
            return
        }
        self.peerScratch.collect(from: rooms, except: nil)
        self.peerScratch.deliver(audience: .peers(of: actor), groupedByRoom: false, to: self.sink) { _ in event }
    }

    /// Tells everyone sharing a room with a departing client that it left the server, each once.
    ///
    /// The event names a room the recipient shared with it (the first one joined, for a recipient
    /// sharing several), so it is rendered once per room and encoding rather than once per encoding.
    func announceDeparture(of actor: ClientID, _ client: Client, reason: WireText) {
        let limit = self.config.presenceLimit
        let nick = client.nick
        guard client.roomCount > 1 else {
            if let room = client.firstRoom, room.count <= limit {
                self.deliver(
                    .quit(nick: nick, reason: reason, room: room.name), toRoom: room, except: actor,
                    audience: .peers(of: actor))
            }
            return
        }
        let rooms = client.rooms.filter { $0.count <= limit }
        guard !rooms.isEmpty else { return }
        self.peerScratch.collect(from: rooms, except: actor)
        self.peerScratch.deliver(audience: .peers(of: actor), groupedByRoom: true, to: self.sink) { order in
            .quit(nick: nick, reason: reason, room: rooms[order].name)
        }
    }

    /// Puts a client into the room named `name` (creating it), then announces the arrival.
    func enter(_ id: ClientID, _ client: Client, into name: Name) {
        let isNew = self.rooms.find(name.key) == nil
        let room = self.rooms.findOrCreate(name)
        if isNew {
            // Whoever creates a room runs it; one made here for another node's client takes the
            // state (operators included) of where it lives.
            if !self.replaying { room.settings.ops.insert(id) }
            room.settings.createdAt = self.wallClock()
            if !self.pendingInvitations.isEmpty { self.honourPendingInvitations(to: room) }
        }
        if room.settings.invited.remove(id) != nil {
            self.invitations[id]?.removeAll { $0 === room }
        }
        client.joined(room, slot: room.add(id, encoding: client.encoding))
        self.announce(.joined(room: room.name, nick: client.nick), in: room, by: id, client)
        self.observer?.chatJoined(id, room: room.name)
    }

    /// Announces that the client leaves `room`, then takes it out and deletes the room if now empty.
    ///
    /// - Parameters:
    ///   - reason: The reason; empty for none.
    ///   - tellLeaver: Whether the leaver hears its own departure.
    func leave(_ id: ClientID, _ client: Client, room: Room, reason: WireText, tellLeaver: Bool) {
        self.announce(
            .parted(room: room.name, nick: client.nick, reason: reason), in: room, by: id, client,
            includingActor: tellLeaver)
        self.observer?.chatLeft(id, room: room.name, reason: reason)
        self.removeMember(id, client, from: room)
    }

    /// Takes the client out of `room` without a word, and deletes the room if it is now empty.
    func removeMember(_ id: ClientID, _ client: Client, from room: Room) {
        room.settings.forget(id)
        self.detach(id, client, from: room)
        if room.isEmpty {
            self.rooms.remove(room)
        }
    }

    /// Takes the client out of `room`'s partition and forgets the membership; the room stays.
    func detach(_ id: ClientID, _ client: Client, from room: Room) {
        let slot = client.left(room)
        if let moved = room.remove(encoding: client.encoding, slot: slot) {
            self.client(moved)?.moved(in: room, to: slot)
        }
    }
}

/// The recipients of an event to several rooms at once, deduplicated and grouped by encoding.
///
/// Reused between events, so a rename or departure allocates only while the scratch space grows.
/// Deduplication sorts (O(n log n) in the rooms' total size) instead of marking clients, because a
/// mark would cost every client a field, and these events are rare next to messages.
struct PeerScratch {
    /// One entry per membership seen: who, which room (by position in the list given), which encoding.
    private var entries: [(client: ClientID, order: Int32, encoding: UInt8)] = []
    private var group: ContiguousArray<ClientID> = []

    /// Gathers every member of `rooms` but `excluded`, keeping each client's first room only.
    mutating func collect(from rooms: [Room], except excluded: ClientID?) {
        self.entries.removeAll(keepingCapacity: true)
        for (order, room) in rooms.enumerated() {
            room.forEachMember { member, encoding in
                if member != excluded { self.entries.append((member, Int32(order), encoding.index)) }
            }
        }
        self.entries.sort { ($0.client.raw, $0.order) < ($1.client.raw, $1.order) }
        var kept = 0
        for entry in self.entries where kept == 0 || self.entries[kept - 1].client != entry.client {
            self.entries[kept] = entry
            kept += 1
        }
        self.entries.removeLast(self.entries.count - kept)
    }

    /// Hands the collected clients to `sink`, once per encoding, or once per (room, encoding) when
    /// `grouped` (the event then names the room: `event(order)` builds it for the room in that position).
    mutating func deliver(
        audience: Audience, groupedByRoom grouped: Bool, to sink: any ChatSink, _ event: (Int) -> ChatEvent
    ) {
        if grouped {
            self.entries.sort { ($0.order, $0.encoding) < ($1.order, $1.encoding) }
        } else {
            self.entries.sort { $0.encoding < $1.encoding }
        }
        var start = 0
        while start < self.entries.count {
            let first = self.entries[start]
            var end = start
            self.group.removeAll(keepingCapacity: true)
            while end < self.entries.count && self.entries[end].encoding == first.encoding
                && (!grouped || self.entries[end].order == first.order)
            {
                self.group.append(self.entries[end].client)
                end += 1
            }
            let rendered = event(Int(first.order))
            _ = self.group.withUnsafeBufferPointer { clients in
                sink.deliver(
                    rendered,
                    to: Recipients(
                        audience: audience, encoding: Encoding(first.encoding), clients: clients, excluded: nil))
            }
            start = end
        }
    }
}
