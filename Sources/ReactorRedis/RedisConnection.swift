// RedisConnection: a nonblocking Redis client for commands on a Reactor: pipelined, replies matched
// in order, output capped, reconnecting with backoff.

import Codec
import RESP
import Reactor

/// A Redis connection for commands, on a ``Reactor/Reactor``.
///
/// Every command is written to the connection's output queue at once and its callback appended to
/// a FIFO; Redis answers in order, so each reply goes to the oldest callback. The reactor flushes
/// each connection once per loop iteration, so all the commands issued during one iteration leave
/// together in one `write` (up to ``Reactor/Reactor/writeBudget`` bytes per iteration): pipelining
/// without asking for it.
///
/// Failures are immediate and counted, never buffered without bound:
///
/// - while the connection is down (between a loss and the next attempt) a command fails at once
///   with ``RedisError/Kind/notConnected``;
/// - a command that would put more than ``RedisConfiguration/maxOutputBytes`` in the output queue
///   (Redis stopped reading) is dropped with ``RedisError/Kind/outputLimitExceeded``;
/// - when the connection is lost, every command awaiting a reply fails at once with
///   ``RedisError/Kind/connectionLost``, and a reconnect is scheduled with
///   ``RedisConfiguration/backoff``.
///
/// A command refused at once has its callback called before ``send(_:reply:)-(RESPCommand,_)`` returns;
/// all other callbacks run later, from the loop. Replies are views valid only during the callback.
///
/// ```swift
/// let redis = RedisConnection(reactor: reactor, address: try SocketAddress(host: "127.0.0.1", port: 6379))
/// redis.start()
/// redis.send(["INCR", "visits"]) { result in
///     if case .success(let reply) = result, let count = reply.integer { print("visit \(count)") }
/// }
/// ```
public final class RedisConnection {
    /// Called with a command's reply (which may be a Redis error reply), or with why it has none.
    public typealias ReplyHandler = (Result<RESPReply, RedisError>) -> Void

    /// What a connection has done since it was created.
    public struct Statistics: Sendable, Hashable {
        /// Commands queued for sending.
        public var commandsSent = 0
        /// Replies received and handed to their callbacks.
        public var replies = 0
        /// Replies that were Redis errors (`-ERR …`).
        public var errorReplies = 0
        /// Commands refused while the connection was down.
        public var droppedNotConnected = 0
        /// Commands refused because the output queue was at ``RedisConfiguration/maxOutputBytes``.
        public var droppedOutputLimit = 0
        /// Commands refused because ``RedisConfiguration/maxPendingReplies`` were outstanding.
        public var droppedTooManyPending = 0
        /// Commands sent whose replies were lost with their connection.
        public var failedInFlight = 0
        /// Connections opened; the first is not a reconnect.
        public var connects = 0
        /// Connect attempts that failed.
        public var connectFailures = 0
        /// Open connections lost (or closed by ``stop()``).
        public var disconnects = 0
        /// Connections closed because Redis sent what the decoder refused.
        public var protocolErrors = 0
        /// Replies that arrived with no command waiting for them (a server bug, or a push).
        public var unexpectedReplies = 0

        /// Every command refused without being sent, whatever the reason.
        public var dropped: Int { self.droppedNotConnected + self.droppedOutputLimit + self.droppedTooManyPending }
    }

    /// The reactor the connection runs on; every method must be called on its thread.
    public var reactor: Reactor { self.link.reactor }
    /// Where Redis is.
    public var address: SocketAddress { self.link.address }
    /// The settings the connection runs with.
    public var configuration: RedisConfiguration { self.link.configuration }
    /// Where the connection is; ``onStateChange`` hears every change.
    public var state: RedisState { self.link.state }
    /// Called on every change of ``state``.
    public var onStateChange: ((RedisState) -> Void)?
    /// Commands sent and awaiting replies.
    public var pendingReplies: Int { self.queue.count }
    /// Bytes of commands not yet written to the socket.
    public var queuedBytes: Int { self.link.queuedBytes }

    /// What the connection has done so far.
    public var statistics: Statistics {
        var statistics = self.counts
        statistics.connects = self.link.counters.connects
        statistics.connectFailures = self.link.counters.connectFailures
        statistics.disconnects = self.link.counters.disconnects
        statistics.protocolErrors = self.link.counters.protocolErrors
        return statistics
    }

    private let link: RedisLink
    private var queue = RedisReplyQueue()
    private var counts = Statistics()
    /// Where ``send(_:reply:)-([String],_)`` and ``publish(channel:message:reply:)`` render, reused.
    private var scratch = EncodeBuffer(capacity: 1024)

    /// A connection to Redis at `address` (TCP or a Unix socket). It does nothing until ``start()``.
    public init(reactor: Reactor, address: SocketAddress, configuration: RedisConfiguration = RedisConfiguration()) {
        self.link = RedisLink(reactor: reactor, address: address, configuration: configuration)
        self.link.owner = self
    }

    deinit {
        self.link.owner = nil
        self.link.stop()
        // Nobody is left to answer them: every callback still hears that, once.
        while let callback = self.queue.pop() { callback?(.failure(RedisError(.stopped, "connection released"))) }
    }

    /// Connects, and reconnects after every failure or loss until ``stop()``. Commands may be sent
    /// at once: they wait for the connection (within ``RedisConfiguration/maxOutputBytes``).
    public func start() { self.link.start() }

    /// Closes the connection; pending callbacks fail with ``RedisError/Kind/stopped``, and later
    /// commands with ``RedisError/Kind/notConnected``. ``start()`` connects again.
    public func stop() { self.link.stop() }

    /// Closes the connection as lost and reconnects after the backoff, failing the commands in
    /// flight: for an owner whose own probe found Redis wedged. Ignored unless connecting or ready.
    public func reconnect() { self.link.reconnect(RedisError(.connectionLost, "reconnect requested")) }

    // MARK: Sending

    /// Sends `command`; `reply` gets its reply or the reason there is none.
    ///
    /// - Parameters:
    ///   - command: a command with at least its name; it is copied, so it may be reused at once.
    ///   - reply: called once; nil for a fire-and-forget command (its reply is read and dropped).
    public func send(_ command: borrowing RESPCommand, reply: ReplyHandler? = nil) {
        let size = command.encodedCount
        guard self.admit(size, reply) else { return }
        self.scratch.removeAll()
        RESPEncoder.writeArrayHeader(count: command.argumentCount, into: &self.scratch)
        self.link.write(self.scratch.bytes)
        self.link.write(command.encodedArguments)
        self.sent(reply)
    }

    /// Sends a command of string arguments: `send(["SET", "key", "value"])`.
    public func send(_ arguments: [String], reply: ReplyHandler? = nil) {
        precondition(!arguments.isEmpty, "a command has at least its name")
        self.scratch.removeAll()
        RESPEncoder.writeCommand(arguments, into: &self.scratch)
        self.sendScratch(reply)
    }

    /// Sends a command of byte-array arguments.
    public func send(_ arguments: [[UInt8]], reply: ReplyHandler? = nil) {
        precondition(!arguments.isEmpty, "a command has at least its name")
        self.scratch.removeAll()
        RESPEncoder.writeCommand(arguments, into: &self.scratch)
        self.sendScratch(reply)
    }

    /// Sends bytes that are already one or more whole RESP commands, `commands` of them (each gets
    /// one reply; `reply`, if any, gets the last one's and the others are dropped).
    public func send(encoded bytes: UnsafeRawBufferPointer, commands: Int = 1, reply: ReplyHandler? = nil) {
        precondition(commands >= 1, "encoded bytes hold at least one command")
        guard self.admit(bytes.count, reply, commands: commands) else { return }
        self.link.write(bytes)
        for _ in 1..<commands { self.sent(nil) }
        self.sent(reply)
    }

    /// `PUBLISH channel message`, rendered straight into the output without an intermediate
    /// command: the message path of a pub/sub bus. The reply (how many subscribers got it) is
    /// dropped unless `reply` is given.
    public func publish(
        channel: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, reply: ReplyHandler? = nil
    ) {
        self.scratch.removeAll()
        RESPEncoder.writeArrayHeader(count: 3, into: &self.scratch)
        RESPEncoder.writeBulk("PUBLISH", into: &self.scratch)
        RESPEncoder.writeBulk(channel, into: &self.scratch)
        RESPEncoder.writeBulk(message, into: &self.scratch)
        self.sendScratch(reply)
    }

    private func sendScratch(_ reply: ReplyHandler?) {
        guard self.admit(self.scratch.count, reply) else { return }
        self.link.write(self.scratch.bytes)
        self.sent(reply)
    }

    /// Whether a command of `size` bytes may be queued; if not, counts the drop and fails `reply`.
    private func admit(_ size: Int, _ reply: ReplyHandler?, commands: Int = 1) -> Bool {
        let error: RedisError
        if self.link.state != .ready && self.link.state != .connecting {
            self.counts.droppedNotConnected += commands
            error = RedisError(.notConnected, "\(self.link.state)")
        } else if self.queue.count + commands > self.configuration.maxPendingReplies {
            self.counts.droppedTooManyPending += commands
            error = RedisError(.tooManyPending, "\(self.queue.count) awaiting replies")
        } else if !self.link.canQueue(size) {
            self.counts.droppedOutputLimit += commands
            error = RedisError(.outputLimitExceeded, "\(self.link.queuedBytes) bytes queued")
        } else {
            return true
        }
        reply?(.failure(error))
        return false
    }

    @inline(__always)
    private func sent(_ reply: ReplyHandler?) {
        self.queue.push(reply)
        self.counts.commandsSent += 1
    }
}

extension RedisConnection: RedisLinkOwner {
    func link(_ link: RedisLink, didChangeStateTo state: RedisState) {
        self.onStateChange?(state)
    }

    func link(_ link: RedisLink, didReceive reply: RESPReply) {
        guard let callback = self.queue.pop() else {
            self.counts.unexpectedReplies += 1
            return
        }
        self.counts.replies += 1
        if reply.isError { self.counts.errorReplies += 1 }
        callback?(.success(reply))
    }

    func link(_ link: RedisLink, didLose error: RedisError) {
        // One at a time: a callback that sends again finds the connection down and fails at once,
        // so the queue only shrinks.
        while let callback = self.queue.pop() {
            self.counts.failedInFlight += 1
            callback?(.failure(error))
        }
    }
}
