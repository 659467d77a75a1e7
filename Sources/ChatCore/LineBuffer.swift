// LineBuffer: the reusable scratch buffer every outgoing line is encoded into.

/// A growable byte buffer that outgoing lines are encoded into, one line at a time.
///
/// ``ChatState`` owns exactly one. A room message is encoded into it once and the same bytes are
/// handed to the transport for every recipient; the buffer keeps its capacity between lines, so once
/// it has grown to the longest line seen, encoding allocates nothing.
///
/// Non-copyable so that the memory it owns has exactly one owner and is freed exactly once.
struct LineBuffer: ~Copyable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// Bytes encoded so far.
    private(set) var count: Int = 0

    /// Creates an empty buffer with room for `capacity` bytes before it first grows.
    init(capacity: Int = 1024) {
        precondition(capacity > 0, "LineBuffer capacity must be positive")
        self.base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        self.capacity = capacity
    }

    deinit {
        self.base.deallocate()
    }

    /// The encoded bytes. Valid until the next mutation of the buffer.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: self.base, count: self.count)
    }

    /// A copy of the encoded bytes, for callers that keep a line (rare paths only).
    var array: [UInt8] {
        Array(self.bytes)
    }

    /// Forgets the contents and keeps the capacity.
    mutating func removeAll() {
        self.count = 0
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        self.reserve(bytes.count)
        (self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.append($0) }
    }

    /// Appends a literal. `StaticString` keeps protocol words out of the heap entirely.
    mutating func append(_ literal: StaticString) {
        // withUTF8Buffer, not utf8Start: a one-character literal may be stored as a scalar.
        literal.withUTF8Buffer { self.append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(string: String) {
        var string = string
        string.withUTF8 { self.append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(byte: UInt8) {
        self.reserve(1)
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.count += 1
    }

    /// Appends `value` in decimal without going through `String`.
    mutating func append(decimal value: Int) {
        if value < 0 {
            self.append(byte: UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes hold the 20 digits of UInt64.max
        var length = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                length += 1
                scratch[scratch.count - length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            self.append(UnsafeRawBufferPointer(rebasing: scratch[(scratch.count - length)...]))
        }
    }

    /// Makes room for `extra` more bytes, so a line whose length is known up front grows at most once.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(toAtLeast: self.count + extra)
        }
    }

    // Out of line: growth happens a handful of times per process, and keeping it out of `append`
    // keeps the inlined fast path to a compare and a copy.
    @inline(never)
    private mutating func grow(toAtLeast needed: Int) {
        var newCapacity = self.capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        newBase.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = newBase
        self.capacity = newCapacity
    }
}
