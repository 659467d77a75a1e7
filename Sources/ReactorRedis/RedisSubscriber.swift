// RedisSubscriber: Redis pub/sub on its own connection: channels subscribed in batches, messages
// handed over as raw bytes, and the wanted set restored after every reconnect.

import Codec
import RESP
import Reactor

/// A Redis pub/sub subscriber on its own connection, on a ``Reactor/Reactor``.
///
/// The subscriber remembers the channels it should be subscribed to (``channels``), not the
/// commands it sent: ``subscribe(_:)-([[UInt8]])`` and ``unsubscribe(_:)-([[UInt8]])`` change that set,
/// and the changes of one loop iteration go out together at its end, as one `SUBSCRIBE` and one
/// `UNSUBSCRIBE` carrying many channels each (a channel subscribed and unsubscribed in the same
/// iteration sends nothing). After every reconnect the whole set is subscribed again, in batches,
/// before anything else, so a Redis restart costs the messages published while it was down and
/// nothing after.
///
/// Messages go to ``onMessage`` with the channel and payload as raw bytes that are valid only
/// during the call: the message path copies and allocates nothing. They are not filtered against
/// ``channels`` (that would cost a lookup per message): a message published before Redis processed
/// an `UNSUBSCRIBE` may still arrive for a channel just removed.
///
/// Keep commands on a ``RedisConnection`` of their own: a subscribed connection accepts only
/// subscription commands, and a large reply there would hold up messages here.
///
/// ```swift
/// let subscriber = RedisSubscriber(reactor: reactor, address: address)
/// subscriber.onMessage = { channel, payload in deliver(channel, payload) }
/// subscriber.subscribe(["room:lobby", "node:7"])
/// subscriber.start()
/// ```
public final class RedisSubscriber {
    /// What a subscriber has done since it was created.
    public struct Statistics: Sendable, Hashable {
        /// Messages handed to ``RedisSubscriber/onMessage``.
        public var messages = 0
        /// Subscribe and unsubscribe confirmations received.
        public var confirmations = 0
        /// `SUBSCRIBE` commands sent (each carries up to ``RedisSubscriber/maxChannelsPerCommand``).
        public var subscribeCommands = 0
        /// `UNSUBSCRIBE` commands sent.
        public var unsubscribeCommands = 0
        /// Times the whole set was subscribed again on a new connection (not counting the first).
        public var resubscriptions = 0
        /// Replies that were neither messages nor confirmations (Redis errors among them).
        public var otherReplies = 0
        public var connects = 0
        public var connectFailures = 0
        public var disconnects = 0
        public var protocolErrors = 0
    }

    /// The most channels one `SUBSCRIBE` or `UNSUBSCRIBE` carries; a larger batch becomes several.
    public static let maxChannelsPerCommand = 1000

    /// The reactor the subscriber runs on; every method must be called on its thread.
    public var reactor: Reactor { self.link.reactor }
    /// Where the connection is; ``onStateChange`` hears every change.
    public var state: RedisState { self.link.state }
    /// Called on every change of ``state``.
    public var onStateChange: ((RedisState) -> Void)?
    /// Called with each message's channel and payload, valid only during the call.
    public var onMessage: ((_ channel: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> Void)?
    /// Called with each confirmation: its kind, the channel, and how many channels the connection is
    /// now subscribed to. The channel bytes are valid only during the call.
    public var onConfirmation: ((RESPSubscriptionKind, UnsafeRawBufferPointer, Int) -> Void)?

    /// The channels the subscriber should be subscribed to, whether or not Redis has confirmed them.
    public private(set) var channels: Set<[UInt8]> = []
    /// How many channels Redis last said this connection is subscribed to (0 while down): equal to
    /// `channels.count` once every change has been confirmed.
    public private(set) var subscribedCount = 0

    /// What the subscriber has done so far.
    public var statistics: Statistics {
        var statistics = self.counts
        statistics.connects = self.link.counters.connects
        statistics.connectFailures = self.link.counters.connectFailures
        statistics.disconnects = self.link.counters.disconnects
        statistics.protocolErrors = self.link.counters.protocolErrors
        return statistics
    }

    private let link: RedisLink
    private var counts = Statistics()
    /// Changes to ``channels`` not yet sent on the current connection.
    private var toSubscribe: Set<[UInt8]> = []
    private var toUnsubscribe: Set<[UInt8]> = []
    private var flushScheduled = false
    private var scratch = EncodeBuffer(capacity: 4096)

    /// A subscriber to Redis at `address` (TCP or a Unix socket). It does nothing until ``start()``.
    public init(reactor: Reactor, address: SocketAddress, configuration: RedisConfiguration = RedisConfiguration()) {
        self.link = RedisLink(reactor: reactor, address: address, configuration: configuration)
        self.link.owner = self
    }

    deinit {
        self.link.owner = nil
        self.link.stop()
    }

    /// Connects and subscribes to ``channels``, again after every reconnect, until ``stop()``.
    public func start() { self.link.start() }

    /// Closes the connection and stops reconnecting; ``channels`` is kept for the next ``start()``.
    public func stop() { self.link.stop() }

    /// Closes the connection as lost and reconnects after the backoff: for an owner whose liveness
    /// probe found the subscription wedged. Ignored unless connecting or ready.
    public func reconnect() { self.link.reconnect(RedisError(.connectionLost, "reconnect requested")) }

    // MARK: Subscriptions

    /// Adds channels to ``channels``; they are subscribed at the end of this loop iteration.
    public func subscribe(_ channels: [[UInt8]]) {
        for channel in channels where self.channels.insert(channel).inserted {
            // Re-wanted before its unsubscribe left: it is still subscribed, send nothing.
            if self.toUnsubscribe.remove(channel) == nil { self.toSubscribe.insert(channel) }
        }
        self.scheduleFlush()
    }

    /// Removes channels from ``channels``; they are unsubscribed at the end of this loop iteration.
    public func unsubscribe(_ channels: [[UInt8]]) {
        for channel in channels where self.channels.remove(channel) != nil {
            if self.toSubscribe.remove(channel) == nil { self.toUnsubscribe.insert(channel) }
        }
        self.scheduleFlush()
    }

    /// ``subscribe(_:)-([[UInt8]])`` with channel names.
    public func subscribe(_ channels: [String]) { self.subscribe(channels.map { Array($0.utf8) }) }

    /// ``unsubscribe(_:)-([[UInt8]])`` with channel names.
    public func unsubscribe(_ channels: [String]) { self.unsubscribe(channels.map { Array($0.utf8) }) }

    /// Whether `channel` is in ``channels``.
    public func isSubscribed(to channel: [UInt8]) -> Bool { self.channels.contains(channel) }

    private func scheduleFlush() {
        guard !self.flushScheduled, !self.toSubscribe.isEmpty || !self.toUnsubscribe.isEmpty else { return }
        self.flushScheduled = true
        // At the end of the iteration, before the flush: everything changed in it goes together.
        self.reactor.runLater { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            self.sendChanges()
        }
    }

    /// Sends the pending changes, if connected; otherwise they wait for the next connection, which
    /// subscribes the whole set anyway.
    private func sendChanges() {
        guard self.link.state == .ready else { return }
        if !self.toUnsubscribe.isEmpty {
            self.counts.unsubscribeCommands += self.send("UNSUBSCRIBE", self.toUnsubscribe)
            self.toUnsubscribe.removeAll()
        }
        if !self.toSubscribe.isEmpty {
            self.counts.subscribeCommands += self.send("SUBSCRIBE", self.toSubscribe)
            self.toSubscribe.removeAll()
        }
    }

    /// Writes `command` with `channels` in batches; returns how many commands that took. If the
    /// output cap refuses a batch, Redis is not reading: the connection is dropped, and the next one
    /// subscribes the whole set.
    private func send(_ command: StaticString, _ channels: Set<[UInt8]>) -> Int {
        var commands = 0
        var batch: [[UInt8]] = []
        batch.reserveCapacity(min(channels.count, Self.maxChannelsPerCommand))
        func write() -> Bool {
            self.scratch.removeAll()
            RESPEncoder.writeArrayHeader(count: batch.count + 1, into: &self.scratch)
            RESPEncoder.writeBulk(command, into: &self.scratch)
            for channel in batch { RESPEncoder.writeBulk(channel, into: &self.scratch) }
            batch.removeAll(keepingCapacity: true)
            guard self.link.canQueue(self.scratch.count) else {
                self.link.reconnect(RedisError(.outputLimitExceeded, "subscription commands not read"))
                return false
            }
            self.link.write(self.scratch.bytes)
            commands += 1
            return true
        }
        for channel in channels {
            batch.append(channel)
            if batch.count == Self.maxChannelsPerCommand && !write() { return commands }
        }
        if !batch.isEmpty { _ = write() }
        return commands
    }
}

extension RedisSubscriber: RedisLinkOwner {
    func link(_ link: RedisLink, didChangeStateTo state: RedisState) {
        if state == .ready {
            // A new connection has no subscriptions: all of them, first thing.
            self.toUnsubscribe.removeAll()
            self.toSubscribe = self.channels
            if !self.channels.isEmpty && link.counters.connects > 1 { self.counts.resubscriptions += 1 }
            self.sendChanges()
        }
        self.onStateChange?(state)
    }

    func link(_ link: RedisLink, didReceive reply: RESPReply) {
        switch reply.pubSubEvent {
        case .message(let channel, let payload), .shardMessage(let channel, let payload):
            self.counts.messages += 1
            self.onMessage?(channel, payload)
        case .patternMessage(_, let channel, let payload):
            self.counts.messages += 1
            self.onMessage?(channel, payload)
        case .confirmation(let kind, let channel, _, let count):
            self.counts.confirmations += 1
            self.subscribedCount = count
            self.onConfirmation?(kind, channel, count)
        case .pong, nil:
            self.counts.otherReplies += 1
        }
    }

    func link(_ link: RedisLink, didLose error: RedisError) {
        self.subscribedCount = 0
        self.toSubscribe.removeAll()
        self.toUnsubscribe.removeAll()
    }
}
