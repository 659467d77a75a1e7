// ChatState: the whole chat domain as pure state: commands in, typed events out.

/// The chat server's domain state: clients, nicks, rooms and counters, with no I/O and no wire format.
///
/// The glue owns the sockets and the protocols. It reports each happening (a client connected, was
/// admitted, sent a command, is gone) by calling one method, and ``ChatState`` answers synchronously
/// with ``ChatEvent``s handed to the ``ChatSink`` it was given at creation, each addressed to an
/// ``Audience``. Everything runs on the glue's one thread, so a client's messages reach every other
/// member of a room in the order they were sent.
///
/// ## The message path
///
/// A room message is the hot path. The event carries the room's and sender's names inline and points
/// at the text in the line being handled; the room's members are partitioned by ``Encoding``, and
/// the sink gets the event once per partition, so it renders once per encoding and copies the same
/// bytes to each recipient. In steady state a message allocates nothing.
///
/// ## Rooms and registration
///
/// A client may be in any number of rooms. Presence (``ChatEvent/joined(room:nick:)``,
/// ``ChatEvent/parted(room:nick:reason:)``) is per room; a rename or a departure from the server
/// reaches everyone sharing a room with the client exactly once. A client connects first and is
/// admitted later, once its front end's registration is complete (the line protocol admits at
/// once); before that it may only choose a nick or quit.
///
/// ## Cost of connecting
///
/// ``connect(_:encoding:)``, ``admit(_:joiningLobby:)`` and ``disconnect(_:reason:)`` are O(1)
/// amortised plus the presence events, and rooms with more than ``ChatConfig/presenceLimit`` members
/// get none, so a storm of connections into one room is linear work in total.
///
/// ```swift
/// let state = ChatState(clock: { monotonicMilliseconds() }, sink: delivery)
/// state.connect(id, encoding: Encoding(0))
/// state.admit(id)                                       // welcome, joined lobby
/// state.perform(.send(.message, text: text, to: .currentRoom), from: id)   // message to the others
/// state.disconnect(id, reason: "closed")                // quit, to everyone sharing a room
/// ```
public final class ChatState {
    /// Server-wide counters. The glue adds its byte and slow-consumer counts here directly.
    public var counters = ChatCounters()
    /// Called just before the counters are reported (``statistics``), so that the glue can fill in
    /// figures only it can read at that moment, such as the output queued right now. It may only
    /// update the counters it is given.
    public var refreshCounters: ((inout ChatCounters) -> Void)?
    /// Told of every change once (a cluster node replicating its clients); `nil` costs one test
    /// per change. Not retained: the glue owns it for the state's lifetime.
    public unowned(unsafe) var observer: (any ChatObserver)?

    let config: ChatConfig
    let lobby: Name
    let clock: () -> Int64
    /// The clock reading at creation, for the uptime.
    let startedAt: Int64
    /// Wall-clock seconds since the Unix epoch, for topic and room creation times. The glue sets it;
    /// by default it is the monotonic clock, which keeps tests deterministic.
    public var wallClock: () -> Int64
    /// Where every event goes. Unowned: the glue owns both and the sink outlives the state.
    unowned(unsafe) let sink: any ChatSink

    /// Per-client state indexed by ``ClientID/raw``; `nil` marks an unused identifier.
    var clients: ContiguousArray<Client?> = []
    var nicks = NickRegistry()
    var rooms = RoomDirectory()
    /// The reasons given by clients that asked to quit, until they are disconnected.
    var quitReasons: [ClientID: [UInt8]] = [:]
    /// Identities set by front ends that have them; see ``ClientIdentity``.
    var identities = IdentityTable()
    /// The away messages of clients that are away.
    var awayMessages: [ClientID: [UInt8]] = [:]
    /// Clients admitted and still connected; kept as a count because IRC's welcome reports it to
    /// every newcomer, and walking the table made registration quadratic.
    var admitted = 0
    /// The rooms each client holds an unused invitation to, so a disconnect withdraws them before
    /// the ID is handed to someone else.
    var invitations: [ClientID: [Room]] = [:]
    /// Reused by deliveries to several rooms at once, which must reach each peer exactly once.
    var peerScratch = PeerScratch()
    /// While ``replay(_:from:)`` runs: permissions and join restrictions are not checked.
    var replaying = false
    /// Invitations to rooms that do not exist here yet (another node's room), by room key: they
    /// become the room's own once it exists here.
    var pendingInvitations: [ClientID: [NameKey]] = [:]

    /// Whether a public entry point is running; see the reentrancy rules on ``ChatSink``.
    private var isDispatching = false
    /// Disconnects the sink requested while a delivery was in progress, oldest first.
    private var deferredDisconnects: [(client: ClientID, reason: String?)] = []

    /// Creates an empty server: no clients, no rooms.
    ///
    /// - Parameters:
    ///   - config: Presence limit and lobby name. The lobby must be a valid room name.
    ///   - clock: Monotonic time in milliseconds. Read at creation and for the uptime.
    ///   - sink: Where events go. Not retained: it must outlive the state.
    public init(config: ChatConfig = .init(), clock: @escaping () -> Int64, sink: any ChatSink) {
        guard let lobby = Name(config.lobby) else {
            preconditionFailure("lobby name \"\(config.lobby)\" is not 1-32 of [A-Za-z0-9_-]")
        }
        self.config = config
        self.lobby = lobby
        self.clock = clock
        self.startedAt = clock()
        self.wallClock = { clock() / 1000 }
        self.sink = sink
    }

    /// The number of rooms that currently exist (rooms are removed when their last member leaves).
    public var roomCount: Int { self.rooms.count }

    /// Registers a new client that is not admitted yet.
    ///
    /// Nothing is sent. Until ``admit(_:joiningLobby:)`` the client may only take a nick
    /// (``ChatCommand/rename(to:)``) or quit; anything else gets ``ChatError/notRegistered``.
    ///
    /// - Parameters:
    ///   - client: The new client. It must not be connected already.
    ///   - encoding: The rendering its events need; see ``setEncoding(_:_:)`` to change it later.
    public func connect(_ client: ClientID, encoding: Encoding) {
        precondition(client.raw >= 0, "\(client) is negative")
        if client.index >= self.clients.count {
            self.clients.append(contentsOf: repeatElement(nil, count: client.index + 1 - self.clients.count))
        }
        precondition(self.clients[client.index] == nil, "\(client) connected twice")
        self.clients[client.index] = Client(encoding: encoding)
        self.counters.connections += 1
    }

    /// Admits a connected client: registration is complete.
    ///
    /// A client that has not taken a nick gets the first free guest nick (`guest1`, `guest2`, …,
    /// skipping any taken, ignoring case). It receives ``ChatEvent/welcome(nick:room:)``; then, with
    /// `joiningLobby`, it enters the lobby, whose members hear it join (or only the newcomer, above
    /// ``ChatConfig/presenceLimit`` members). Admitting twice does nothing.
    public func admit(_ id: ClientID, joiningLobby: Bool = true) {
        guard let client = self.client(id), !client.isAdmitted, !client.hasQuit else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        if !client.hasNick {
            client.nick = self.nicks.claimGuestNick(for: id) { self.nickKey(of: $0) }
            client.hasNick = true
        }
        client.isAdmitted = true
        self.admitted += 1
        self.counters.registrations &+= 1
        client.isLobbyBound = joiningLobby
        self.observer?.chatAdmitted(id, nick: client.nick)
        // The lobby's own spelling: it may have been recreated by someone joining `LOBBY`. Only
        // found here; `enter` creates it, making this client its operator.
        let lobby = joiningLobby ? (self.rooms.find(self.lobby.key)?.name ?? self.lobby) : nil
        self.deliver(.welcome(nick: client.nick, room: lobby), to: id, client)
        if let lobby {
            self.enter(id, client, into: lobby)
        }
    }

    /// Carries out one command from `client`.
    ///
    /// Commands from a client that is not connected (for example one dropped as a slow consumer
    /// earlier in the same read) or that has quit are ignored.
    @inline(__always)
    public func perform(_ command: ChatCommand, from id: ClientID) {
        guard let client = self.client(id), !client.hasQuit else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        if client.isAdmitted {
            self.dispatch(command, from: id, client)
        } else {
            self.dispatchUnregistered(command, from: id, client)
        }
    }

    /// Carries out a command that another authority already allowed: a cluster node applying what
    /// a client of another node did, through that client's stand-in here.
    ///
    /// The command runs exactly as ``perform(_:from:)`` would run it, with the same events to the
    /// same audiences, except that nothing it needs is checked again: operator status (topic,
    /// modes, kicks, invitations), bans, keys, limits and invite-only on joins, moderation and
    /// membership on room messages, and membership of the room it changes. A room it creates gets
    /// no operator (the room's state comes from where it lives). The observer still hears of it.
    public func replay(_ command: ChatCommand, from id: ClientID) {
        guard let client = self.client(id), !client.hasQuit, client.isAdmitted else { return }
        self.beginDispatch()
        self.replaying = true
        defer {
            self.replaying = false
            self.endDispatch()
        }
        self.dispatch(command, from: id, client)
    }

    /// Reports `error` to `client`, for errors its front end or the glue finds (a line too long, a
    /// command word unknown), so they are ordered with the client's other events and suppressed
    /// once it has quit, like everything else it is sent.
    public func report(_ error: ChatError, to id: ClientID) {
        guard let client = self.client(id), !client.hasQuit else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        self.deliver(.error(error), to: id, client)
    }

    /// Moves `client` to another encoding (a front end negotiated a variant of its protocol).
    public func setEncoding(_ id: ClientID, _ encoding: Encoding) {
        guard let client = self.client(id), client.encoding != encoding else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        let rooms = client.rooms
        for room in rooms { self.detach(id, client, from: room) }
        client.setEncoding(encoding)
        for room in rooms { client.joined(room, slot: room.add(id, encoding: encoding)) }
    }

    /// Removes a client that is gone, for whatever reason.
    ///
    /// While the client is still counted, ``ChatEvent/quit(nick:reason:room:)`` goes to everyone who
    /// shares a room with it (rooms above ``ChatConfig/presenceLimit`` members excepted), each once.
    /// Then it leaves every room, its nick is freed, and rooms left empty are deleted. If the client
    /// had quit, its own reason (or `quit` if it gave none) replaces `reason`. Disconnecting a
    /// client that is not connected does nothing, so the glue may call this for connections it
    /// rejected before ``connect(_:encoding:)``, or twice.
    ///
    /// May be called from inside the sink: the disconnect then runs as soon as the current delivery
    /// has finished.
    ///
    /// - Parameters:
    ///   - client: The client that is gone.
    ///   - reason: Why (for example `closed` or `idle-timeout`), or `nil`.
    public func disconnect(_ client: ClientID, reason: String?) {
        guard self.client(client) != nil else { return }
        if self.isDispatching {
            self.deferredDisconnects.append((client, reason))
            return
        }
        self.beginDispatch()
        defer { self.endDispatch() }
        self.remove(client, reason: reason)
    }

    /// Numbers guest nicks from `first` on (`guest<first>`, …): cluster nodes take disjoint blocks,
    /// so two nodes never hand out the same guest nick.
    public func numberGuests(from first: Int) {
        self.nicks.nextGuest = first
    }

    /// The nick of `client`, or `nil` if it is not connected or has no nick yet.
    public func nick(of client: ClientID) -> String? {
        guard let client = self.client(client), client.hasNick else { return nil }
        return client.nick.string
    }

    /// The name of the room `client` is in (its first, if several), or `nil`.
    public func room(of client: ClientID) -> String? {
        self.client(client)?.firstRoom?.name.string
    }

    /// The names of the rooms `client` is in, in the order joined.
    public func rooms(of client: ClientID) -> [String] {
        self.client(client)?.rooms.map(\.name.string) ?? []
    }

    /// Whether `client` is connected and admitted.
    public func isAdmitted(_ client: ClientID) -> Bool {
        self.client(client)?.isAdmitted ?? false
    }

    /// Whether `client` has asked to quit (its later lines are to be ignored).
    public func hasQuit(_ client: ClientID) -> Bool {
        self.client(client)?.hasQuit ?? false
    }

    // MARK: - Internals shared by the extensions

    /// The client holding the nick with `key` (admitted or not), if any.
    func nickOwner(_ key: NameKey) -> ClientID? {
        self.nicks.owner(of: key) { self.nickKey(of: $0) }
    }

    /// The key of the nick `client` holds: what the registry confirms its lookups with.
    func nickKey(of id: ClientID) -> NameKey? {
        guard let client = self.client(id), client.hasNick else { return nil }
        return client.nick.key
    }

    /// The state of `client`, or `nil` if it is not connected.
    @inline(__always)
    func client(_ client: ClientID) -> Client? {
        let index = client.index
        guard index >= 0 && index < self.clients.count else { return nil }
        return self.clients[index]
    }

    func beginDispatch() {
        precondition(!self.isDispatching, "ChatState called from inside a ChatSink callback")
        self.isDispatching = true
    }

    func endDispatch() {
        self.isDispatching = false
        guard !self.deferredDisconnects.isEmpty else { return }
        // Each removal may itself trigger more (a departure overflowing someone else), hence the loop.
        var next = 0
        while next < self.deferredDisconnects.count {
            let (client, reason) = self.deferredDisconnects[next]
            next += 1
            guard self.client(client) != nil else { continue }
            self.isDispatching = true
            self.remove(client, reason: reason)
            self.isDispatching = false
        }
        self.deferredDisconnects.removeAll(keepingCapacity: true)
    }

    /// The body of ``disconnect(_:reason:)``, for a client known to be connected.
    private func remove(_ id: ClientID, reason: String?) {
        guard let client = self.client(id) else { return }
        let quitReason = self.quitReasons.removeValue(forKey: id) ?? Array((reason ?? "").utf8)
        if client.isAdmitted, let observer = self.observer {
            quitReason.withUnsafeBytes { observer.chatDeparted(id, nick: client.nick, reason: $0) }
        }
        if client.isAdmitted && client.firstRoom != nil {
            quitReason.withUnsafeBytes { reason in
                self.announceDeparture(of: id, client, reason: reason)
            }
        }
        while let room = client.firstRoom {
            self.removeMember(id, client, from: room)
        }
        if client.hasNick { self.nicks.release(client.nick, of: id) }
        if client.isAdmitted { self.admitted -= 1 }
        self.identities.remove(id)
        self.awayMessages[id] = nil
        for room in self.invitations.removeValue(forKey: id) ?? [] { room.settings.invited.remove(id) }
        self.pendingInvitations[id] = nil
        self.clients[id.index] = nil
        self.counters.connections -= 1
    }
}
