// NameKey: a case-folded, allocation-free key for nicks and room names.

/// A nick or room name folded to lowercase and packed into 32 bytes.
///
/// Names are at most 32 bytes of `[A-Za-z0-9_-]`, so folded and zero-padded they fit in four words.
/// That makes lookups by a name that arrived on the wire (`/msg bob hi`) free of allocation, and
/// because the bytes are packed most-significant first and names never contain NUL, comparing keys
/// word by word orders names case-insensitively and lexicographically.
public struct NameKey: Hashable, Comparable, Sendable {
    /// The longest valid name, in bytes.
    public static let maxLength = 32

    private let w0: UInt64
    private let w1: UInt64
    private let w2: UInt64
    private let w3: UInt64

    /// Folds `name`, or returns `nil` if it is not 1–32 of `[A-Za-z0-9_-]`.
    public init?(validating name: UnsafeRawBufferPointer) {
        guard (1...Self.maxLength).contains(name.count) else { return nil }
        for byte in name where !Self.isNameByte(byte) { return nil }
        self.w0 = Self.pack(name, word: 0)
        self.w1 = Self.pack(name, word: 1)
        self.w2 = Self.pack(name, word: 2)
        self.w3 = Self.pack(name, word: 3)
    }

    public static func < (lhs: NameKey, rhs: NameKey) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }

    /// Whether `byte` may appear in a name: `[A-Za-z0-9_-]`.
    public static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Bytes `8 * word ..< 8 * word + 8` of the folded name, first byte most significant, zero-padded.
    private static func pack(_ name: UnsafeRawBufferPointer, word: Int) -> UInt64 {
        var packed: UInt64 = 0
        for i in (8 * word)..<(8 * word + 8) {
            let byte = i < name.count ? (name[i] &- 0x41 < 26 ? name[i] | 0x20 : name[i]) : 0
            packed = packed << 8 | UInt64(byte)
        }
        return packed
    }
}
