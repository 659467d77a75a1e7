// Server: glue from Reactor connections to ChatState; limits, logging and graceful shutdown.
import ChatCore
import Glibc
import Reactor

/// The running chat server: listeners, sessions indexed by descriptor, and the ``ChatTransport``
/// that turns ChatState's lines into connection writes.
final class Server: ChatTransport {
    let options: Options
    let reactor: Reactor
    let state: ChatState
    let log: Log
    let maxConnections: Int
    private var listeners: [Listener] = []
    /// Sessions by descriptor (== ClientID.raw); descriptors are small and dense.
    private var sessions: ContiguousArray<Session?> = []
    /// The same connections, unretained, for the fan-out loop: each session keeps its connection
    /// alive, and the entry is cleared when the session closes. Walking `Session?` references
    /// instead costs two retain/release pairs per delivery.
    private var outputs: ContiguousArray<Unmanaged<Connection>?> = []
    private(set) var sessionCount = 0
    private let serverFullLine: [UInt8]
    private let slowConsumerLine: [UInt8]
    private let rejecter = Rejecter()
    private var shuttingDown = false
    private var statsTimer: Reactor.Timer?
    private var lastMessagesIn = 0
    private var lastDeliveriesOut = 0

    init(options: Options, reactor: Reactor) {
        self.options = options
        self.reactor = reactor
        self.log = Log(level: options.logLevel)
        let limit = Reactor.raiseDescriptorLimit()
        // Keep descriptors in reserve for listeners, the reactor's own, and the EMFILE spare.
        self.maxConnections = options.maxConnections ?? max(1, limit - 64)
        self.state = ChatState(config: ChatConfig(presenceLimit: options.presenceLimit)) { [unowned reactor] in
            reactor.now
        }
        self.serverFullLine = ChatState.errorLine(.serverFull, "too many connections (limit reached), try later")
        self.slowConsumerLine = ChatState.errorLine(
            .slowConsumer, "more than \(options.maxOutbuf) bytes queued, disconnecting")
    }

    /// Binds every listener. Throws with a message naming the address.
    func start() throws(StartError) {
        let tcp: SocketAddress
        do {
            tcp = try SocketAddress(host: options.host, port: options.port)
        } catch {
            throw StartError("--host: \(error)")
        }
        try listen(on: tcp)
        if let path = options.unixPath {
            let unix: SocketAddress
            do {
                unix = try SocketAddress(unixPath: path)
            } catch {
                throw StartError("--unix: \(error)")
            }
            try listen(on: unix)
        }
        statsTimer = reactor.scheduleRepeating(everyMilliseconds: 10_000) { [unowned self] in self.logSummary() }
        log(.info, "listening on \(listeners.map(\.address.description).joined(separator: ", ")) "
            + "(max \(maxConnections) connections)")
    }

    private func listen(on address: SocketAddress) throws(StartError) {
        do {
            // The reactor's default 16 accepts per wakeup. Before presence lines were coalesced,
            // 32 saved server CPU in a connection storm (more arrivals shared each member's write)
            // but cost idle RSS; with coalescing, 32 measured no different (chatload idle, C=10000).
            let options = ListenOptions(
                backlog: 4096, acceptsPerWakeup: 16,
                keepAlive: self.options.keepAlive ? ListenOptions.KeepAlive() : nil)
            let listener = try reactor.listen(on: address, options: options) { [unowned self] in
                self.accepted($0)
            }
            listener.onError = { [unowned self] error in self.log(.warn, "accept on \(address): \(error)") }
            listeners.append(listener)
        } catch {
            throw StartError("cannot listen on \(address): \(error)")
        }
    }

    /// The TCP port actually bound (differs from --port 0).
    var tcpPort: Int? { listeners.first?.address.port }

    // MARK: Connections

    private func accepted(_ connection: Connection) {
        guard sessionCount < maxConnections else {
            connection.handler = rejecter
            connection.write(serverFullLine)
            connection.closeAfterFlush()
            log(.debug, "rejected fd \(connection.descriptor): server full")
            return
        }
        let fd = Int(connection.descriptor)
        if fd >= sessions.count {
            sessions.append(contentsOf: repeatElement(nil, count: fd - sessions.count + 1))
            outputs.append(contentsOf: repeatElement(nil, count: fd - outputs.count + 1))
        }
        let session = Session(server: self, connection: connection)
        sessions[fd] = session
        outputs[fd] = Unmanaged.passUnretained(connection)
        sessionCount += 1
        connection.handler = session
        connection.maxOutboundBytes = options.maxOutbuf
        connection.overflowNotice = slowConsumerLine
        if options.idleTimeout > 0 { armIdleTimer(session, after: options.idleTimeout * 1000) }
        state.connect(session.id, transport: self)
        if log.enabled(.debug) { log(.debug, "connected fd \(fd) as \(state.nick(of: session.id) ?? "?")") }
    }

    func sessionClosed(_ session: Session, reason: CloseReason) {
        let fd = Int(session.id.raw)
        guard fd < sessions.count, sessions[fd] === session else { return }
        sessions[fd] = nil
        outputs[fd] = nil
        sessionCount -= 1
        let why: String?
        switch reason {
        case .outputLimitExceeded:
            state.counters.slowConsumerDrops += 1
            why = "slow-consumer"
            log(.info, "dropped slow consumer \(state.nick(of: session.id) ?? "?") (fd \(fd))")
        case .local: why = session.ending.reason
        case .peerClosed: why = "quit"
        case .reset: why = "connection reset"
        case .error: why = "connection error"
        }
        if log.enabled(.debug) { log(.debug, "closed fd \(fd): \(reason)") }
        state.disconnect(session.id, reason: why, transport: self)
        if shuttingDown && sessionCount == 0 { reactor.stop() }
    }

    private func armIdleTimer(_ session: Session, after milliseconds: Int) {
        session.idleTimer = reactor.schedule(afterMilliseconds: milliseconds) { [unowned self, unowned session] in
            let idleFor = self.reactor.now - session.lastActivity
            let limit = Int64(self.options.idleTimeout) * 1000
            if idleFor >= limit {
                session.ending = .idleTimeout
                session.connection.write(
                    ChatState.errorLine(.idleTimeout, "no input for \(self.options.idleTimeout) seconds"))
                session.connection.closeAfterFlush()
            } else {
                self.armIdleTimer(session, after: Int(limit - idleFor))
            }
        }
    }

    // MARK: ChatTransport

    func send(_ line: UnsafeRawBufferPointer, to client: ClientID) {
        let fd = Int(client.raw)
        guard fd < outputs.count, let connection = outputs[fd] else { return }
        connection._withUnsafeGuaranteedRef { $0.write(line) }
        state.counters.bytesOut &+= line.count
    }

    /// The fan-out loop: no dynamic call, no reference counting per recipient.
    func broadcast(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int
    {
        fanOut(line, to: clients, except: excluded, coalesce: false)
    }

    /// Presence lines are coalesced for a few milliseconds (Connection.enqueue): in a connection
    /// storm into a room within the presence limit, every member would otherwise cost a write per
    /// loop iteration.
    func announce(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int
    {
        fanOut(line, to: clients, except: excluded, coalesce: true)
    }

    @inline(__always)
    private func fanOut(
        _ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?,
        coalesce: Bool
    ) -> Int {
        let excludedRaw = excluded?.raw ?? -1
        let delivered = outputs.withUnsafeBufferPointer { outputs in
            var delivered = 0
            for client in clients where client.raw != excludedRaw {
                let fd = Int(client.raw)
                guard fd < outputs.count, let connection = outputs[fd] else { continue }
                if coalesce {
                    connection._withUnsafeGuaranteedRef { $0.enqueue(line) }
                } else {
                    connection._withUnsafeGuaranteedRef { $0.write(line) }
                }
                delivered += 1
            }
            return delivered
        }
        state.counters.bytesOut &+= line.count &* delivered
        return delivered
    }

    func close(_ client: ClientID) {
        let fd = Int(client.raw)
        guard fd < sessions.count, let session = sessions[fd] else { return }
        session.ending = .quit
        session.connection.closeAfterFlush()
    }

    // MARK: Shutdown and logging

    /// First signal: stop accepting, say BYE to everyone, flush for up to `grace` ms, then stop.
    func beginShutdown(grace: Int = 3000) {
        guard !shuttingDown else { return }
        shuttingDown = true
        log(.info, "shutting down: \(sessionCount) connections")
        for listener in listeners { listener.close() }
        let bye = ChatState.byeLine("shutting-down")
        for case let session? in sessions {
            session.ending = .shutdown
            session.connection.write(bye)
            session.connection.closeAfterFlush()
        }
        if sessionCount == 0 { reactor.stop() }
        reactor.schedule(afterMilliseconds: grace) { [unowned self] in
            self.log(.warn, "shutdown grace period over: closing \(self.sessionCount) connections")
            for case let session? in self.sessions { session.connection.close() }
            self.reactor.stop()
        }
    }

    var isShuttingDown: Bool { shuttingDown }

    private func logSummary() {
        let counters = state.counters
        let messages = counters.messagesIn - lastMessagesIn
        let deliveries = counters.deliveriesOut - lastDeliveriesOut
        lastMessagesIn = counters.messagesIn
        lastDeliveriesOut = counters.deliveriesOut
        log(.info, "\(sessionCount) connections, \(state.roomCount) rooms, \(messages / 10) msg/s in, "
            + "\(deliveries / 10) deliveries/s out, \(counters.slowConsumerDrops) slow consumers dropped")
    }
}

/// The handler of connections refused at the connection limit: they only get the ERR line.
final class Rejecter: ConnectionHandler {
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
}

struct StartError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
