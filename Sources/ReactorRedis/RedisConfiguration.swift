// RedisConfiguration and RedisState: how a Redis client connects and what it may queue, and where
// its connection is.

import RESP

/// How a ``RedisConnection`` or ``RedisSubscriber`` connects, reconnects, and bounds its queues.
public struct RedisConfiguration: Sendable {
    /// How long one connect may take before it counts as failed.
    public var connectTimeoutMilliseconds: Int
    /// The delays between reconnect attempts after a failure or a lost connection.
    public var backoff: ExponentialBackoff
    /// The most bytes of commands that may wait to be written to Redis (while connecting, or when
    /// Redis reads slower than commands are issued). A command that would pass it is dropped, its
    /// callback gets ``RedisError/Kind/outputLimitExceeded``, and the drop is counted.
    public var maxOutputBytes: Int
    /// The most commands that may await their replies; beyond it commands are dropped
    /// (``RedisError/Kind/tooManyPending``). Bounds the memory of the reply queue when Redis stops
    /// answering but the kernel still takes the bytes.
    public var maxPendingReplies: Int
    /// What one reply may hold; a reply beyond them closes the connection as a protocol error.
    public var decoderLimits: RESPDecoderLimits
    /// `AUTH` sent first on every connection when set (with ``username`` when that is set too).
    public var password: String?
    public var username: String?
    /// `SELECT` sent on every connection when set.
    public var database: Int?
    /// `CLIENT SETNAME` sent on every connection when set, so `CLIENT LIST` shows who is who.
    public var clientName: String?

    public init(
        connectTimeoutMilliseconds: Int = 2000, backoff: ExponentialBackoff = ExponentialBackoff(),
        maxOutputBytes: Int = 16 << 20, maxPendingReplies: Int = 1 << 20,
        decoderLimits: RESPDecoderLimits = .standard, password: String? = nil, username: String? = nil,
        database: Int? = nil, clientName: String? = nil
    ) {
        precondition(maxOutputBytes > 0 && maxPendingReplies > 0, "Redis limits must be positive")
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.backoff = backoff
        self.maxOutputBytes = maxOutputBytes
        self.maxPendingReplies = maxPendingReplies
        self.decoderLimits = decoderLimits
        self.password = password
        self.username = username
        self.database = database
        self.clientName = clientName
    }
}

/// Where a Redis client's connection is.
public enum RedisState: Sendable, Hashable, CustomStringConvertible {
    /// Not started, or stopped: no connection and no reconnecting.
    case stopped
    /// A connect is in progress. Commands are accepted and queued (within the output limit); they
    /// leave when the connection opens, after the handshake.
    case connecting
    /// Connected: commands go out at the end of the loop iteration they are issued in.
    case ready
    /// The connection failed or was lost; a reconnect is scheduled. Commands fail at once.
    case down

    public var description: String {
        switch self {
        case .stopped: "stopped"
        case .connecting: "connecting"
        case .ready: "ready"
        case .down: "down"
        }
    }
}
