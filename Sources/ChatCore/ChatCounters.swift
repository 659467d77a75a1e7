// ChatCounters: the server-wide counters the stats command reports.

/// Server-wide counters, reported by ``ChatCommand/stats``.
///
/// ``ChatState`` maintains ``connections``, ``messagesIn`` and ``deliveriesOut``. The glue owns the
/// byte counts and the slow-consumer count, which only it can observe, and adds to them directly
/// through ``ChatState/counters``.
public struct ChatCounters: Sendable, Equatable {
    /// Clients currently connected.
    public var connections: Int
    /// Chat lines accepted from clients: messages and actions to rooms, and private messages.
    public var messagesIn: Int
    /// Lines delivered to recipients for those chat lines (one message to a room of 10 counts 9).
    public var deliveriesOut: Int
    /// Bytes read from clients (maintained by the glue).
    public var bytesIn: Int
    /// Bytes written to clients (maintained by the glue).
    public var bytesOut: Int
    /// Clients dropped because they did not read their output fast enough (maintained by the glue).
    public var slowConsumerDrops: Int

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
