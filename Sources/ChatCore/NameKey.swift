// NameKey: a case-folded, allocation-free key for nicks and room names.

/// Which rule a name follows.
///
/// Room names are 1–32 of `[A-Za-z0-9_-]`. Nicks are 1–32 of letters, digits and ``-_[]\`^{|}``
/// not starting with a digit or `-`: what IRC clients use, the same for every front end. Case is
/// folded for ASCII letters only (IRC's `CASEMAPPING=ascii`), so `[` and `{` stay distinct.
public enum NameGrammar: Sendable {
    case room, nick
}

/// A nick or room name folded to lowercase and packed into 32 bytes.
///
/// Names are at most 32 bytes and never contain NUL, so folded and zero-padded they fit in four words.
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

    /// Folds `name`, or returns `nil` if it does not follow `grammar`.
    public init?(validating name: UnsafeRawBufferPointer, _ grammar: NameGrammar = .room) {
        guard (1...Self.maxLength).contains(name.count) else { return nil }
        switch grammar {
        case .room:
            for byte in name where !Self.isNameByte(byte) { return nil }
        case .nick:
            guard !Self.isDigitOrDash(name[0]) else { return nil }
            for byte in name where !Self.isNickByte(byte) { return nil }
        }
        self.init(folding: name)
    }

    /// Folds bytes already known to be a valid name.
    init(folding name: UnsafeRawBufferPointer) {
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

    /// Whether `byte` may appear in a nick: a name byte or one of ``[]\`^{|}``.
    public static func isNickByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "^"),
            UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"):
            return true
        default:
            return Self.isNameByte(byte)
        }
    }

    private static func isDigitOrDash(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
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
