// Room: a named set of clients that receive each other's messages, partitioned by encoding.

/// A chat room: its name and its members, kept apart by the encoding each member needs.
///
/// Members are kept in dense arrays, one per ``Encoding``, so delivering a message is one walk over
/// contiguous IDs per encoding present and the event is rendered once per encoding. Order is not
/// meaningful: removal swaps the last member of the partition into the hole, which is O(1) as long as
/// each client remembers its slot (see ``Client``). ``remove(encoding:slot:)`` reports which member
/// moved so the caller can update that member's slot.
final class Room {
    /// The room's name, spelled as by the client that created it.
    let name: Name
    /// Members by ``Encoding/index``; the array only grows as far as the highest encoding seen.
    private(set) var partitions: ContiguousArray<ContiguousArray<ClientID>> = []
    /// Members over all partitions.
    private(set) var count = 0
    /// Topic, modes, operators, bans and invitations.
    let settings = RoomSettings()

    init(name: Name) {
        self.name = name
    }

    var isEmpty: Bool { self.count == 0 }

    /// Adds `client` to the partition of `encoding` and returns its slot there.
    func add(_ client: ClientID, encoding: Encoding) -> Int {
        let index = Int(encoding.index)
        if index >= self.partitions.count {
            self.partitions.append(contentsOf: repeatElement([], count: index + 1 - self.partitions.count))
        }
        self.partitions[index].append(client)
        self.count += 1
        return self.partitions[index].count - 1
    }

    /// Removes the member in `slot` of the partition of `encoding`.
    ///
    /// - Returns: The member that was moved into `slot` to fill the hole, whose slot is now `slot`,
    ///   or `nil` if the removed member was the partition's last one.
    func remove(encoding: Encoding, slot: Int) -> ClientID? {
        let index = Int(encoding.index)
        precondition(
            index < self.partitions.count && self.partitions[index].indices.contains(slot),
            "slot \(slot) of \(encoding) is not in room \(self.name.string)")
        self.count -= 1
        let last = self.partitions[index].removeLast()
        guard slot < self.partitions[index].count else { return nil }
        self.partitions[index][slot] = last
        return last
    }

    /// Calls `body` with every member, partition by partition.
    func forEachMember(_ body: (ClientID, Encoding) -> Void) {
        for index in self.partitions.indices {
            let encoding = Encoding(UInt8(index))
            for member in self.partitions[index] { body(member, encoding) }
        }
    }
}
