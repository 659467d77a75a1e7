// IRCByte: the bytes with a meaning in IRC lines, and the scan for the three bytes a line must not hold.

import Codec

/// Bytes with a meaning in IRC beyond the ones every text protocol shares (``ASCII``).
public enum IRCByte {
    public static let at: UInt8 = 0x40
    public static let semicolon: UInt8 = 0x3B
    public static let equals: UInt8 = 0x3D
    public static let backslash: UInt8 = 0x5C
    public static let comma: UInt8 = 0x2C
    public static let plus: UInt8 = 0x2B
    public static let exclamation: UInt8 = 0x21
    /// Delimits a CTCP message inside a PRIVMSG or NOTICE text.
    public static let ctcpDelimiter: UInt8 = 0x01
}

extension UnsafeRawBufferPointer {
    /// Whether any byte is NUL, CR or LF, none of which may appear inside an IRC line.
    ///
    /// Every line is scanned once, so this tests eight bytes at a time with the "has a zero byte"
    /// trick (as ``containsNUL()`` does), applied to the word and to it XORed with CR and LF.
    public func containsForbiddenIRCByte() -> Bool {
        guard let base = self.baseAddress else { return false }
        let count = self.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        var offset = 0
        while offset + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if hasZero(word) || hasZero(word ^ (ones &* 0x0D)) || hasZero(word ^ (ones &* 0x0A)) { return true }
            offset += 8
        }
        while offset < count {
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte == ASCII.nul || byte == ASCII.carriageReturn || byte == ASCII.newline { return true }
            offset += 1
        }
        return false
    }
}
