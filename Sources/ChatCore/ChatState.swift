// ChatState: the whole chat domain as pure state, driven by the server glue one event at a time.

/// The chat server's domain state: clients, nicks, rooms and counters, with no I/O of its own.
///
/// The glue owns the sockets. It reports each event (a new connection, a complete line, an over-long
/// line, a closed connection) by calling one method, and ``ChatState`` answers synchronously through
/// the ``ChatTransport`` it is given. Everything runs on the glue's one thread, so a client's lines
/// reach every other member of its room in the order they were sent.
///
/// ## The message path
///
/// A plain line is the hot path. It is encoded once, as `MSG <room> <nick> <text>\n`, into a scratch
/// buffer the state keeps, and that same buffer is handed to the transport once per recipient. Nicks
/// and room names are stored inline as ready-to-copy bytes, so in steady state a message costs a NUL
/// scan, a few copies and one `send` per member, and allocates nothing.
///
/// ## Cost of connecting
///
/// ``connect(_:transport:)`` and ``disconnect(_:reason:transport:)`` are O(1) amortised plus the
/// presence lines, and rooms with more than ``ChatConfig/presenceLimit`` members get none, so a storm
/// of connections into one room is linear work in total.
///
/// ```swift
/// let state = ChatState(clock: { monotonicMilliseconds() })
/// state.connect(ClientID(fd), transport: glue)            // WELCOME guest1 lobby, JOIN lobby guest1
/// line.withUnsafeBytes { bytes in
///     state.receive(line: bytes, from: ClientID(fd), transport: glue)   // MSG lobby guest1 ... to others
/// }
/// state.disconnect(ClientID(fd), reason: "closed", transport: glue)     // PART lobby guest1 closed
/// ```
public final class ChatState {
    /// Server-wide counters. The glue adds its byte and slow-consumer counts here directly.
    public var counters = ChatCounters()

    let config: ChatConfig
    let lobby: Name
    let clock: () -> Int64
    /// The clock reading at creation, for `uptime_seconds`.
    let startedAt: Int64

    /// Per-client state indexed by ``ClientID/raw``; `nil` marks an unused identifier.
    var clients: ContiguousArray<Client?> = []
    var nicks = NickRegistry()
    var rooms = RoomDirectory()
    /// Every outgoing line is encoded here, so replies allocate nothing once it has grown.
    var scratch = LineBuffer()

    /// Whether a public entry point is running; see the reentrancy rules on ``ChatTransport``.
    private var isDispatching = false
    /// Disconnects the transport requested while a delivery was in progress, oldest first.
    private var deferredDisconnects: [(client: ClientID, reason: String?, transport: any ChatTransport)] = []

    /// Creates an empty server: no clients, no rooms.
    ///
    /// - Parameters:
    ///   - config: Presence limit and lobby name. The lobby must be a valid room name.
    ///   - clock: Monotonic time in milliseconds. Read at creation and by `/stats` for the uptime.
    public init(config: ChatConfig = .init(), clock: @escaping () -> Int64) {
        guard let lobby = Name(config.lobby) else {
            preconditionFailure("lobby name \"\(config.lobby)\" is not 1-32 of [A-Za-z0-9_-]")
        }
        self.config = config
        self.lobby = lobby
        self.clock = clock
        self.startedAt = clock()
    }

    /// The number of rooms that currently exist (rooms are removed when their last member leaves).
    public var roomCount: Int { self.rooms.count }

    /// Admits a new client.
    ///
    /// The client gets the first free guest nick (`guest1`, `guest2`, …, skipping any taken, ignoring
    /// case), joins the lobby, and receives `WELCOME <nick> <lobby>`. Then `JOIN <lobby> <nick>` goes to
    /// the lobby's members including the newcomer, or only to the newcomer if the lobby has more than
    /// ``ChatConfig/presenceLimit`` members. O(1) amortised apart from those presence lines.
    ///
    /// - Parameters:
    ///   - client: The new client. It must not be connected already.
    ///   - transport: Where the greeting and presence lines go.
    public func connect(_ client: ClientID, transport: any ChatTransport) {
        precondition(client.raw >= 0, "\(client) is negative")
        self.beginDispatch()
        defer { self.endDispatch() }

        if client.index >= self.clients.count {
            self.clients.append(contentsOf: repeatElement(nil, count: client.index + 1 - self.clients.count))
        }
        precondition(self.clients[client.index] == nil, "\(client) connected twice")
        let nick = self.nicks.claimGuestNick(for: client)
        let room = self.rooms.findOrCreate(self.lobby)
        self.clients[client.index] = Client(nick: nick, room: room, slot: room.add(client))
        self.counters.connections += 1
        self.send(.welcome(nick: nick, room: room.name), to: client, transport: transport)
        self.announce(.join(room: room.name, nick: nick), in: room, by: client, transport: transport)
    }

    /// Handles one complete line from `client`.
    ///
    /// Empty lines are ignored, a line containing a NUL byte gets `ERR bad-line`, a line starting with
    /// a single `/` is a command, and anything else is a message to the client's room. Lines from a
    /// client that is not connected (for example one dropped as a slow consumer earlier in the same
    /// read) or that has sent `/quit` are ignored.
    ///
    /// - Parameters:
    ///   - line: The line without its `"\n"` (and without a `"\r"` before it). Any bytes but NUL;
    ///     message text is relayed verbatim and not checked for UTF-8.
    ///   - client: The sender.
    ///   - transport: Where replies and deliveries go.
    public func receive(line: UnsafeRawBufferPointer, from client: ClientID, transport: any ChatTransport) {
        guard let sender = self.client(client), !sender.hasQuit, !line.isEmpty else { return }
        self.beginDispatch()
        defer { self.endDispatch() }

        guard !line.containsNUL() else {
            self.sendError(.badLine, "line contains a NUL byte", to: client, transport: transport)
            return
        }
        self.perform(Command(parsing: line), from: client, sender, transport: transport)
    }

    /// Tells `client` that its last line exceeded `limit` bytes and was discarded.
    ///
    /// Replies `ERR line-too-long <text>`; the connection stays open.
    ///
    /// - Parameters:
    ///   - client: The sender of the over-long line.
    ///   - limit: The line limit in bytes (newline excluded), quoted in the reply.
    ///   - transport: Where the reply goes.
    public func lineTooLong(from client: ClientID, limit: Int, transport: any ChatTransport) {
        guard let sender = self.client(client), !sender.hasQuit else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        self.sendError(
            .lineTooLong, "lines are limited to \(limit) bytes; the line was discarded", to: client,
            transport: transport)
    }

    /// Removes a client that is gone, for whatever reason.
    ///
    /// While the client is still counted, `PART <room> <nick> [reason]` goes to the other members of its
    /// room unless the room has more than ``ChatConfig/presenceLimit`` members. Then the client leaves,
    /// its nick is freed, and its room is deleted if it is now empty. If the client had sent `/quit`,
    /// its own reason (or `quit` if it gave none) replaces `reason`. Disconnecting a client that is not
    /// connected does nothing, so the glue may call this for connections it rejected before
    /// ``connect(_:transport:)``, or twice.
    ///
    /// May be called from inside ``ChatTransport/send(_:to:)`` or ``ChatTransport/close(_:)``: the
    /// disconnect then runs as soon as the current delivery has finished.
    ///
    /// - Parameters:
    ///   - client: The client that is gone.
    ///   - reason: Why, for the `PART` line (for example `closed` or `idle-timeout`), or `nil`.
    ///   - transport: Where the `PART` lines go.
    public func disconnect(_ client: ClientID, reason: String?, transport: any ChatTransport) {
        guard self.client(client) != nil else { return }
        if self.isDispatching {
            self.deferredDisconnects.append((client, reason, transport))
            return
        }
        self.beginDispatch()
        defer { self.endDispatch() }
        self.remove(client, reason: reason, transport: transport)
    }

    /// The nick of `client`, or `nil` if it is not connected.
    public func nick(of client: ClientID) -> String? {
        self.client(client)?.nick.string
    }

    /// The name of the room `client` is in, or `nil` if it is not connected.
    public func room(of client: ClientID) -> String? {
        self.client(client)?.room.name.string
    }

    /// Encodes `ERR <code> <text>\n`, for errors the glue reports itself (`server-full`, `slow-consumer`,
    /// `idle-timeout`).
    ///
    /// - Parameters:
    ///   - code: The error code.
    ///   - text: A human-readable explanation; must not contain `"\n"`.
    /// - Returns: The complete line, newline included.
    public static func errorLine(_ code: ErrorCode, _ text: String) -> [UInt8] {
        var line = LineBuffer(capacity: 64)
        line.encode(.error(code, text))
        return line.array
    }

    /// Encodes `BYE [reason]\n`, for connections the glue closes itself (for example at shutdown).
    ///
    /// - Parameter reason: Why, or `nil` for a bare `BYE`; must not contain `"\n"`.
    /// - Returns: The complete line, newline included.
    public static func byeLine(_ reason: String?) -> [UInt8] {
        var line = LineBuffer(capacity: 64)
        var reason = reason ?? ""
        reason.withUTF8 { line.encode(.bye(reason: UnsafeRawBufferPointer($0))) }
        return line.array
    }

    // MARK: - Internals shared by the extensions

    /// The state of `client`, or `nil` if it is not connected.
    @inline(__always)
    func client(_ client: ClientID) -> Client? {
        let index = client.index
        guard index >= 0 && index < self.clients.count else { return nil }
        return self.clients[index]
    }

    private func beginDispatch() {
        precondition(!self.isDispatching, "ChatState called from inside a ChatTransport callback")
        self.isDispatching = true
    }

    private func endDispatch() {
        self.isDispatching = false
        guard !self.deferredDisconnects.isEmpty else { return }
        // Each removal may itself trigger more (a PART overflowing someone else), hence the loop.
        var next = 0
        while next < self.deferredDisconnects.count {
            let (client, reason, transport) = self.deferredDisconnects[next]
            next += 1
            guard self.client(client) != nil else { continue }
            self.isDispatching = true
            self.remove(client, reason: reason, transport: transport)
            self.isDispatching = false
        }
        self.deferredDisconnects.removeAll(keepingCapacity: true)
    }

    /// The body of ``disconnect(_:reason:transport:)``, for a client known to be connected.
    private func remove(_ id: ClientID, reason: String?, transport: any ChatTransport) {
        guard let client = self.client(id) else { return }
        let partReason = client.quitReason ?? Array((reason ?? "").utf8)
        self.leaveRoom(id, reason: partReason, tellLeaver: false, transport: transport)
        self.nicks.release(client.nick)
        self.clients[id.index] = nil
        self.counters.connections -= 1
    }
}
