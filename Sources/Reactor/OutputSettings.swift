// OutputSettings: a connection's watermarks, output limits and overflow notice, stored once for
// all the connections that have the same rather than in every connection.

/// What a connection is told about its output: the watermarks, the soft limit and its grace
/// period, the hard limit, the overflow notice. The public properties of ``Connection`` read and
/// change these; this is how they are stored.
struct OutputSettings: Equatable, Sendable {
    var low: Int32 = 32 * 1024
    var high: Int32 = 64 * 1024
    /// The soft limit; `Int32.max` means none.
    var soft: Int32 = .max
    var grace: Int32 = 10_000
    var hard = 64 * 1024 * 1024
    var notice: [UInt8]? = nil
}

/// One set of ``OutputSettings``, immutable, shared by every connection that has them (in a
/// server they are the same for every client, in practice). A connection holds one reference
/// instead of 32 bytes of fields; changing a connection's settings points it to the object for
/// the new ones, and nothing is ever written into a shared one.
///
/// The objects are found in a small process-wide list rather than through the reactor, so a
/// setter works wherever it did when the fields were the connection's own (even once the reactor
/// is gone, as an exit test does). Immutable, hence shared across reactors' threads safely.
final class SharedOutputSettings: Sendable {
    let values: OutputSettings
    /// The smallest of the high watermark, the soft limit and the hard limit: the queue size above
    /// which a write has to look at them (``Connection``'s `checkAbove`). At most `high`, so it
    /// fits in 32 bits; a hard limit below `Int32.min` clamps to `Int32.min`, which every queue
    /// size exceeds all the same.
    let checkAbove: Int32

    private init(_ values: OutputSettings) {
        self.values = values
        checkAbove = Int32(clamping: min(min(Int(values.high), values.hard), Int(values.soft)))
    }

    /// The settings every connection starts with.
    static let standard = SharedOutputSettings(OutputSettings())

    /// How many recently made settings are kept besides the standard ones. A server uses a few
    /// (the same limits with each front end's notice, and the step between), so all its
    /// connections share them. Settings that are different for every connection cost one object
    /// per connection, about as much as the fields did.
    static let recentKept = 8
    /// Recently made settings, oldest first; the oldest is forgotten when there are more (the
    /// connections using it keep it).
    private static let recent = Locked<[SharedOutputSettings]>([])

    /// The object for `values`: the standard one, an equal recent one, or a new one. Linear in the
    /// few kept, under a lock; called when a connection's settings change, never per message.
    static func shared(_ values: OutputSettings) -> SharedOutputSettings {
        if values == standard.values { return standard }
        return recent.withLock { recent in
            if let shared = recent.last(where: { $0.values == values }) { return shared }
            let shared = SharedOutputSettings(values)
            if recent.count >= recentKept { recent.removeFirst() }
            recent.append(shared)
            return shared
        }
    }
}
