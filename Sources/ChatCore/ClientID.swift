// ClientID: the handle the server glue uses for one client, local or not.

/// Identifies one connected client.
///
/// The glue's session table hands identifiers out: small, dense, and reused after a disconnect, and
/// not tied to a file descriptor, so a client that has no socket on this process (one reached through
/// another server) gets one too. ``ChatState`` relies on the density: it keeps per-client state in an
/// array indexed by ``raw`` rather than in a dictionary.
public struct ClientID: Hashable, Sendable, CustomStringConvertible {
    /// The raw identifier, a slot in the glue's session table. Must not be negative.
    public var raw: Int32

    /// Wraps a raw identifier.
    ///
    /// - Parameter raw: A non-negative integer that is unique among connected clients.
    public init(_ raw: Int32) {
        self.raw = raw
    }

    public var description: String { "client \(self.raw)" }

    /// The slot of this client in per-client arrays.
    @inlinable public var index: Int { Int(self.raw) }
}

/// Which rendering of events a client needs: one per front end and per negotiated variant of it.
///
/// ChatCore never looks inside: the glue numbers its encodings from 0 (line protocol v1, IRC, IRC
/// with message tags, …) and tells ``ChatState`` each client's. Rooms keep their members partitioned
/// by encoding, so an event to a room is handed to the sink once per encoding present, and rendered
/// once per encoding rather than once per recipient.
public struct Encoding: Hashable, Sendable, CustomStringConvertible {
    /// The most encodings one ``ChatState`` tells apart.
    public static let limit = 16

    /// The encoding's number, `0..<limit`.
    public let index: UInt8

    /// - Parameter index: A number below ``limit``, chosen by the glue.
    public init(_ index: UInt8) {
        precondition(Int(index) < Self.limit, "encoding \(index) is not below \(Self.limit)")
        self.index = index
    }

    public var description: String { "encoding \(self.index)" }
}
