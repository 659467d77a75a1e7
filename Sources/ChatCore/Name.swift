// Name: a validated nick or room name, stored inline so the message path copies it without ARC.

/// A valid nick or room name (see ``NameGrammar``): at most 32 bytes, stored inline.
///
/// Codecs render names into outgoing lines with ``withBytes(_:)``, which is inlinable so that the
/// copy happens in the caller's module without a call per name.
///
/// A name is written into outgoing lines far more often than it changes, so it is kept ready to copy:
/// the bytes as the client spelled them sit inline in the value (32 bytes is the longest name). A
/// `Name` is plain data, with no heap storage: reading one off a client or a room and appending it to
/// a line costs no retain, no release and no allocation.
///
/// The folded lookup ``key`` is computed on demand rather than stored: it is needed only when a
/// name is claimed, looked up or sorted, and storing it cost 32 bytes per connected client.
public struct Name: Sendable, Equatable {
    /// The spelled bytes in memory order, zero-padded.
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @usableFromInline let length: UInt8

    /// The number of bytes in ``storage`` that belong to the name.
    @inlinable public var count: Int { Int(self.length) }

    /// The case-folded key that uniqueness and sorting use.
    public var key: NameKey { self.withBytes { NameKey(folding: $0) } }

    /// Validates `raw` against `grammar` (a room name unless told otherwise), or returns `nil`.
    public init?(_ raw: UnsafeRawBufferPointer, _ grammar: NameGrammar = .room) {
        guard NameKey(validating: raw, grammar) != nil else { return nil }
        self.length = UInt8(raw.count)
        withUnsafeMutableBytes(of: &self.storage) { $0.copyMemory(from: raw) }
    }

    /// Validates `string` against `grammar` (a room name unless told otherwise), or returns `nil`.
    public init?(_ string: String, _ grammar: NameGrammar = .room) {
        var string = string
        guard let name = string.withUTF8({ Name(UnsafeRawBufferPointer($0), grammar) }) else { return nil }
        self = name
    }

    /// Stands in for the nick of a client that has not chosen one yet; never shown to anyone.
    static let placeholder = Name("-")!

    /// Calls `body` with the name's bytes as spelled.
    @inlinable @inline(__always)
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(of: self.storage) { try body(UnsafeRawBufferPointer(rebasing: $0[..<self.count])) }
    }

    /// The name's bytes as spelled (allocates; for listings and tests).
    public var bytes: [UInt8] {
        self.withBytes { Array($0) }
    }

    /// The name as spelled (allocates; for logs, listings and tests).
    public var string: String {
        self.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Equal when spelled identically; names that differ only in case have equal keys but are not equal.
    public static func == (lhs: Name, rhs: Name) -> Bool {
        lhs.length == rhs.length && lhs.storage == rhs.storage
    }
}
