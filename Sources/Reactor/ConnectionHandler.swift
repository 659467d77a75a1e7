// ConnectionHandler: what a connection's owner implements to hear about reads, writability and close.

/// Receives a connection's events. All methods run on the reactor's thread.
///
/// A handler is usually one object per connection holding that connection's protocol state (a
/// ``LineFramer``, a session), but one object may serve many connections.
///
/// ```swift
/// final class Upcase: ConnectionHandler {
///     var framer = LineFramer(maxLineLength: 1024)
///     func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
///         framer.process(bytes) { frame in
///             if case .line(let line) = frame {
///                 connection.write(Array(line).map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 } + [10])
///             }
///         }
///     }
/// }
/// ```
public protocol ConnectionHandler: AnyObject {
    /// Bytes arrived. `bytes` points into the reactor's shared read buffer and is valid only
    /// during the call: copy what must outlive it (``LineFramer`` keeps only an unfinished line).
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)

    /// The peer closed its sending side. The default closes the connection; override to finish
    /// writing first (half-close), e.g. with ``Connection/closeAfterFlush()``.
    func connectionDidReachEOF(_ connection: Connection)

    /// Queued output crossed the high watermark (`false`) or drained below the low one (`true`).
    func connection(_ connection: Connection, writabilityChanged isWritable: Bool)

    /// The connection is closed and its descriptor released. Delivered once, at the end of the
    /// iteration in which it closed, never from inside another callback of this connection.
    func connection(_ connection: Connection, didCloseWith reason: CloseReason)
}

extension ConnectionHandler {
    public func connectionDidReachEOF(_ connection: Connection) { connection.close(reason: .peerClosed) }
    public func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {}
    public func connection(_ connection: Connection, didCloseWith reason: CloseReason) {}
}
