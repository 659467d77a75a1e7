// ReactorError: the one public error type of the Reactor module.

/// An error from the reactor: a failed system call, a connect that timed out, or an address that
/// does not parse.
///
/// A struct around a private code, so new cases can be added without breaking callers. Compare
/// against the static members (`error == .connectTimeout`) or read ``errno`` for system failures.
public struct ReactorError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case system(call: String, errno: Int32)
        case connectTimeout
        case invalidAddress(String)
        case closed
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    /// A system call failed with `errno`.
    static func system(_ call: String, _ errno: Int32) -> ReactorError {
        ReactorError(.system(call: call, errno: errno))
    }

    /// A nonblocking connect did not complete within its timeout.
    public static let connectTimeout = ReactorError(.connectTimeout)
    /// The reactor or connection was closed before the operation completed.
    public static let closed = ReactorError(.closed)

    /// An address string that is not a numeric IPv4/IPv6 address or a valid Unix socket path.
    public static func invalidAddress(_ text: String) -> ReactorError { ReactorError(.invalidAddress(text)) }

    /// The `errno` of a failed system call, or `nil` for errors that are not system failures.
    public var errno: Int32? {
        if case .system(_, let errno) = code { return errno }
        return nil
    }

    /// The name of the failed system call, if this is a system failure.
    public var call: String? {
        if case .system(let call, _) = code { return call }
        return nil
    }

    public var description: String {
        switch code {
        case .system(let call, let errno): return "\(call): \(Posix.errorString(errno)) (errno \(errno))"
        case .connectTimeout: return "connect timed out"
        case .invalidAddress(let text): return "invalid address: \(text)"
        case .closed: return "closed"
        }
    }
}

/// Why a connection closed, as delivered to ``ConnectionHandler/connection(_:didCloseWith:)``.
public enum CloseReason: Hashable, Sendable, CustomStringConvertible {
    /// The owner called ``Connection/close()`` (or the flush after ``Connection/closeAfterFlush()`` finished).
    case local
    /// The peer closed its side (EOF) and the default EOF handling closed ours.
    case peerClosed
    /// The peer reset the connection (ECONNRESET, EPIPE, or a hang-up).
    case reset
    /// Output queued past ``Connection/maxOutboundBytes``, the hard limit: the peer does not read
    /// fast enough, and the reactor dropped it at once.
    case outputLimitExceeded
    /// Output stayed above ``Connection/softOutboundLimit`` for the whole
    /// ``Connection/softOutboundGraceMilliseconds``: the peer stopped reading, or reads more slowly
    /// than its output arrives, for longer than a stall.
    case slowConsumerTimedOut
    /// Any other failure of a read or write.
    case error(ReactorError)

    public var description: String {
        switch self {
        case .local: return "closed locally"
        case .peerClosed: return "peer closed"
        case .reset: return "connection reset"
        case .outputLimitExceeded: return "output limit exceeded"
        case .slowConsumerTimedOut: return "output over the soft limit for the grace period"
        case .error(let error): return error.description
        }
    }
}
