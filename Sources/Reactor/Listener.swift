// Listener: a listening socket that accepts in bounded batches and survives descriptor exhaustion.

/// How ``Reactor/listen(on:options:_:)`` sets up a listening socket.
public struct ListenOptions: Sendable {
    /// The kernel's queue of completed connections not yet accepted.
    public var backlog: Int32 = 1024
    /// SO_REUSEPORT, so several processes can share the port (the kernel balances between them).
    public var reusePort = false
    /// Connections accepted per wakeup at most, so a connection storm cannot starve established
    /// connections. Redis 7.4 lowered its bound from 1000 to 10 after bursts starved clients into
    /// timeouts; level-triggered epoll reports the listener again next iteration anyway.
    public var acceptsPerWakeup = 16
    /// Remove a stale Unix socket file (one nobody listens on) before binding.
    public var removeStaleUnixSocket = true
    /// TCP_NODELAY on accepted connections: chat lines are small and latency matters more than
    /// packet count.
    public var noDelay = true
    /// TCP keepalive on accepted connections (nil: off), so peers that vanished without a FIN or
    /// RST are found and closed.
    public var keepAlive: KeepAlive?

    /// TCP keepalive timing: probe after `idleSeconds` of silence, every `intervalSeconds`, and give
    /// up after `probes` unanswered probes.
    public struct KeepAlive: Sendable {
        public var idleSeconds: Int
        public var intervalSeconds: Int
        public var probes: Int

        public init(idleSeconds: Int = 60, intervalSeconds: Int = 10, probes: Int = 6) {
            self.idleSeconds = idleSeconds
            self.intervalSeconds = intervalSeconds
            self.probes = probes
        }
    }

    public init(
        backlog: Int32 = 1024, reusePort: Bool = false, acceptsPerWakeup: Int = 16, noDelay: Bool = true,
        keepAlive: KeepAlive? = nil
    ) {
        self.backlog = backlog
        self.reusePort = reusePort
        self.acceptsPerWakeup = acceptsPerWakeup
        self.noDelay = noDelay
        self.keepAlive = keepAlive
    }
}

/// A listening socket registered with a reactor. Accepted connections go to the accept callback.
public final class Listener: Selectable {
    private unowned let reactor: Reactor
    private let onAccept: (Connection) -> Void
    private let acceptsPerWakeup: Int
    private var closed = false
    /// A descriptor kept open to be given up at EMFILE, so one pending connection can be accepted
    /// and closed instead of being left in the backlog where it would wake us forever.
    private var reserve: Int32
    private var resumeTimer: Reactor.Timer?

    /// The bound address; with port 0 this holds the port the kernel chose.
    public let address: SocketAddress

    /// Connections accepted and then closed at once because the process ran out of descriptors.
    public private(set) var rejectedForDescriptorLimit = 0

    /// Called with errors accept hits other than would-block (for logging); the listener carries on.
    public var onError: ((ReactorError) -> Void)?

    init(reactor: Reactor, fd: Int32, address: SocketAddress, options: ListenOptions,
         onAccept: @escaping (Connection) -> Void)
    {
        self.reactor = reactor
        self.onAccept = onAccept
        self.address = address
        self.acceptsPerWakeup = max(1, options.acceptsPerWakeup)
        self.reserve = Posix.openReserve()
        super.init(fd: fd)
    }

    deinit {
        if !closed { Posix.close(fd) }
        if reserve >= 0 { Posix.close(reserve) }
    }

    /// An accept wakeup stops after this long even below ``acceptsPerWakeup``: what an accept sets
    /// off (a new member's presence to a lobby of a thousand) can cost half a millisecond, and
    /// sixteen of those made 8 ms of one iteration (`make bench-storm`).
    static let acceptBudgetNanoseconds: UInt64 = 2_000_000

    override func handle(_ events: IOEvents) {
        let start = Posix.monotonicNanoseconds()
        for index in 0..<acceptsPerWakeup {
            guard !closed else { return }
            // Level-triggered: the listener is reported again next iteration if more wait.
            if index > 0 && Posix.monotonicNanoseconds() &- start > Self.acceptBudgetNanoseconds { return }
            do {
                switch try Posix.accept(fd) {
                case .wouldBlock:
                    return
                case .processed(let client):
                    accepted(client)
                }
            } catch {
                if Posix.isDescriptorExhaustion(error) {
                    shedOneConnection(error)
                    return
                }
                // ECONNABORTED and friends: that one peer is gone; the next may be fine.
                onError?(error)
                if !Posix.isReset(error) { return }
            }
        }
    }

    private func accepted(_ client: Int32) {
        // TCP_NODELAY and keepalive were set on the listening socket: Linux copies them to every
        // accepted socket, which saves five setsockopt calls per connection.
        let connection = Connection(reactor: reactor, fd: client, state: .open)
        do {
            try reactor.register(connection, interest: .readable)
        } catch {
            connection.close(reason: .error(error))
            onError?(error)
            return
        }
        onAccept(connection)
    }

    /// At EMFILE/ENFILE: give up the reserve descriptor, accept and close one connection (the peer
    /// sees a prompt close instead of hanging), and take the reserve back. If even that fails,
    /// stop listening for 100 ms rather than spin on a listener that stays readable.
    private func shedOneConnection(_ error: ReactorError) {
        onError?(error)
        if reserve >= 0 {
            Posix.close(reserve)
            reserve = -1
            if case .processed(let client)? = try? Posix.accept(fd) {
                Posix.close(client)
                rejectedForDescriptorLimit += 1
            }
            reserve = Posix.openReserve()
            if reserve >= 0 { return }
        }
        reactor.reregister(self, interest: [])
        resumeTimer?.cancel()
        resumeTimer = reactor.schedule(afterMilliseconds: 100) { [weak self] in
            guard let self, !self.closed else { return }
            if self.reserve < 0 { self.reserve = Posix.openReserve() }
            self.reactor.reregister(self, interest: .readable)
        }
    }

    /// Stops listening and releases the port (and removes the Unix socket file). Idempotent.
    public func close() {
        guard !closed else { return }
        resumeTimer?.cancel()
        reactor.deregister(self)
        releaseSocket()
    }

    /// Closes the socket and removes its Unix socket file; the part of closing that needs no reactor.
    private func releaseSocket() {
        closed = true
        Posix.close(fd)
        if let path = address.unixPath { Posix.unlink(path) }
    }

    /// The reactor is in its deinit: release the socket without `close()`, whose deregister and
    /// timer cancel would load the unowned `reactor` and trap. The epoll set goes with the reactor.
    override func reactorWillDeinit() {
        if !closed { releaseSocket() }
    }
}

extension Reactor {
    /// Listens on `address` and calls `onAccept` with each new connection, already registered for
    /// reading. Set the connection's ``Connection/handler`` there.
    ///
    /// TCP connections get TCP_NODELAY. IPv6 listeners are IPv6-only (listen on both families
    /// separately if you want both).
    ///
    /// - Throws: ``ReactorError`` with the failing call (`bind` with EADDRINUSE for a port in use).
    @discardableResult
    public func listen(on address: SocketAddress, options: ListenOptions = ListenOptions(),
                       _ onAccept: @escaping (Connection) -> Void) throws(ReactorError) -> Listener
    {
        let fd = try Posix.socket(domain: address.family)
        do {
            if address.unixPath == nil {
                try Posix.setReuseAddress(fd, reusePort: options.reusePort)
                if address.family == Posix.familyIPv6 { Posix.setV6Only(fd) }
                if options.noDelay { Posix.setNoDelay(fd) }
                if let keepAlive = options.keepAlive {
                    Posix.setKeepAlive(
                        fd, idle: keepAlive.idleSeconds, interval: keepAlive.intervalSeconds, probes: keepAlive.probes)
                }
            }
            try address.withSockAddr { (pointer, length) throws(ReactorError) in
                do throws(ReactorError) {
                    try Posix.bind(fd, pointer, length)
                } catch {
                    guard Posix.isAddressInUse(error), options.removeStaleUnixSocket, let path = address.unixPath,
                        Reactor.isStaleUnixSocket(address)
                    else { throw error }
                    Posix.unlink(path)
                    try Posix.bind(fd, pointer, length)
                }
            }
            try Posix.listen(fd, backlog: options.backlog)
            let bound = address.unixPath == nil ? try Posix.localAddress(fd) : address
            let listener = Listener(reactor: self, fd: fd, address: bound, options: options, onAccept: onAccept)
            try register(listener, interest: .readable)
            return listener
        } catch {
            Posix.close(fd)
            throw error
        }
    }

    /// A Unix socket path is stale when it is a socket and connecting to it is refused: its server
    /// is gone. The file-type check matters: connect(2) to a regular file is refused as well, and
    /// without it listen would delete any file that happened to be at the path.
    private static func isStaleUnixSocket(_ address: SocketAddress) -> Bool {
        guard let path = address.unixPath, Posix.isSocketFile(path) else { return false }
        guard let probe = try? Posix.socket(domain: address.family) else { return false }
        defer { Posix.close(probe) }
        do {
            _ = try address.withSockAddr { (pointer, length) throws(ReactorError) in
                try Posix.connect(probe, pointer, length)
            }
            return false
        } catch {
            return Posix.isConnectionRefused(error)
        }
    }
}
