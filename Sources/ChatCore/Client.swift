// Client: what the chat domain knows about one connected client.

/// One of a client's room memberships: the room and the client's slot in its partition there.
struct Membership {
    let room: Room
    var slot: Int32
}

/// One connected client: its nick, encoding, registration state, and the rooms it is in.
///
/// A class rather than a struct because the message path reads it once per line: fetching a
/// reference out of ``ChatState``'s client table is one retain. Its size is per connected client, so
/// the layout is packed by hand: the one-byte fields and the first slot fill the padding after the
/// 33-byte nick, and the first membership is stored inline, because a line-protocol client (and most
/// IRC clients most of the time) has exactly one; further memberships go to an array allocated only
/// for clients in several rooms. That keeps the object at 72 bytes.
final class Client {
    /// The client's nick; meaningless until ``hasNick``.
    var nick: Name
    /// Which rendering the client needs; its memberships sit in this partition of each room.
    private(set) var encoding: Encoding
    private var flags: UInt8 = 0
    private var firstSlot: Int32 = 0
    /// The earliest-joined room the client is still in: the line protocol's "your room".
    private(set) var firstRoom: Room?
    /// Memberships after the first, in the order joined; `nil` while there are none.
    private var others: ContiguousArray<Membership>?

    private static let admittedFlag: UInt8 = 1
    private static let quitFlag: UInt8 = 2
    private static let nickFlag: UInt8 = 4
    private static let lobbyBoundFlag: UInt8 = 8

    init(encoding: Encoding) {
        self.nick = Name.placeholder
        self.encoding = encoding
    }

    /// Admitted: registration is complete and the client may chat.
    var isAdmitted: Bool {
        get { self.flags & Self.admittedFlag != 0 }
        set { self.set(Self.admittedFlag, newValue) }
    }

    /// Set once the client asks to quit: later requests are ignored.
    var hasQuit: Bool {
        get { self.flags & Self.quitFlag != 0 }
        set { self.set(Self.quitFlag, newValue) }
    }

    /// Whether ``nick`` holds a claimed nick (a client may register without choosing one).
    var hasNick: Bool {
        get { self.flags & Self.nickFlag != 0 }
        set { self.set(Self.nickFlag, newValue) }
    }

    /// Admitted into the lobby: its front end expects it always to be in a room (the line
    /// protocol), so losing its last room otherwise (a kick) puts it back in the lobby.
    var isLobbyBound: Bool {
        get { self.flags & Self.lobbyBoundFlag != 0 }
        set { self.set(Self.lobbyBoundFlag, newValue) }
    }

    private func set(_ flag: UInt8, _ on: Bool) {
        if on { self.flags |= flag } else { self.flags &= ~flag }
    }

    /// The number of rooms the client is in.
    var roomCount: Int {
        self.firstRoom == nil ? 0 : 1 + (self.others?.count ?? 0)
    }

    /// The rooms the client is in, in the order joined.
    var rooms: [Room] {
        guard let first = self.firstRoom else { return [] }
        return [first] + (self.others?.map(\.room) ?? [])
    }

    /// The earliest-joined room other than `excluded`, without building the list of rooms.
    func firstRoom(otherThan excluded: Room?) -> Room? {
        if let first = self.firstRoom, first !== excluded { return first }
        return self.others?.first { $0.room !== excluded }?.room
    }

    func isMember(of room: Room) -> Bool {
        if self.firstRoom === room { return true }
        return self.others?.contains { $0.room === room } ?? false
    }

    /// Records a membership the client has just been given in `room`.
    func joined(_ room: Room, slot: Int) {
        if self.firstRoom == nil {
            self.firstRoom = room
            self.firstSlot = Int32(slot)
        } else {
            if self.others == nil { self.others = [] }
            self.others!.append(Membership(room: room, slot: Int32(slot)))
        }
    }

    /// Forgets the membership in `room` and returns the slot it had.
    func left(_ room: Room) -> Int {
        if self.firstRoom === room {
            let slot = Int(self.firstSlot)
            if var others = self.others, !others.isEmpty {
                let next = others.removeFirst()
                self.firstRoom = next.room
                self.firstSlot = next.slot
                self.others = others.isEmpty ? nil : others
            } else {
                self.firstRoom = nil
            }
            return slot
        }
        guard let index = self.others?.firstIndex(where: { $0.room === room }) else {
            preconditionFailure("not a member of \(room.name.string)")
        }
        let slot = Int(self.others![index].slot)
        self.others!.remove(at: index)
        if self.others!.isEmpty { self.others = nil }
        return slot
    }

    /// The client's slot in `room`'s partition.
    func slot(in room: Room) -> Int {
        if self.firstRoom === room { return Int(self.firstSlot) }
        guard let membership = self.others?.first(where: { $0.room === room }) else {
            preconditionFailure("not a member of \(room.name.string)")
        }
        return Int(membership.slot)
    }

    /// Updates the client's slot in `room` after another member was swapped out of the way.
    func moved(in room: Room, to slot: Int) {
        if self.firstRoom === room {
            self.firstSlot = Int32(slot)
            return
        }
        guard let index = self.others?.firstIndex(where: { $0.room === room }) else {
            preconditionFailure("not a member of \(room.name.string)")
        }
        self.others![index].slot = Int32(slot)
    }

    /// Changes the encoding; the caller moves the memberships between partitions.
    func setEncoding(_ encoding: Encoding) {
        self.encoding = encoding
    }
}
