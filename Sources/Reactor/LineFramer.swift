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

    private var partial: [UInt8] = []
    // 32 bits and next to the flag: a framer lives in every connection's handler (16 bytes, not 24).
    private let limit: Int32
    private var discarding = false

    /// The longest line accepted, in bytes, excluding the `\n` (and a `\r` before it).
    public var maxLineLength: Int { Int(limit) }

    public init(maxLineLength: Int = 4096) {
        precondition(maxLineLength > 0 && maxLineLength < Int(Int32.max), "maxLineLength must be in 1..<2^31")
        self.limit = Int32(maxLineLength)
    }

    /// Bytes of an unfinished line held between reads.
    public var bufferedByteCount: Int { partial.count }

    /// True while the rest of an overlong line is being dropped.
    public var isDiscarding: Bool { discarding }

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
            if discarding {
                discarding = false
            } else if partial.isEmpty {
                emit(UnsafeRawBufferPointer(start: base + start, count: lineEnd - start), body)
            } else {
                let tail = UnsafeRawBufferPointer(start: base + start, count: lineEnd - start)
                if partial.count + tail.count > maxLineLength + 1 {
                    body(.overlong)
                } else {
                    partial.append(contentsOf: tail)
                    partial.withUnsafeBytes { emit($0, body) }
                }
                partial = []
            }
            start = lineEnd + 1
        }
    }

    @inline(__always)
    private func emit(_ line: UnsafeRawBufferPointer, _ body: (Frame) -> Void) {
        var count = line.count
        if count > 0 && line[count - 1] == 13 { count -= 1 }
        if count > maxLineLength {
            body(.overlong)
        } else {
            body(.line(UnsafeRawBufferPointer(start: line.baseAddress, count: count)))
        }
    }

    /// Keeps the start of an unfinished line, or reports it overlong as soon as it cannot fit.
    private mutating func buffer(_ rest: UnsafeRawBufferPointer, _ body: (Frame) -> Void) {
        guard !discarding else { return }
        // One byte of slack: the line may still end in "\r\n", and the "\r" is not counted.
        if partial.count + rest.count > maxLineLength + 1 {
            partial = []
            discarding = true
            body(.overlong)
        } else {
            partial.append(contentsOf: rest)
        }
    }

    @inline(__always)
    private static func find(_ pointer: UnsafeRawPointer, _ count: Int) -> Int? {
        // memchr is vectorised in glibc; the generic loop is close for short lines.
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        return bytes.firstIndex(of: 10)
    }
}
