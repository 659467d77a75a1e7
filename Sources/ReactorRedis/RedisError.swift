// RedisError: why a command got no reply, or a connection went down.

/// Why a Redis command failed without a reply, or why a connection went down.
///
/// A reply that *is* an error (`-ERR …`, `-WRONGTYPE …`) is not one of these: it arrives as a
/// ``RESP/RESPReply`` whose ``RESP/RESPReply/isError`` is true. These are failures of the
/// connection: the command never reached Redis, or its answer can no longer arrive.
public struct RedisError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Hashable, Sendable {
        /// The connection was down (waiting to reconnect): the command was not sent.
        case notConnected
        /// Queuing the command would have put more than
        /// ``RedisConfiguration/maxOutputBytes`` in the output queue (Redis is not reading): dropped.
        case outputLimitExceeded
        /// More than ``RedisConfiguration/maxPendingReplies`` commands were awaiting replies: dropped.
        case tooManyPending
        /// The connection closed (Redis died, the network failed, a reset) before the reply came.
        case connectionLost
        /// Connecting failed (refused, no such socket, timed out).
        case connectFailed
        /// Redis sent bytes that are not RESP, or over the decoder's limits; the connection was closed.
        case protocolError
        /// AUTH, SELECT or CLIENT SETNAME on connecting got an error reply; the connection was closed.
        case handshakeFailed
        /// ``RedisConnection/stop()`` or ``RedisSubscriber/stop()`` was called.
        case stopped
    }

    public let kind: Kind
    /// The underlying cause, for logs: the close reason, the decoder's error, Redis's error text.
    public let detail: String

    public init(_ kind: Kind, _ detail: String = "") {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        let what: String
        switch self.kind {
        case .notConnected: what = "not connected to Redis"
        case .outputLimitExceeded: what = "Redis output limit exceeded; command dropped"
        case .tooManyPending: what = "too many commands awaiting replies; command dropped"
        case .connectionLost: what = "connection to Redis lost"
        case .connectFailed: what = "could not connect to Redis"
        case .protocolError: what = "Redis protocol error"
        case .handshakeFailed: what = "Redis refused the connection handshake"
        case .stopped: what = "Redis client stopped"
        }
        return self.detail.isEmpty ? what : "\(what): \(self.detail)"
    }
}
