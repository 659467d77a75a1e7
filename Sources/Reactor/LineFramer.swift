// LineFramer: splits a byte stream into `\n`-terminated lines with a length limit.

/// A reusable line codec: `\n`-terminated frames, an optional `\r` before the `\n` stripped, and a
/// maximum length with discard-until-newline recovery.
///
/// Feed it whatever a read returned; it calls back once per complete line, in order. Only the
/// bytes of an unfinished line are kept between calls (and released once the line completes), so
/// an idle connection's framer holds no memory. A line longer than ``maxLineLength`` is reported
/// once as ``Frame/overlong`` as soon as the limit is crossed, and its remaining bytes are dropped
/// up to and including the next `\n`: it is never buffered, whatever its size.
///
/// ```swift
/// var framer = LineFramer(maxLineLength: 4096)
/// framer.process(bytes) { frame in
///     switch frame {
///     case .line(let line): handle(line)       // without "\n" or "\r\n"
///     case .overlong: reject()
///     }
/// }
/// ```
public struct LineFramer: Sendable {
    /// What ``process(_:_:)`` reports.
    public enum Frame {
        /// One line without its terminator; valid only during the callback.
        case line(UnsafeRawBufferPointer)
        /// A line exceeded the limit; its bytes up to the next newline are being discarded.
        case overlong
    }

    /// One word: a framer lives in every connection's handler, and at 8 bytes instead of 16 it
    /// takes a chat session from 80 bytes to 72 (malloc's 80-byte class instead of 96). Between
    /// lines (an idle connection, or every line that arrives whole) it is the limit and the discard
    /// flag; while a line is unfinished, the bytes so far in an array whose first 4 bytes keep the
    /// limit (the array the line needs anyway, so still no allocation of its own).
    private enum State: Sendable {
        case between(limit: Int32, discarding: Bool)
        /// The limit (4 bytes), then the start of the line.
        case partial([UInt8])
    }

    private var state: State

    /// The longest line accepted, in bytes, excluding the `\n` (and a `\r` before it).
    public var maxLineLength: Int {
        switch state {
        case .between(let limit, _): return Int(limit)
        case .partial(let bytes): return Int(Self.limit(of: bytes))
        }
    }

    public init(maxLineLength: Int = 4096) {
        precondition(maxLineLength > 0 && maxLineLength < Int(Int32.max), "maxLineLength must be in 1..<2^31")
        state = .between(limit: Int32(maxLineLength), discarding: false)
    }

    /// Bytes of an unfinished line held between reads.
    public var bufferedByteCount: Int {
        if case .partial(let bytes) = state { return bytes.count - 4 }
        return 0
    }

    /// True while the rest of an overlong line is being dropped.
    public var isDiscarding: Bool {
        if case .between(_, true) = state { return true }
        return false
    }

    private static func limit(of partial: [UInt8]) -> Int32 {
        partial.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
    }

    /// Splits `bytes` into frames, calling `body` for each in order.
    @inline(__always)
    public mutating func process(_ bytes: UnsafeRawBufferPointer, _ body: (Frame) -> Void) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let end = bytes.count
        var start = 0
        while start < end {
            guard let newline = Self.find(base + start, end - start) else {
                buffer(UnsafeRawBufferPointer(start: base + start, count: end - start), body)
                return
            }
            let lineEnd = start + newline
            switch state {
            case .between(let limit, let discarding):
                if discarding {
                    state = .between(limit: limit, discarding: false)
                } else {
                    Self.emit(UnsafeRawBufferPointer(start: base + start, count: lineEnd - start), limit, body)
                }
            case .partial(var partial):
                let limit = Self.limit(of: partial)
                // Before appending, so the array is not shared with `state` (no copy).
                state = .between(limit: limit, discarding: false)
                let tail = UnsafeRawBufferPointer(start: base + start, count: lineEnd - start)
                if partial.count - 4 + tail.count > Int(limit) + 1 {
                    body(.overlong)
                } else {
                    partial.append(contentsOf: tail)
                    partial.withUnsafeBytes { Self.emit(UnsafeRawBufferPointer(rebasing: $0[4...]), limit, body) }
                }
            }
            start = lineEnd + 1
        }
    }

    @inline(__always)
    private static func emit(_ line: UnsafeRawBufferPointer, _ limit: Int32, _ body: (Frame) -> Void) {
        var count = line.count
        if count > 0 && line[count - 1] == 13 { count -= 1 }
        if count > Int(limit) {
            body(.overlong)
        } else {
            body(.line(UnsafeRawBufferPointer(start: line.baseAddress, count: count)))
        }
    }

    /// Keeps the start of an unfinished line, or reports it overlong as soon as it cannot fit.
    private mutating func buffer(_ rest: UnsafeRawBufferPointer, _ body: (Frame) -> Void) {
        // One byte of slack: the line may still end in "\r\n", and the "\r" is not counted.
        switch state {
        case .between(let limit, let discarding):
            guard !discarding else { return }
            if rest.count > Int(limit) + 1 {
                state = .between(limit: limit, discarding: true)
                body(.overlong)
            } else {
                var partial: [UInt8] = []
                partial.reserveCapacity(4 + rest.count)
                withUnsafeBytes(of: limit) { partial.append(contentsOf: $0) }
                partial.append(contentsOf: rest)
                state = .partial(partial)
            }
        case .partial(var partial):
            let limit = Self.limit(of: partial)
            state = .between(limit: limit, discarding: false)
            if partial.count - 4 + rest.count > Int(limit) + 1 {
                state = .between(limit: limit, discarding: true)
                body(.overlong)
            } else {
                partial.append(contentsOf: rest)
                state = .partial(partial)
            }
        }
    }

    @inline(__always)
    private static func find(_ pointer: UnsafeRawPointer, _ count: Int) -> Int? {
        // memchr is vectorised in glibc; the generic loop is close for short lines.
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        return bytes.firstIndex(of: 10)
    }
}
