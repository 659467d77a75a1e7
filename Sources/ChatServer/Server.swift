// Server: glue from Reactor connections to ChatState; limits, logging and graceful shutdown.
import ChatCore
import Codec
import Glibc
import IRCFrontEnd
import LineProtocol
import Reactor
import ReactorWebSocket
import WebSocket

/// The running chat server: listeners, the sessions (in ``Delivery``'s session table), and the
/// chat state they drive.
final class Server {
    let options: Options
    let reactor: Reactor
    let state: ChatState
    /// The sink of ``state``: the session table and the fan-out.
    let delivery: Delivery
    let log: Log
    let maxConnections: Int
    private var listeners: [Listener] = []
    var sessionCount: Int { self.delivery.table.count }
    private let serverFullLine: [UInt8]
    private let tryAgainLine: [UInt8]
    let ircTryAgainLine: [UInt8]
    let slowConsumerLine: [UInt8]
    let ircServerFullLine: [UInt8]
    let ircSlowConsumerLine: [UInt8]
    /// What the IRC front end says about this server.
    let ircConfig: IRCServerConfig
    /// The IRC connections, for what one IRC client needs to know of another.
    let ircDirectory = IRCDirectory(encodings: FrontEnd.ircEncodings)
    /// Wall-clock milliseconds since the epoch, for IRC's `server-time` and channel creation times.
    let wallClock: () -> Int64 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
    let rejecter = Rejecter()
    /// Requests and connections refused, by reason, for /metrics.
    var refusals = Refusals()
    /// The web front door's shared pieces (WebFront.swift), set up once rather than per connection.
    private(set) var webConfiguration: WebSocketServerConfiguration
    private(set) lazy var webGate = WebGate(server: self)
    private(set) lazy var httpRoutes: (HTTPRequestHead, inout EncodeBuffer) -> Void = { [unowned self] head, buffer in
        self.route(head, into: &buffer)
    }
    let pageBytes = Array(WebPage.html.utf8)
    /// Descriptors open at start that the reactor does not count among its registrations (stdio,
    /// the reactor's own); /metrics adds the registrations to it. Walking /proc/self/fd instead
    /// costs about 20 ms of loop time per scrape at 19,000 connections (getdents64, measured).
    private(set) var descriptorBaseline: Int?
    /// Where /metrics is rendered, kept between scrapes.
    var metricsScratch = EncodeBuffer(capacity: 16 * 1024)
    private var shuttingDown = false
    private var statsTimer: Reactor.Timer?
    private var lastMessagesIn = 0
    private var lastDeliveriesOut = 0
    /// When the output budget makes clients' lines wait (OutputPolicy.swift).
    var outputHold = OutputHold.off
    /// Open sessions by front end: line, IRC, IRC over WebSocket (``frontEnd(of:)``).
    var connectionsByFrontEnd = [0, 0, 0]

    init(options: Options, reactor: Reactor) {
        self.options = options
        self.reactor = reactor
        self.log = Log(level: options.logLevel)
        self.webConfiguration = Self.webConfiguration(options)
        let limit = Reactor.raiseDescriptorLimit()
        // Keep descriptors in reserve for listeners, the reactor's own, and the EMFILE spare.
        self.maxConnections = options.maxConnections ?? max(1, limit - 64)
        self.delivery = Delivery()
        self.state = ChatState(
            config: ChatConfig(presenceLimit: options.presenceLimit), clock: { [unowned reactor] in reactor.now },
            sink: self.delivery)
        self.delivery.state = self.state
        let wallClock = self.wallClock
        self.state.wallClock = { wallClock() / 1000 }
        self.serverFullLine = LineEncoder.lines(for: .error(.serverFull))
        self.tryAgainLine = LineEncoder.lines(for: .error(.tryAgain))
        self.slowConsumerLine = LineEncoder.lines(for: .error(.slowConsumer(limit: options.maxOutbuf)))
        self.ircConfig = IRCServerConfig(
            serverName: options.serverName, version: Options.version.split(separator: " ").joined(separator: "-"),
            created: IRCTime.format(self.wallClock()), password: options.ircPassword, motd: options.motd)
        let encoder = IRCEventEncoder(config: self.ircConfig, state: self.state, wallClock: self.wallClock)
        self.delivery.ircEncoder = encoder
        var line = EncodeBuffer(capacity: 128)
        encoder.encode(.error(.serverFull), tagged: false, recipient: nil, into: &line)
        self.ircServerFullLine = line.array
        line.removeAll()
        encoder.encode(.error(.tryAgain), tagged: false, recipient: nil, into: &line)
        self.ircTryAgainLine = line.array
        line.removeAll()
        encoder.encode(.error(.slowConsumer(limit: options.maxOutbuf)), tagged: false, recipient: nil, into: &line)
        self.ircSlowConsumerLine = line.array
    }

    /// This node's part in a cluster (--redis), or nil alone.
    private(set) var cluster: ClusterNode?

    /// Joins the cluster if --redis says so, then binds every listener. Throws with a message
    /// naming the address.
    func start() throws(StartError) {
        try joinCluster()
        do {
            try bindListeners()
        } catch {
            // Else the lease would refuse a corrected restart under the same --node-id until it
            // ran out, and the other nodes would list this one until they reaped it.
            cluster?.leaveBeforeExit()
            throw error
        }
        applyOutputBudget()
        descriptorBaseline = ProcessStatistics.openDescriptorCount().map { $0 - reactor.registrationCount }
        statsTimer = reactor.scheduleRepeating(everyMilliseconds: 10_000) { [unowned self] in self.logSummary() }
        log(.info, "listening on \(listeners.map(\.address.description).joined(separator: ", ")) "
            + "(max \(maxConnections) connections)")
    }

    private func bindListeners() throws(StartError) {
        let tcp: SocketAddress
        do {
            tcp = try SocketAddress(host: options.host, port: options.port)
        } catch {
            throw StartError("--host: \(error)")
        }
        try listen(on: tcp, .line)
        if let path = options.unixPath {
            try listen(on: try unixAddress(path, flag: "--unix"), .line)
        }
        if options.ircPort != 0 {
            do {
                try listen(on: try SocketAddress(host: options.host, port: options.ircPort), .irc)
            } catch let error as StartError {
                throw error
            } catch {
                throw StartError("--irc-port: \(error)")
            }
        }
        if let path = options.ircUnixPath {
            try listen(on: try unixAddress(path, flag: "--irc-unix"), .irc)
        }
        if options.httpPort != 0 {
            do {
                try listen(on: try SocketAddress(host: options.host, port: options.httpPort), .http)
            } catch let error as StartError {
                throw error
            } catch {
                throw StartError("--http-port: \(error)")
            }
        }
    }

    private func joinCluster() throws(StartError) {
        let address: SocketAddress
        if let path = options.redisUnixPath {
            address = try unixAddress(path, flag: "--redis-unix")
        } else if let host = options.redisHost {
            do {
                address = try SocketAddress(host: host, port: options.redisPort)
            } catch {
                throw StartError("--redis: \(error)")
            }
        } else {
            return
        }
        let node = ClusterNode(server: self, nodeID: options.nodeID ?? Self.defaultNodeID(port: options.port), address: address)
        try node.join()
        cluster = node
    }

    /// `<hostname>-<port>`: stable across restarts, as a node id should be (a live holder refuses it).
    private static func defaultNodeID(port: Int) -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .filter { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        return "\(host.isEmpty ? "node" : String(host.prefix(40)))-\(port == 0 ? "pid\(getpid())" : String(port))"
    }

    private func unixAddress(_ path: String, flag: String) throws(StartError) -> SocketAddress {
        do {
            return try SocketAddress(unixPath: path)
        } catch {
            throw StartError("\(flag): \(error)")
        }
    }

    /// Which front end a listener's connections speak.
    enum WireProtocol { case line, irc, http }

    private func listen(on address: SocketAddress, _ kind: WireProtocol) throws(StartError) {
        do {
            // The reactor's default 16 accepts per wakeup. Before presence lines were coalesced,
            // 32 saved server CPU in a connection storm (more arrivals shared each member's write)
            // but cost idle RSS; with coalescing, 32 measured no different (chatload idle, C=10000).
            let options = ListenOptions(
                backlog: 4096, reusePort: self.options.reusePort, acceptsPerWakeup: 16,
                keepAlive: self.options.keepAlive ? ListenOptions.KeepAlive() : nil)
            let listener = try reactor.listen(on: address, options: options) { [unowned self] in
                self.accepted($0, kind)
            }
            listener.onError = { [unowned self] error in self.log(.warn, "accept on \(address): \(error)") }
            listeners.append(listener)
        } catch {
            throw StartError("cannot listen on \(address): \(error)")
        }
    }

    /// The host part of an IRC client's mask: its address, or `localhost` over a Unix socket.
    static func host(of connection: Connection) -> String {
        guard let address = connection.remoteAddress, let host = address.host else { return "localhost" }
        // A host starting with ':' would end an IRC source early; ircds write ::1 as 0::1.
        return host.hasPrefix(":") ? "0" + host : host
    }

    /// The TCP port actually bound (differs from --port 0).
    var tcpPort: Int? { listeners.first?.address.port }

    // MARK: Connections

    private func accepted(_ connection: Connection, _ kind: WireProtocol) {
        if kind == .http { return acceptedHTTP(connection) }
        if let refusal = admissionRefusal() {
            connection.handler = rejecter
            switch refusal {
            case .serverFull: connection.write(kind == .line ? serverFullLine : ircServerFullLine)
            case .busDown: connection.write(kind == .line ? tryAgainLine : ircTryAgainLine)
            }
            connection.closeAfterFlush()
            log(.debug, "rejected fd \(connection.descriptor): \(refusal.reason)")
            return
        }
        let id = delivery.table.allocate()
        let session: Session
        switch kind {
        case .line:
            session = LineSession(server: self, connection: connection, id: id)
            applyOutputLimits(to: connection, notice: slowConsumerLine)
        case .irc, .http:
            session = IRCSession(server: self, connection: connection, id: id, host: Self.host(of: connection))
            applyOutputLimits(to: connection, notice: ircSlowConsumerLine)
        }
        delivery.table.attach(id, session: session, connection: connection)
        connection.handler = session
        started(session)
        switch kind {
        case .line:
            state.connect(id, encoding: FrontEnd.line)
            state.admit(id)
        case .irc, .http:
            // Admitted by the IRC front end once NICK, USER (and CAP END) have arrived.
            state.connect(id, encoding: FrontEnd.irc)
        }
        if log.enabled(.debug) {
            log(.debug, "connected fd \(connection.descriptor) as \(state.nick(of: id) ?? "?") (\(id))")
        }
    }

    /// Why a new session cannot start now, if it cannot.
    enum AdmissionRefusal {
        /// At --max-connections, or shutting down (a web handshake can finish during the drain).
        case serverFull
        /// The cluster bus is down: nicks cannot be confirmed.
        case busDown

        var reason: String {
            switch self {
            case .serverFull: "server full"
            case .busDown: "cluster bus down"
            }
        }
    }

    /// Asked by every front end before it creates a session; counts the refusal in /metrics.
    /// Each front end words the refusal its own way.
    func admissionRefusal() -> AdmissionRefusal? {
        if sessionCount >= maxConnections || shuttingDown {
            refusals.serverFull &+= 1
            return .serverFull
        }
        if let cluster, !cluster.canRegister {
            refusals.busDown &+= 1
            return .busDown
        }
        return nil
    }

    /// What every new session gets, whatever its front end: the idle timer, and its count.
    func started(_ session: Session) {
        if options.idleTimeout > 0 { armIdleTimer(session, after: options.idleTimeout * 1000) }
        connectionsByFrontEnd[Self.frontEnd(of: session)] &+= 1
    }

    /// The index of `session`'s front end in ``connectionsByFrontEnd``: line, IRC, IRC over WebSocket.
    static func frontEnd(of session: Session) -> Int {
        if session is WebIRCSession { return 2 }
        return session is IRCSession ? 1 : 0
    }

    func sessionClosed(_ session: Session, reason: CloseReason) {
        let id = session.id
        guard delivery.table.session(id) === session else { return }
        let fd = session.connection.descriptor
        delivery.table.detach(id)
        connectionsByFrontEnd[Self.frontEnd(of: session)] &-= 1
        let why: String?
        switch reason {
        case .outputLimitExceeded, .slowConsumerTimedOut:
            let limit = countSlowConsumerDrop(reason)
            why = "slow-consumer"
            log(.info, "dropped slow consumer \(state.nick(of: id) ?? "?") (fd \(fd)): \(limit)")
        case .local: why = session.ending.reason
        case .peerClosed: why = "quit"
        case .reset: why = "connection reset"
        case .error: why = "connection error"
        }
        if log.enabled(.debug) { log(.debug, "closed fd \(fd): \(reason)") }
        state.disconnect(id, reason: why)
        // Only now: the server never disconnects from inside a ChatState call, so the state has
        // forgotten the ID and it may be handed out again.
        delivery.table.release(id)
        if shuttingDown && sessionCount == 0 { reactor.stop() }
    }

    private func armIdleTimer(_ session: Session, after milliseconds: Int) {
        session.idleTimer = reactor.schedule(afterMilliseconds: milliseconds) { [unowned self, unowned session] in
            let idleFor = self.reactor.now - session.lastActivity
            let limit = Int64(self.options.idleTimeout) * 1000
            if idleFor >= limit {
                session.ending = .idleTimeout
                self.refusals.idleTimeout &+= 1
                session.farewell(.idleTimeout(seconds: self.options.idleTimeout), bye: nil)
                session.hangUp()
            } else {
                self.armIdleTimer(session, after: Int(limit - idleFor))
            }
        }
    }

    // MARK: Shutdown and logging

    /// First signal: stop accepting, say BYE to everyone, flush for up to `grace` ms, then stop.
    func beginShutdown(grace: Int = 3000) {
        guard !shuttingDown else { return }
        shuttingDown = true
        log(.info, "shutting down: \(sessionCount) connections")
        cluster?.leave()
        for listener in listeners { listener.close() }
        for session in delivery.table.sessions {
            session.ending = .shutdown
            session.farewell(nil, bye: "shutting-down")
            session.hangUp()
        }
        if sessionCount == 0 { reactor.stop() }
        reactor.schedule(afterMilliseconds: grace) { [unowned self] in
            self.log(.warn, "shutdown grace period over: closing \(self.sessionCount) connections")
            for session in self.delivery.table.sessions { session.connection.close() }
            self.reactor.stop()
        }
    }

    var isShuttingDown: Bool { shuttingDown }

    /// The bus part of the periodic summary line, for a cluster node.
    private var busSummary: String {
        guard let bus = cluster?.busCounters else { return "" }
        return "; bus \(bus.connected == 1 ? "up" : "DOWN"): \(bus.published) published, \(bus.received) received, "
            + "\(bus.dropped) dropped, \(bus.gaps) gaps, \(bus.reconnects) reconnects, \(bus.subscriptions) channels, "
            + "\(bus.remoteClients) remote clients"
    }

    private func logSummary() {
        let counters = state.counters
        let messages = counters.messagesIn - lastMessagesIn
        let deliveries = counters.deliveriesOut - lastDeliveriesOut
        lastMessagesIn = counters.messagesIn
        lastDeliveriesOut = counters.deliveriesOut
        log(.info, "\(sessionCount) connections, \(state.roomCount) rooms, \(messages / 10) msg/s in, "
            + "\(deliveries / 10) deliveries/s out, \(outputSummary)" + busSummary)
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
