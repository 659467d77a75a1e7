// NickRegistry: which client holds which nick, and the source of guest nicks.

/// The nicks in use, unique ignoring case.
struct NickRegistry {
    private var owners: [NameKey: ClientID] = [:]
    /// The number the next guest nick tries first.
    ///
    /// It only moves forward, so handing out guest nicks is O(1) amortised even when clients have
    /// taken names like `guest7` themselves: each number is tried at most once.
    var nextGuest = 1

    /// The number of nicks in use.
    var count: Int { self.owners.count }

    /// The client holding the nick with this key, if any.
    func owner(of key: NameKey) -> ClientID? {
        self.owners[key]
    }

    /// Picks the first free `guestN` after the last one handed out and gives it to `client`.
    mutating func claimGuestNick(for client: ClientID) -> Name {
        while true {
            let number = self.nextGuest
            self.nextGuest += 1
            guard let name = Name("guest\(number)") else { preconditionFailure("guest\(number) is a valid name") }
            if self.owners[name.key] == nil {
                self.owners[name.key] = client
                return name
            }
        }
    }

    /// Gives `client` the nick `new`, freeing `old` (its previous nick, if it had one).
    ///
    /// - Returns: `false`, changing nothing, if another client holds `new` (ignoring case).
    mutating func rename(_ client: ClientID, from old: Name?, to new: Name) -> Bool {
        if let owner = self.owners[new.key], owner != client { return false }
        if let old { self.owners[old.key] = nil }
        self.owners[new.key] = client
        return true
    }

    /// Frees `name` for others.
    mutating func release(_ name: Name) {
        self.owners[name.key] = nil
    }
}
