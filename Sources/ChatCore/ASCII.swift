// ASCII: the byte constants and raw-buffer helpers the protocol parser works with.

/// Bytes with a meaning in the line protocol.
enum ASCII {
    static let nul: UInt8 = 0x00
    static let newline: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let slash: UInt8 = 0x2F

    /// `b` lowercased if it is an ASCII capital letter, unchanged otherwise.
    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }
}

extension UnsafeRawBufferPointer {
    /// Whether any byte is NUL.
    ///
    /// Every incoming line is scanned, so this tests eight bytes at a time with the classic
    /// "has a zero byte" bit trick instead of a byte loop (ChatCore cannot call `memchr`).
    func containsNUL() -> Bool {
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
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }

    /// The index of the first space at or after `start`, or `count` if there is none.
    func firstSpace(from start: Int) -> Int {
        var i = start
        while i < self.count && self[i] != ASCII.space { i += 1 }
        return i
    }

    /// The index of the first byte at or after `start` that is not a space, or `count`.
    func skippingSpaces(from start: Int) -> Int {
        var i = start
        while i < self.count && self[i] == ASCII.space { i += 1 }
        return i
    }

    /// These bytes without leading and trailing spaces.
    func trimmingSpaces() -> UnsafeRawBufferPointer {
        let start = self.skippingSpaces(from: 0)
        var end = self.count
        while end > start && self[end - 1] == ASCII.space { end -= 1 }
        return self.slice(start..<end)
    }

    /// Whether these bytes, ASCII-lowercased, equal `word` (which must be lowercase).
    func equalsIgnoringCase(_ word: String.UTF8View) -> Bool {
        guard self.count == word.count else { return false }
        var i = 0
        for expected in word {
            if ASCII.lowercased(self[i]) != expected { return false }
            i += 1
        }
        return true
    }
}
