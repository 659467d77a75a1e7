// NickRegistry: which client holds which nick, and the source of guest nicks.

/// The nicks in use, unique ignoring case.
///
/// One entry per connected client with a nick, so its size is per connection. A
/// `[NameKey: ClientID]` held the 32-byte folded key in every bucket (36 bytes, 59 per client at
/// 10,000 with the table's slack). The key is already stored where it cannot be avoided, in the
/// owner's nick: so each bucket here is 8 bytes, the key's hash in the high half and the owner in
/// the low half, and a lookup whose hash matches asks the caller for the owner's key
/// (`keyOf`) to confirm it. The caller keeps the invariant that every owner's nick, as `keyOf`
/// reports it, is the nick it holds here (ChatState changes a client's nick only right after
/// ``rename(_:from:to:keyOf:)`` succeeded, and releases it before forgetting the client).
///
/// Open addressing with linear probing in a power-of-two table at most 3/4 full; removal shifts
/// the entries behind back (no tombstones), and a table left mostly empty shrinks. Hashes are
/// Swift's seeded `Hasher`, as a `Dictionary`'s are, so clients cannot choose nicks that collide.
struct NickRegistry {
    /// `hash << 32 | (owner + 1)`; 0 is an empty bucket.
    private var buckets: ContiguousArray<UInt64> = []
    /// The number of nicks in use.
    private(set) var count = 0
    /// The number the next guest nick tries first.
    ///
    /// It only moves forward, so handing out guest nicks is O(1) amortised even when clients have
    /// taken names like `guest7` themselves: each number is tried at most once.
    var nextGuest = 1
    private let hash: (NameKey) -> UInt32

    /// - Parameter hash: Tests pass one that collides on purpose; the default is seeded per process.
    init(hash: @escaping (NameKey) -> UInt32 = { UInt32(truncatingIfNeeded: $0.hashValue) }) {
        self.hash = hash
    }

    /// Buckets in the table (for tests of its growth and shrinking).
    var capacity: Int { self.buckets.count }

    /// The client holding the nick with this key, if any.
    ///
    /// - Parameter keyOf: The key of the nick a client holds (`nil` if it has none).
    func owner(of key: NameKey, keyOf: (ClientID) -> NameKey?) -> ClientID? {
        self.find(key, self.hash(key), keyOf).map { Self.owner(self.buckets[$0]) }
    }

    /// Picks the first free `guestN` after the last one handed out and gives it to `client`.
    mutating func claimGuestNick(for client: ClientID, keyOf: (ClientID) -> NameKey?) -> Name {
        while true {
            let number = self.nextGuest
            self.nextGuest += 1
            guard let name = Name("guest\(number)") else { preconditionFailure("guest\(number) is a valid name") }
            let key = name.key
            let hash = self.hash(key)
            if self.find(key, hash, keyOf) == nil {
                self.insert(hash, client)
                return name
            }
        }
    }

    /// Gives `client` the nick `new`, freeing `old` (its previous nick, if it had one).
    ///
    /// - Returns: `false`, changing nothing, if another client holds `new` (ignoring case).
    mutating func rename(_ client: ClientID, from old: Name?, to new: Name, keyOf: (ClientID) -> NameKey?) -> Bool {
        let key = new.key
        let hash = self.hash(key)
        if let index = self.find(key, hash, keyOf), Self.owner(self.buckets[index]) != client { return false }
        if let old { self.release(old, of: client) }
        self.insert(hash, client)
        return true
    }

    /// Frees `name`, held by `client`, for others.
    mutating func release(_ name: Name, of client: ClientID) {
        // Found by hash and owner: no key to compare, so the owner's nick may already be another.
        let entry = Self.entry(self.hash(name.key), client)
        guard !self.buckets.isEmpty else { return }
        let mask = self.buckets.count - 1
        var index = Self.home(entry, mask)
        while self.buckets[index] != entry {
            guard self.buckets[index] != 0 else { return }
            index = (index + 1) & mask
        }
        self.remove(at: index)
    }

    // MARK: The table

    private static func entry(_ hash: UInt32, _ client: ClientID) -> UInt64 {
        precondition(client.raw >= 0, "\(client) is negative")
        return UInt64(hash) << 32 | UInt64(UInt32(client.raw) + 1)
    }

    private static func owner(_ entry: UInt64) -> ClientID {
        ClientID(Int32(UInt32(truncatingIfNeeded: entry) - 1))
    }

    private static func home(_ entry: UInt64, _ mask: Int) -> Int {
        Int(entry >> 32) & mask
    }

    private func find(_ key: NameKey, _ hash: UInt32, _ keyOf: (ClientID) -> NameKey?) -> Int? {
        guard !self.buckets.isEmpty else { return nil }
        let mask = self.buckets.count - 1
        var index = Int(hash) & mask
        while true {
            let entry = self.buckets[index]
            if entry == 0 { return nil }
            if UInt32(entry >> 32) == hash && keyOf(Self.owner(entry)) == key { return index }
            index = (index + 1) & mask
        }
    }

    private mutating func insert(_ hash: UInt32, _ client: ClientID) {
        if (self.count + 1) * 4 > self.buckets.count * 3 { self.resize(to: max(16, self.buckets.count * 2)) }
        Self.place(Self.entry(hash, client), in: &self.buckets)
        self.count += 1
    }

    private static func place(_ entry: UInt64, in buckets: inout ContiguousArray<UInt64>) {
        let mask = buckets.count - 1
        var index = Self.home(entry, mask)
        while buckets[index] != 0 { index = (index + 1) & mask }
        buckets[index] = entry
    }

    /// Empties bucket `index`, moving back each entry after it that may live closer to its home,
    /// so every entry stays reachable from its home without crossing an empty bucket.
    private mutating func remove(at index: Int) {
        let mask = self.buckets.count - 1
        var hole = index
        var next = index
        while true {
            next = (next + 1) & mask
            let entry = self.buckets[next]
            if entry == 0 { break }
            // It may move to the hole if the hole is no further from its home than it is now.
            if (next - Self.home(entry, mask)) & mask >= (next - hole) & mask {
                self.buckets[hole] = entry
                hole = next
            }
        }
        self.buckets[hole] = 0
        self.count -= 1
        // A crowd that has left gives its table back (with room to spare, so no resize on the next).
        if self.count == 0 {
            self.buckets = []
        } else if self.buckets.count > 16 && self.count * 8 < self.buckets.count {
            self.resize(to: max(16, self.buckets.count / 4))
        }
    }

    private mutating func resize(to capacity: Int) {
        var resized = ContiguousArray<UInt64>(repeating: 0, count: capacity)
        if capacity > 0 {
            for entry in self.buckets where entry != 0 { Self.place(entry, in: &resized) }
        }
        self.buckets = resized
    }
}
