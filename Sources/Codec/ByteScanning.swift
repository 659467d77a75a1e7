// ByteScanning: the byte constants and raw-buffer helpers that text protocol parsers share.

/// Bytes with a meaning in the text protocols.
public enum ASCII {
    public static let nul: UInt8 = 0x00
    public static let tab: UInt8 = 0x09
    public static let newline: UInt8 = 0x0A
    public static let carriageReturn: UInt8 = 0x0D
    public static let space: UInt8 = 0x20
    public static let slash: UInt8 = 0x2F
    public static let colon: UInt8 = 0x3A

    /// `b` lowercased if it is an ASCII capital letter, unchanged otherwise.
    @inlinable @inline(__always)
    public static func lowercased(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }
}

extension UnsafeRawBufferPointer {
    /// Whether any byte is NUL.
    ///
    /// Every incoming line is scanned, so this tests eight bytes at a time with the classic
    /// "has a zero byte" bit trick instead of a byte loop (codecs do not call `memchr`).
    public func containsNUL() -> Bool {
        guard let base = self.baseAddress else { return false }
        let count = self.count
        var offset = 0
        while offset + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 { return true }
            offset += 8
        }
        while offset < count {
            if base.load(fromByteOffset: offset, as: UInt8.self) == ASCII.nul { return true }
            offset += 1
        }
        return false
    }

    /// The bytes in `range`, as a buffer of their own.
    @inlinable @inline(__always)
    public func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }

    /// The index of the first space at or after `start`, or `count` if there is none.
    public func firstSpace(from start: Int) -> Int {
        var i = start
        while i < self.count && self[i] != ASCII.space { i += 1 }
        return i
    }

    /// The index of the first byte at or after `start` that is not a space, or `count`.
    public func skippingSpaces(from start: Int) -> Int {
        var i = start
        while i < self.count && self[i] == ASCII.space { i += 1 }
        return i
    }

    /// These bytes without leading and trailing spaces.
    public func trimmingSpaces() -> UnsafeRawBufferPointer {
        let start = self.skippingSpaces(from: 0)
        var end = self.count
        while end > start && self[end - 1] == ASCII.space { end -= 1 }
        return self.slice(start..<end)
    }

    /// Whether these bytes, ASCII-lowercased, equal `word` (which must be lowercase).
    public func equalsIgnoringCase(_ word: String.UTF8View) -> Bool {
        guard self.count == word.count else { return false }
        var i = 0
        for expected in word {
            if ASCII.lowercased(self[i]) != expected { return false }
            i += 1
        }
        return true
    }
}
