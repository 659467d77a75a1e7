// RoomTests: swap-remove membership, the nick registry and the room directory.

import Testing

@testable import ChatCore

@Suite struct RoomTests {
    static let line = Encoding(0)

    @Test("removing a member moves the last one of its partition into its slot")
    func swapRemove() throws {
        let room = Room(name: try #require(Name("r")))
        for raw in Int32(0)..<5 { #expect(room.add(ClientID(raw), encoding: Self.line) == Int(raw)) }
        #expect(room.remove(encoding: Self.line, slot: 1) == ClientID(4))
        #expect(Array(room.partitions[0]) == [0, 4, 2, 3].map(ClientID.init))
        #expect(room.remove(encoding: Self.line, slot: 3) == nil)
        #expect(Array(room.partitions[0]) == [0, 4, 2].map(ClientID.init))
        #expect(room.remove(encoding: Self.line, slot: 0) == ClientID(2))
        #expect(room.remove(encoding: Self.line, slot: 1) == nil)
        #expect(room.remove(encoding: Self.line, slot: 0) == nil)
        #expect(room.isEmpty)
    }

    @Test("members are kept apart by encoding, and the count spans every partition")
    func partitionsByEncoding() throws {
        let room = Room(name: try #require(Name("r")))
        #expect(room.add(ClientID(1), encoding: Encoding(2)) == 0)
        #expect(room.add(ClientID(2), encoding: Self.line) == 0)
        #expect(room.add(ClientID(3), encoding: Encoding(2)) == 1)
        #expect(room.count == 3)
        #expect(room.partitions.map(Array.init) == [[ClientID(2)], [], [ClientID(1), ClientID(3)]])
        #expect(room.remove(encoding: Encoding(2), slot: 0) == ClientID(3))
        #expect(room.partitions.map(Array.init) == [[ClientID(2)], [], [ClientID(3)]])
        #expect(room.count == 2)
    }
}

@Suite struct NickRegistryTests {
    @Test("guest nicks count up and skip names that are taken, ignoring case")
    func guestNicksSkipTaken() throws {
        var nicks = NickRegistry()
        let first = nicks.claimGuestNick(for: ClientID(1))
        #expect(first.string == "guest1")
        let taken = try #require(Name("GUEST2"))
        let guest1 = try #require(Name("guest1"))
        let renamed = nicks.rename(ClientID(1), from: guest1, to: taken)
        #expect(renamed)
        let second = nicks.claimGuestNick(for: ClientID(2))
        #expect(second.string == "guest3")
        #expect(nicks.count == 2)
    }

    @Test("renaming to a name someone else holds fails and changes nothing")
    func renameConflicts() throws {
        var nicks = NickRegistry()
        let first = nicks.claimGuestNick(for: ClientID(1))
        let second = nicks.claimGuestNick(for: ClientID(2))
        let clash = try #require(Name("Guest1"))
        let stolen = nicks.rename(ClientID(2), from: second, to: clash)
        #expect(!stolen)
        #expect(nicks.owner(of: second.key) == ClientID(2))
        let recased = nicks.rename(ClientID(1), from: first, to: clash)
        #expect(recased)
        #expect(nicks.owner(of: clash.key) == ClientID(1))
        nicks.release(clash)
        #expect(nicks.owner(of: first.key) == nil)
        #expect(nicks.count == 1)
    }
}

@Suite struct RoomDirectoryTests {
    @Test("rooms are found ignoring case and listed by name")
    func findAndList() throws {
        var rooms = RoomDirectory()
        let beta = rooms.findOrCreate(try #require(Name("Beta")))
        let alpha = rooms.findOrCreate(try #require(Name("alpha")))
        let found = rooms.findOrCreate(try #require(Name("BETA")))
        #expect(found === beta)
        #expect(rooms.sortedByName().map(\.name.string) == ["alpha", "Beta"])
        rooms.remove(alpha)
        #expect(rooms.count == 1)
    }
}
