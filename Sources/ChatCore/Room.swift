// Room: a named set of clients that receive each other's messages.

/// A chat room: its name and its members.
///
/// Members are kept in a dense array so that delivering a message is a walk over contiguous IDs.
/// Order is not meaningful: removal swaps the last member into the hole, which is O(1) as long as each
/// client remembers its slot (``Client/slot``). ``remove(at:)`` reports which member moved so the
/// caller can update that member's slot.
final class Room {
    /// The room's name, spelled as by the client that created it.
    let name: Name
    /// The members, in no particular order.
    private(set) var members: ContiguousArray<ClientID> = []

    init(name: Name) {
        self.name = name
    }

    var count: Int { self.members.count }
    var isEmpty: Bool { self.members.isEmpty }

    /// Adds `client` and returns its slot.
    func add(_ client: ClientID) -> Int {
        self.members.append(client)
        return self.members.count - 1
    }

    /// Removes the member in `slot`.
    ///
    /// - Returns: The member that was moved into `slot` to fill the hole, whose slot is now `slot`,
    ///   or `nil` if the removed member was the last one.
    func remove(at slot: Int) -> ClientID? {
        precondition(self.members.indices.contains(slot), "slot \(slot) is not in room \(self.name.string)")
        let last = self.members.removeLast()
        guard slot < self.members.count else { return nil }
        self.members[slot] = last
        return last
    }
}
