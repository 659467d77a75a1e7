// RedisLink: one Redis connection's life on a Reactor: connect with a timeout, the handshake,
// decoding, output within its cap, loss detection and reconnects with backoff. Shared by
// RedisConnection and RedisSubscriber, which add what their traffic means.

import Codec
import RESP
import Reactor

/// What a link tells the client that owns it. All calls run on the loop thread.
protocol RedisLinkOwner: AnyObject {
    /// The state changed (to connecting, ready, down or stopped).
    func link(_ link: RedisLink, didChangeStateTo state: RedisState)
    /// A reply after the handshake's (a command's answer, or a pub/sub push). Valid during the call.
    func link(_ link: RedisLink, didReceive reply: RESPReply)
    /// The connection (or the attempt) ended: everything in flight is lost with `error`. Called once
    /// per connection, before the state becomes ``RedisState/down`` or ``RedisState/stopped``.
    func link(_ link: RedisLink, didLose error: RedisError)
}

/// Counters a link keeps for its owner's statistics.
struct RedisLinkCounters {
    var connects = 0
    var connectFailures = 0
    var disconnects = 0
    var protocolErrors = 0
    var handshakeFailures = 0
}

/// The connection machinery both Redis clients share.
final class RedisLink: ConnectionHandler {
    unowned let reactor: Reactor
    let address: SocketAddress
    let configuration: RedisConfiguration
    /// The client this link serves. Weak: the client owns the link.
    weak var owner: (any RedisLinkOwner)?

    private(set) var state = RedisState.stopped
    private(set) var connection: Connection?
    var counters = RedisLinkCounters()

    private var decoder: RESPDecoder
    private var backoff: ExponentialBackoff
    private var random = SystemRandomNumberGenerator()
    private var reconnectTimer: Reactor.Timer?
    /// Commands written while connecting, sent once the connection opens.
    private var early = EncodeBuffer(capacity: 1024)
    /// Replies still due to the handshake (AUTH, SELECT, CLIENT SETNAME) before the owner's.
    private var handshakeReplies = 0
    /// Counts connect attempts, so a completion for an attempt given up on is recognised.
    private var attempt = 0

    init(reactor: Reactor, address: SocketAddress, configuration: RedisConfiguration) {
        self.reactor = reactor
        self.address = address
        self.configuration = configuration
        self.decoder = RESPDecoder(limits: configuration.decoderLimits)
        self.backoff = configuration.backoff
    }

    // MARK: Starting and stopping

    /// Connects, and keeps reconnecting after failures until ``stop()``. Idempotent.
    func start() {
        guard self.state == .stopped else { return }
        self.connect()
    }

    /// Closes the connection, fails what is in flight with ``RedisError/Kind/stopped``, and stops
    /// reconnecting. Idempotent.
    func stop() {
        guard self.state != .stopped else { return }
        self.reconnectTimer?.cancel()
        self.reconnectTimer = nil
        self.attempt += 1  // a connect in progress is given up
        self.lose(RedisError(.stopped), reconnect: false)
    }

    private func setState(_ state: RedisState) {
        guard state != self.state else { return }
        self.state = state
        self.owner?.link(self, didChangeStateTo: state)
    }

    private func connect() {
        self.reconnectTimer = nil
        self.attempt += 1
        let attempt = self.attempt
        self.early.removeAll()
        self.setState(.connecting)
        self.reactor.connect(to: self.address, timeoutMilliseconds: self.configuration.connectTimeoutMilliseconds) {
            [weak self] result in
            guard let self, attempt == self.attempt, self.state == .connecting else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .success(let connection): self.opened(connection)
            case .failure(let error):
                self.counters.connectFailures += 1
                self.lose(RedisError(.connectFailed, "\(self.address): \(error)"), reconnect: true)
            }
        }
    }

    private func opened(_ connection: Connection) {
        self.counters.connects += 1
        self.connection = connection
        connection.handler = self
        // Never dropped by the reactor for its output: the cap below is checked before queuing.
        connection.maxOutboundBytes = max(connection.maxOutboundBytes, self.configuration.maxOutputBytes)
        if self.address.port != nil { connection.setKeepAlive(idleSeconds: 10, intervalSeconds: 5, probes: 3) }
        self.decoder.reset()
        self.writeHandshake(connection)
        connection.write(self.early.bytes)
        // A long wait for a connect may have grown the buffer toward the cap; give that back.
        if self.early.count > 64 * 1024 { self.early = EncodeBuffer(capacity: 1024) }
        self.early.removeAll()
        self.backoff.reset()
        self.setState(.ready)
    }

    /// AUTH, SELECT and CLIENT SETNAME, ahead of anything else on the connection.
    private func writeHandshake(_ connection: Connection) {
        var buffer = EncodeBuffer(capacity: 256)
        self.handshakeReplies = 0
        if let password = self.configuration.password {
            if let username = self.configuration.username {
                RESPEncoder.writeCommand(["AUTH", username, password], into: &buffer)
            } else {
                RESPEncoder.writeCommand(["AUTH", password], into: &buffer)
            }
            self.handshakeReplies += 1
        }
        if let database = self.configuration.database {
            RESPEncoder.writeCommand(["SELECT", String(database)], into: &buffer)
            self.handshakeReplies += 1
        }
        if let name = self.configuration.clientName {
            RESPEncoder.writeCommand(["CLIENT", "SETNAME", name], into: &buffer)
            self.handshakeReplies += 1
        }
        if buffer.count > 0 { connection.write(buffer.bytes) }
    }

    // MARK: Output

    /// Bytes waiting to be written to Redis.
    var queuedBytes: Int { self.connection?.outboundBytes ?? self.early.count }

    /// Whether `count` more bytes may be queued now: the link is connecting or ready and the output
    /// cap allows them.
    func canQueue(_ count: Int) -> Bool {
        (self.state == .ready || self.state == .connecting)
            && self.queuedBytes + count <= self.configuration.maxOutputBytes
    }

    /// Queues bytes already checked with ``canQueue(_:)``. They leave in this iteration's flush
    /// (with everything else queued in it), or when the connect completes.
    func write(_ bytes: UnsafeRawBufferPointer) {
        if let connection = self.connection {
            connection.write(bytes)
        } else if self.state == .connecting {
            self.early.append(bytes)
        }
    }

    // MARK: Input

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        do {
            try self.decoder.process(bytes) { reply in
                // An owner's callback may have closed this connection (or stopped the client):
                // the rest of the read belongs to nobody.
                guard connection === self.connection else { return }
                if self.handshakeReplies > 0 {
                    self.handshakeReplies -= 1
                    if reply.isError {
                        self.counters.handshakeFailures += 1
                        self.lose(RedisError(.handshakeFailed, reply.string ?? ""), reconnect: true)
                    }
                    return
                }
                self.owner?.link(self, didReceive: reply)
            }
        } catch {
            guard connection === self.connection else { return }
            self.counters.protocolErrors += 1
            self.lose(RedisError(.protocolError, error.description), reconnect: true)
        }
    }

    func connectionDidReachEOF(_ connection: Connection) {
        guard connection === self.connection else { return connection.close() }
        self.lose(RedisError(.connectionLost, "Redis closed the connection"), reconnect: true)
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        guard connection === self.connection else { return }
        self.lose(RedisError(.connectionLost, reason.description), reconnect: true)
    }

    // MARK: Loss and reconnecting

    /// The connection (or the attempt) is over: close it, tell the owner, and schedule the next
    /// attempt. Idempotent per connection: later events of a closed connection are ignored.
    private func lose(_ error: RedisError, reconnect: Bool) {
        if let connection = self.connection {
            self.connection = nil
            self.counters.disconnects += 1
            // Not waiting for the close notice: commands issued from here on must fail at once
            // rather than be queued on a socket that is closing.
            connection.handler = nil
            connection.close()
        }
        self.early.removeAll()
        self.handshakeReplies = 0
        // The new state first, so that a callback failed below which sends again is refused at
        // once instead of queuing behind the loss; the owner hears of the change after the loss.
        let previous = self.state
        self.state = reconnect && previous != .stopped ? .down : .stopped
        self.owner?.link(self, didLose: error)
        if self.state != previous { self.owner?.link(self, didChangeStateTo: self.state) }
        guard self.state == .down else { return }
        let delay = self.backoff.nextDelay(using: &self.random)
        self.reconnectTimer = self.reactor.schedule(afterMilliseconds: delay) { [weak self] in
            guard let self, self.state == .down else { return }
            self.connect()
        }
    }

    /// Closes the connection as if it had been lost (with `error`) and reconnects after the backoff:
    /// for an owner that finds it wedged.
    func reconnect(_ error: RedisError) {
        guard self.state == .ready || self.state == .connecting else { return }
        self.attempt += 1
        self.lose(error, reconnect: true)
    }
}
