// EncodeBuffer: the reusable scratch buffer that codecs render outgoing messages into.

/// A growable byte buffer that a codec renders outgoing lines or frames into.
///
/// A room message is rendered into one of these once per encoding and the same bytes are handed to
/// every recipient of that encoding; the buffer keeps its capacity between messages, so once it has
/// grown to the longest message seen, rendering allocates nothing.
///
/// Non-copyable so that the memory it owns has exactly one owner and is freed exactly once. The
/// append methods are `@inlinable`: they are called from other modules (each codec, the server) on
/// the message path, where a cross-module call per field would cost more than the copy itself.
public struct EncodeBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    @usableFromInline var used: Int = 0

    /// Bytes rendered so far.
    @inlinable public var count: Int { self.used }

    /// Creates an empty buffer with room for `capacity` bytes before it first grows.
    public init(capacity: Int = 1024) {
        precondition(capacity > 0, "EncodeBuffer capacity must be positive")
        self.base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        self.capacity = capacity
    }

    deinit {
        self.base.deallocate()
    }

    /// The rendered bytes. Valid until the next mutation of the buffer.
    @inlinable
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: self.base, count: self.count)
    }

    /// A copy of the rendered bytes, for callers that keep them (rare paths only).
    public var array: [UInt8] {
        Array(self.bytes)
    }

    /// Forgets the contents and keeps the capacity.
    @inlinable
    public mutating func removeAll() {
        self.used = 0
    }

    /// Forgets the last `count` rendered bytes, such as a line ending the next layer does not send.
    @inlinable
    public mutating func removeLast(_ count: Int) {
        precondition(count >= 0 && count <= self.used, "EncodeBuffer.removeLast: more bytes than rendered")
        self.used -= count
    }

    /// Write access to the rendered bytes, to fill in a length or a header reserved in front of a
    /// payload rendered after it (a WebSocket frame header, for one). The buffer cannot grow inside.
    @inlinable
    public mutating func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableRawBufferPointer(start: self.base, count: self.used))
    }

    @inlinable
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        self.reserve(bytes.count)
        (self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.used += bytes.count
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.append($0) }
    }

    /// Appends a literal. `StaticString` keeps protocol words out of the heap entirely.
    @inlinable
    public mutating func append(_ literal: StaticString) {
        // withUTF8Buffer, not utf8Start: a one-character literal may be stored as a scalar.
        literal.withUTF8Buffer { self.append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(string: String) {
        var string = string
        string.withUTF8 { self.append(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public mutating func append(byte: UInt8) {
        self.reserve(1)
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.used += 1
    }

    /// Appends `value` in decimal without going through `String`.
    public mutating func append(decimal value: Int) {
        if value < 0 {
            self.append(byte: UInt8(ascii: "-"))
        }
        self.append(decimal: UInt64(value.magnitude))
    }

    /// Appends `value` in decimal, all of its range (sequence numbers, tokens).
    public mutating func append(decimal value: UInt64) {
        var magnitude = value
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes hold the 20 digits of UInt64.max
        var length = 0
        Swift.withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                length += 1
                scratch[scratch.count - length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            self.append(UnsafeRawBufferPointer(rebasing: scratch[(scratch.count - length)...]))
        }
    }

    /// Makes room for `extra` more bytes, so a message whose length is known up front grows at most once.
    @inlinable @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(toAtLeast: self.count + extra)
        }
    }

    // Out of line: growth happens a handful of times per process, and keeping it out of `append`
    // keeps the inlined fast path to a compare and a copy.
    @usableFromInline @inline(never)
    mutating func grow(toAtLeast needed: Int) {
        var newCapacity = self.capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        newBase.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = newBase
        self.capacity = newCapacity
    }
}
