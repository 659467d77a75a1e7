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

/// A ``NickRegistry`` with what ChatState keeps beside it: each client's nick, which the registry
/// asks for to confirm a lookup.
struct NickBook {
    var registry: NickRegistry
    var held: [ClientID: Name] = [:]

    init(hash: ((NameKey) -> UInt32)? = nil) {
        self.registry = hash.map { NickRegistry(hash: $0) } ?? NickRegistry()
    }

    func owner(_ name: Name) -> ClientID? {
        self.registry.owner(of: name.key) { self.held[$0]?.key }
    }

    mutating func claimGuest(_ client: ClientID) -> Name {
        let held = self.held
        let name = self.registry.claimGuestNick(for: client) { held[$0]?.key }
        self.held[client] = name
        return name
    }

    mutating func rename(_ client: ClientID, to name: Name) -> Bool {
        let held = self.held
        guard self.registry.rename(client, from: held[client], to: name, keyOf: { held[$0]?.key }) else { return false }
        self.held[client] = name
        return true
    }

    mutating func release(_ client: ClientID) {
        guard let name = self.held.removeValue(forKey: client) else { return }
        self.registry.release(name, of: client)
    }
}

@Suite struct NickRegistryTests {
    @Test("guest nicks count up and skip names that are taken, ignoring case")
    func guestNicksSkipTaken() throws {
        var nicks = NickBook()
        let first = nicks.claimGuest(ClientID(1))
        #expect(first.string == "guest1")
        let renamed = nicks.rename(ClientID(1), to: try #require(Name("GUEST2")))
        #expect(renamed)
        let second = nicks.claimGuest(ClientID(2))
        #expect(second.string == "guest3")
        #expect(nicks.registry.count == 2)
    }

    @Test("renaming to a name someone else holds fails and changes nothing")
    func renameConflicts() throws {
        var nicks = NickBook()
        let first = nicks.claimGuest(ClientID(1))
        let second = nicks.claimGuest(ClientID(2))
        let clash = try #require(Name("Guest1"))
        let stolen = nicks.rename(ClientID(2), to: clash)
        #expect(!stolen)
        #expect(nicks.owner(second) == ClientID(2))
        let recased = nicks.rename(ClientID(1), to: clash)
        #expect(recased)
        #expect(nicks.owner(clash) == ClientID(1))
        #expect(nicks.owner(first) == ClientID(1), "the key ignores case")
        nicks.release(ClientID(1))
        #expect(nicks.owner(first) == nil)
        #expect(nicks.registry.count == 1)
    }

    /// Hashes that collide on purpose (all equal, a few values, the real one), so probing, the
    /// shifting back on removal and the table's growth and shrinking all run.
    static let hashes: [(String, (@Sendable (NameKey) -> UInt32)?)] = [
        ("one hash for all", { _ in 7 }),
        ("four hashes", { UInt32(truncatingIfNeeded: $0.hashValue) & 3 }),
        ("the real hash", nil),
    ]

    @Test(
        "random claims, renames and releases agree with a dictionary, however the hashes collide",
        arguments: 0..<3)
    func randomAgainstDictionary(hashChoice: Int) throws {
        let (label, hash) = Self.hashes[hashChoice]
        var nicks = NickBook(hash: hash)
        var reference: [NameKey: ClientID] = [:]
        var random = Xorshift(seed: UInt64(hashChoice) + 1)
        let names = (0..<300).map { Name("n\($0)", .nick)! }
        var peak = 0
        for step in 0..<6_000 {
            let client = ClientID(Int32(random.next() % 200))
            // Grow to about 200 nicks, then mostly release, so the table shrinks again.
            let releasing = step > 4_000 ? random.next() % 4 != 0 : random.next() % 4 == 0
            if releasing {
                if let name = nicks.held[client] { reference[name.key] = nil }
                nicks.release(client)
            } else {
                var name = names[Int(random.next() % UInt64(names.count))]
                if random.next() % 2 == 0 { name = Name(name.string.uppercased(), .nick)! }
                let free = reference[name.key].map { $0 == client } ?? true
                #expect(nicks.rename(client, to: name) == free, "\(label): step \(step)")
                if free {
                    reference = reference.filter { $0.value != client }
                    reference[name.key] = client
                }
            }
            peak = max(peak, nicks.registry.capacity)
            #expect(nicks.registry.count == reference.count, "\(label): step \(step)")
        }
        for name in names {
            #expect(nicks.owner(name) == reference[name.key], "\(label): \(name.string)")
        }
        #expect(peak >= 256, "\(label): the table never grew past \(peak)")
        for client in 0..<200 { nicks.release(ClientID(Int32(client))) }
        #expect(nicks.registry.count == 0 && nicks.registry.capacity == 0, "\(label): the table was not given back")
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
