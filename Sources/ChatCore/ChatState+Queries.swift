// ChatState+Queries: read-only questions front ends ask while answering listings and rendering.

extension ChatState {
    /// Records who `client` says it is; see ``ClientIdentity``. Replaces any earlier identity.
    public func setIdentity(_ client: ClientID, _ identity: ClientIdentity) {
        guard self.client(client) != nil else { return }
        self.identities.set(client, identity)
    }

    /// The identity a front end registered for `client`, if any (as strings: for listings).
    public func identity(of client: ClientID) -> ClientIdentity? {
        self.identities[client]
    }

    /// Calls `body` with the identity of `client` as bytes, or `nil` if it has none: for renderers,
    /// which copy the parts into lines without making strings. The bytes are valid only during
    /// the call, and `body` must not call back into the state.
    public func withIdentity<Result>(of client: ClientID, _ body: (ClientIdentityBytes?) -> Result) -> Result {
        self.identities.withIdentity(of: client, body)
    }

    /// The admitted client holding the nick `raw` (ignoring case), if any.
    public func client(named raw: WireText) -> ClientID? {
        guard let key = NameKey(validating: raw, .nick), let id = self.nickOwner(key),
            let client = self.client(id), client.isAdmitted
        else { return nil }
        return id
    }

    /// The admitted client holding `nick` (ignoring case), if any; allocation-free.
    public func client(named nick: Name) -> ClientID? {
        guard let id = self.nickOwner(nick.key), let client = self.client(id), client.isAdmitted else {
            return nil
        }
        return id
    }

    /// The nick of `client` as a name, or `nil` if it is not connected or has no nick yet.
    public func nickName(of client: ClientID) -> Name? {
        guard let client = self.client(client), client.hasNick else { return nil }
        return client.nick
    }

    /// The names of the rooms `client` is in, in the order joined.
    public func roomNames(of client: ClientID) -> [Name] {
        self.client(client)?.rooms.map(\.name) ?? []
    }

    /// The existing room named `raw` (ignoring case), spelled as it was created, or `nil`.
    public func roomName(_ raw: WireText) -> Name? {
        guard let key = NameKey(validating: raw) else { return nil }
        return self.rooms.find(key)?.name
    }

    /// The members of the room `name`, ordered by nick ignoring case, or `nil` if it does not exist.
    public func members(of name: Name) -> [ClientID]? {
        guard let room = self.rooms.find(name.key) else { return nil }
        var members: [(key: NameKey, id: ClientID)] = []
        room.forEachMember { member, _ in
            if let client = self.client(member), client.hasNick { members.append((client.nick.key, member)) }
        }
        return members.sorted { $0.key < $1.key }.map(\.id)
    }

    /// How many members the room `name` has (0 if it does not exist); O(1).
    public func memberCount(of name: Name) -> Int {
        self.rooms.find(name.key)?.count ?? 0
    }

    /// Whether `client` is in the room `name`.
    public func isMember(_ client: ClientID, of name: Name) -> Bool {
        guard let room = self.rooms.find(name.key), let client = self.client(client) else { return false }
        return client.isMember(of: room)
    }

    /// Every room with its member count, ordered by name ignoring case.
    public func roomSummaries() -> [RoomSummary] {
        self.rooms.sortedByName().map { RoomSummary(name: $0.name, members: $0.count) }
    }

    /// Clients connected and admitted (registration complete).
    public var admittedCount: Int { self.admitted }

    /// The away message `client` set, or `nil` while it is present.
    public func awayMessage(of client: ClientID) -> [UInt8]? {
        self.awayMessages[client]
    }
}
