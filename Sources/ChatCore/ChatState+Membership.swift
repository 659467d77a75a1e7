// ChatState+Membership: entering and leaving rooms, presence lines, and delivering encoded lines.

extension ChatState {
    /// Encodes `reply` into the scratch buffer and queues it for one client.
    func send(_ reply: Reply, to client: ClientID, transport: any ChatTransport) {
        self.scratch.encode(reply)
        transport.send(self.scratch.bytes, to: client)
    }

    /// Sends `ERR <code> <text>` to one client.
    func sendError(_ code: ErrorCode, _ text: String, to client: ClientID, transport: any ChatTransport) {
        self.send(.error(code, text), to: client, transport: transport)
    }

    /// Encodes `reply` once and queues the same bytes for every member of `room` but `excluded`.
    ///
    /// - Returns: The number of recipients.
    @discardableResult
    func broadcast(_ reply: Reply, in room: Room, except excluded: ClientID?, transport: any ChatTransport) -> Int {
        self.scratch.encode(reply)
        return self.deliverScratch(in: room, except: excluded, transport: transport)
    }

    /// Queues the line already in the scratch buffer for every member of `room` but `excluded`.
    ///
    /// This is the inner loop of the server. The members are walked through a buffer pointer, and
    /// nothing can reshape the room meanwhile: disconnects requested by the transport are deferred
    /// until the current entry point returns.
    ///
    /// - Returns: The number of recipients.
    func deliverScratch(in room: Room, except excluded: ClientID?, transport: any ChatTransport) -> Int {
        let line = self.scratch.bytes
        return room.members.withUnsafeBufferPointer { ids in
            transport.broadcast(line, to: ids, except: excluded)
        }
    }

    /// Sends a presence line (`JOIN`, `PART`, `NICK`) about `actor`, a current member of `room`.
    ///
    /// Rooms up to ``ChatConfig/presenceLimit`` members (counting the actor) hear it. In a bigger room
    /// announcing would make every arrival cost O(members), so only the actor gets it, as confirmation.
    ///
    /// - Parameter includingActor: Whether the actor hears the line too; `false` for a disconnect,
    ///   where the actor is gone.
    func announce(
        _ reply: Reply, in room: Room, by actor: ClientID, includingActor: Bool = true, transport: any ChatTransport
    ) {
        if room.count <= self.config.presenceLimit {
            self.scratch.encode(reply)
            let line = self.scratch.bytes
            _ = room.members.withUnsafeBufferPointer { ids in
                transport.announce(line, to: ids, except: includingActor ? nil : actor)
            }
        } else if includingActor {
            self.send(reply, to: actor, transport: transport)
        }
    }

    /// Puts a client that has just left its room into the room named `name` (creating it), then
    /// announces `JOIN`.
    func enter(_ id: ClientID, _ client: Client, into name: Name, transport: any ChatTransport) {
        let room = self.rooms.findOrCreate(name)
        client.room = room
        client.slot = room.add(id)
        self.announce(.join(room: room.name, nick: client.nick), in: room, by: id, transport: transport)
    }

    /// Announces `PART`, then takes the client out of its room and deletes the room if it is now empty.
    ///
    /// The client's record keeps pointing at the old room until the caller moves it or removes it.
    ///
    /// - Parameters:
    ///   - reason: The `PART` reason; empty for none.
    ///   - tellLeaver: Whether the leaver hears its own `PART` (yes for `/join`, no for a disconnect).
    func leaveRoom(_ id: ClientID, reason: [UInt8], tellLeaver: Bool, transport: any ChatTransport) {
        guard let client = self.client(id) else { return }
        let room = client.room
        self.announce(
            .part(room: room.name, nick: client.nick, reason: reason), in: room, by: id,
            includingActor: tellLeaver, transport: transport)
        if let moved = room.remove(at: client.slot) {
            self.client(moved)?.slot = client.slot
        }
        if room.isEmpty {
            self.rooms.remove(room)
        }
    }
}
