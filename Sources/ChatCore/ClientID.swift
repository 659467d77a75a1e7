// ClientID: the handle the server glue uses for one connected client.

/// Identifies one connected client.
///
/// The glue uses the socket's file descriptor as the identifier, so identifiers are small, dense and
/// reused after a disconnect. ``ChatState`` relies on that: it keeps per-client state in an array
/// indexed by ``raw`` rather than in a dictionary.
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    /// The raw identifier, usually the client's file descriptor. Must not be negative.
    public var raw: Int32

    /// Wraps a raw identifier such as a file descriptor.
    ///
    /// - Parameter raw: A non-negative integer that is unique among connected clients.
    public init(_ raw: Int32) {
        self.raw = raw
    }

    public var description: String { "client \(self.raw)" }

    /// The slot of this client in per-client arrays.
    var index: Int { Int(self.raw) }
}
