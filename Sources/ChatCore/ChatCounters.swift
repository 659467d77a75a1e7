// ChatCounters: the server-wide counters the stats command reports.

/// Server-wide counters, reported by ``ChatCommand/stats``.
///
/// ``ChatState`` maintains ``connections``, ``messagesIn`` and ``deliveriesOut``. The glue owns the
/// byte counts, the slow-consumer counts and the output figures, which only it can observe, and
/// adds to them directly through ``ChatState/counters`` (or fills them in just before a report,
/// through ``ChatState/refreshCounters``).
public struct ChatCounters: Sendable, Equatable {
    /// Clients currently connected.
    public var connections: Int
    /// Chat lines accepted from clients: messages and actions to rooms, and private messages.
    public var messagesIn: Int
    /// Clients admitted (registered) since the server started.
    public var registrations: Int = 0
    /// Lines delivered to recipients for those chat lines (one message to a room of 10 counts 9).
    public var deliveriesOut: Int
    /// Bytes read from clients (maintained by the glue).
    public var bytesIn: Int
    /// Bytes written to clients (maintained by the glue).
    public var bytesOut: Int
    /// Clients dropped because they did not read their output fast enough, for either reason below
    /// (maintained by the glue).
    public var slowConsumerDrops: Int
    /// Of ``slowConsumerDrops``: clients whose output stayed above the soft limit for the whole
    /// grace period (maintained by the glue).
    public var slowConsumerSoftLimitDrops: Int = 0
    /// Of ``slowConsumerDrops``: clients whose output passed the hard limit (maintained by the glue).
    public var slowConsumerHardLimitDrops: Int = 0
    /// Output queued for all clients together, not yet taken by the network (filled in by the glue).
    public var outputQueuedBytes: Int = 0
    /// The most output ever queued for all clients together (filled in by the glue).
    public var outputQueuedPeakBytes: Int = 0
    /// How often all queued output together passed the server's budget, so that the server stopped
    /// reading from the clients producing the most (filled in by the glue).
    public var outputBudgetPauses: Int = 0
    /// Clients paused for the budget, over all those pauses (filled in by the glue).
    public var outputBudgetPausedConnections: Int = 0
    /// Milliseconds spent over the budget with those clients paused, the current pause included
    /// (filled in by the glue).
    public var outputBudgetPausedMilliseconds: Int = 0

    /// The longest event-loop iteration since start, in microseconds (filled in by the glue).
    public var loopIterationMaxMicroseconds: Int = 0
    /// The longest iteration counting only the time the loop's thread ran (the time other
    /// processes or a VM's host took left out), in microseconds (filled in by the glue).
    public var loopIterationMaxOnCPUMicroseconds: Int = 0
    /// The cluster bus, when this server is a node of one (filled in by the glue).
    public var bus: BusCounters?

    /// Creates a set of counters, all zero unless given.
    public init(
        connections: Int = 0, messagesIn: Int = 0, deliveriesOut: Int = 0, bytesIn: Int = 0, bytesOut: Int = 0,
        slowConsumerDrops: Int = 0
    ) {
        self.connections = connections
        self.messagesIn = messagesIn
        self.deliveriesOut = deliveriesOut
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.slowConsumerDrops = slowConsumerDrops
    }
}

/// What a cluster node's bus did, for ``ChatCommand/stats``: all filled in by the glue.
public struct BusCounters: Sendable, Equatable {
    /// 1 while both Redis connections are up, 0 otherwise.
    public var connected = 0
    public var published = 0
    public var received = 0
    /// Messages and commands dropped: Redis down, over the output cap, duplicates, malformed.
    public var dropped = 0
    public var gaps = 0
    /// Messages the gaps skipped: what this node knows it never got from the others.
    public var missed = 0
    public var duplicates = 0
    public var reconnects = 0
    public var subscriptions = 0
    /// Clients of other nodes known here.
    public var remoteClients = 0

    public init() {}
}
