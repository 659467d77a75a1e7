// RoomDirectory: the rooms that currently exist, by case-folded name.

/// The existing rooms. A room exists while it has members.
struct RoomDirectory {
    private var rooms: [NameKey: Room] = [:]

    /// The number of rooms.
    var count: Int { self.rooms.count }

    /// The room with this key, if it exists.
    func find(_ key: NameKey) -> Room? {
        self.rooms[key]
    }

    /// The room named `name` (ignoring case), created if it does not exist yet.
    mutating func findOrCreate(_ name: Name) -> Room {
        if let room = self.rooms[name.key] { return room }
        let room = Room(name: name)
        self.rooms[name.key] = room
        return room
    }

    /// Forgets `room`; called when its last member leaves.
    mutating func remove(_ room: Room) {
        precondition(room.isEmpty, "only empty rooms are removed")
        self.rooms[room.name.key] = nil
    }

    /// All rooms ordered by name, ignoring case. O(n log n): only for listings.
    func sortedByName() -> [Room] {
        self.rooms.values.sorted { $0.name.key < $1.name.key }
    }
}
