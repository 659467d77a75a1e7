// RESPDecoder: an incremental, resumable decoder of RESP2 and RESP3 replies, with limits, that
// never traps on its input.

import Codec

/// Decodes the replies a Redis server sends, a read at a time.
///
/// Resumable: the bytes may be divided anywhere (inside a header, a CRLF, a bulk payload, between
/// the elements of a nested array), and the replies are the same. Like hiredis's `read.c` it keeps
/// an explicit stack of the aggregates in progress rather than recursing, and each value is parsed
/// once: a reply split across reads resumes at the value it stopped in.
///
/// No copying on the common path: a reply that arrives whole in one read is handed to the callback
/// as a ``RESPReply`` viewing the read's own bytes. Only the unfinished end of a read (a reply still
/// arriving) is kept, in a buffer the decoder reuses, so once it has grown to the largest reply
/// seen, decoding allocates nothing. (A buffer grown past 256 KiB for one large reply is released
/// once that reply is delivered.)
///
/// Every value is checked against ``RESPDecoderLimits`` before anything is buffered for it, so a
/// server announcing a 4 GB bulk string or a billion-element array gets a ``RESPDecodingError``
/// rather than memory. After an error the decoder stays failed (the stream cannot be
/// resynchronised) until ``reset()``.
///
/// ```swift
/// var decoder = RESPDecoder()
/// do {
///     try decoder.process(bytes) { reply in
///         if reply.isError { log(reply.string!) } else { handle(reply) }
///     }
/// } catch {
///     connection.close()  // error.description says what and where
/// }
/// ```
public struct RESPDecoder: ~Copyable {
    /// What one reply may hold.
    public let limits: RESPDecoderLimits

    /// The bytes of the reply in progress, from its first byte, and whatever followed them in the
    /// last read. Empty between replies.
    private var storage: UnsafeMutableRawPointer?
    private var storageCapacity = 0
    private var storageCount = 0
    /// Where parsing resumes in `storage`: the first byte of the value that was incomplete.
    private var resume = 0
    /// How many bytes of that value's line were scanned and hold no CR; 0 once its line is found.
    private var lineScanned = 0
    /// The reply in progress, flattened in preorder.
    private var tokens: UnsafeMutablePointer<RESPToken>
    private var tokenCapacity = 16
    private var tokenCount = 0
    /// The aggregates in progress, innermost last: each one's token and how many elements are to come.
    private var frames: [(token: Int, remaining: Int)] = []
    private var failure: RESPDecodingError?
    /// The stream offset of `storage[0]`, or of the next byte given when nothing is stored: for the
    /// offsets in errors.
    private var streamOffset = 0
    /// How many bytes the reply in progress takes at least, known once a bulk payload's length is:
    /// storage grows to it at once rather than doubling toward it, up to ``upFrontReservation``
    /// (a header alone must not make the decoder allocate what the limits would allow).
    private var expectedReplyBytes = 0
    private static let upFrontReservation = 1 << 20

    /// A buffer grown past this for one reply is freed once the reply is delivered.
    private static let retainedCapacity = 256 * 1024

    /// A decoder for one connection.
    public init(limits: RESPDecoderLimits = .standard) {
        self.limits = limits
        self.tokens = .allocate(capacity: self.tokenCapacity)
        self.frames.reserveCapacity(limits.maxDepth)
    }

    deinit {
        self.storage?.deallocate()
        self.tokens.deallocate()
    }

    /// Bytes held between reads: the unfinished reply (and what came after it in the same read).
    public var bufferedByteCount: Int { self.storageCount }

    /// The error that stopped the decoder, if one did.
    public var error: RESPDecodingError? { self.failure }

    /// Forgets everything buffered and any error, for a new connection. Keeps the buffers.
    public mutating func reset() {
        self.storageCount = 0
        self.resume = 0
        self.lineScanned = 0
        self.tokenCount = 0
        self.frames.removeAll(keepingCapacity: true)
        self.failure = nil
        self.streamOffset = 0
        self.expectedReplyBytes = 0
    }

    /// Decodes `bytes`, calling `body` with each whole reply, in order.
    ///
    /// `body` may be called any number of times, including not at all (a reply still arriving). The
    /// ``RESPReply`` it gets is valid only during that call.
    ///
    /// - Throws: ``RESPDecodingError`` at the first value the decoder refuses, after the replies
    ///   before it were delivered; it throws the same error for every later call until ``reset()``.
    public mutating func process(_ bytes: UnsafeRawBufferPointer, _ body: (RESPReply) -> Void)
        throws(RESPDecodingError)
    {
        if let failure { throw failure }
        guard let input = bytes.baseAddress, !bytes.isEmpty else { return }
        do {
            if self.storageCount == 0 {
                // Nothing pending: parse the read where it is, and keep only its unfinished end.
                var replyStart = 0
                var position = 0
                try self.parse(UnsafeRawPointer(input), bytes.count, &replyStart, &position, body)
                let left = bytes.count - replyStart
                if left > 0 {
                    self.reserveStorage(max(left, self.expectedReplyBytes))
                    self.storage!.copyMemory(from: input + replyStart, byteCount: left)
                    self.storageCount = left
                }
                self.resume = position - replyStart
                self.streamOffset += replyStart
            } else {
                self.reserveStorage(self.storageCount + bytes.count)
                (self.storage! + self.storageCount).copyMemory(from: input, byteCount: bytes.count)
                self.storageCount += bytes.count
                var replyStart = 0
                var position = self.resume
                try self.parse(UnsafeRawPointer(self.storage!), self.storageCount, &replyStart, &position, body)
                let left = self.storageCount - replyStart
                if left > 0 && replyStart > 0 {
                    self.storage!.copyMemory(from: self.storage! + replyStart, byteCount: left)
                }
                self.storageCount = left
                self.resume = position - replyStart
                self.streamOffset += replyStart
                if left > 0 { self.reserveStorage(self.expectedReplyBytes) }
                if left == 0 && self.storageCapacity > Self.retainedCapacity {
                    self.storage!.deallocate()
                    self.storage = nil
                    self.storageCapacity = 0
                }
            }
        } catch {
            self.failure = error
            throw error
        }
    }

    private mutating func reserveStorage(_ needed: Int) {
        guard needed > self.storageCapacity else { return }
        var capacity = max(self.storageCapacity * 2, 4096)
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        if let storage = self.storage {
            grown.copyMemory(from: storage, byteCount: self.storageCount)
            storage.deallocate()
        }
        self.storage = grown
        self.storageCapacity = capacity
    }

    // MARK: Parsing

    /// Parses values from `position` on, delivering each reply completed; returns when the next
    /// value is incomplete, with `position` at its first byte and `replyStart` at its reply's.
    private mutating func parse(
        _ base: UnsafeRawPointer, _ count: Int, _ replyStart: inout Int, _ position: inout Int,
        _ body: (RESPReply) -> Void
    ) throws(RESPDecodingError) {
        while position < count {
            guard let complete = try self.parseValue(base, count, replyStart, &position) else { return }
            guard complete else { continue }
            body(RESPReply(tokens: UnsafePointer(self.tokens), base: base + replyStart, index: 0))
            self.tokenCount = 0
            self.expectedReplyBytes = 0
            replyStart = position
        }
    }

    /// Parses the value at `position`. Returns nil if its bytes are not all there (`position`
    /// unchanged), else whether it completed the reply (`position` past it).
    @inline(__always)
    private mutating func parseValue(_ base: UnsafeRawPointer, _ count: Int, _ replyStart: Int, _ position: inout Int)
        throws(RESPDecodingError) -> Bool?
    {
        let start = position
        let type = base.load(fromByteOffset: start, as: UInt8.self)
        let errorOffset = self.streamOffset + start
        func fail(_ reason: RESPDecodingError.Reason) -> RESPDecodingError {
            RESPDecodingError(reason, offset: errorOffset)
        }
        // A RESP3 attribute or an unknown byte fails before the decoder looks for a line end.
        switch type {
        case UInt8(ascii: "|"): throw fail(.attributesUnsupported)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
            UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("), UInt8(ascii: "="),
            UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            break
        default: throw fail(.unknownType(type))
        }
        let lineStart = start + 1
        guard let lineEnd = try self.findLineEnd(base, lineStart: lineStart, count: count, errorOffset) else { return nil }
        let lineLength = lineEnd - lineStart
        let next = lineEnd + 2
        guard next - replyStart <= self.limits.maxReplyBytes else { throw fail(.replyTooLarge) }
        let line = UnsafeRawBufferPointer(start: base + lineStart, count: lineLength)

        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            try self.addScalar(type == UInt8(ascii: "+") ? .simpleString : .error, lineStart - replyStart, lineLength, errorOffset)
        case UInt8(ascii: ":"):
            guard let value = Self.decimal(line) else { throw fail(.badNumber) }
            try self.addScalar(.integer, 0, value, errorOffset)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            guard let length = Self.decimal(line) else { throw fail(.badNumber) }
            if length == -1 && type == UInt8(ascii: "$") {
                try self.addScalar(.null, 0, 0, errorOffset)
                break
            }
            guard length >= 0 else { throw fail(.badLength) }
            // Overflow-checked: limits may be set as high as Int.max.
            let (payloadEnd, overflow) = next.addingReportingOverflow(length)
            guard length <= self.limits.maxBulkLength, !overflow, payloadEnd < Int.max - 2 else {
                throw fail(.bulkTooLong)
            }
            guard payloadEnd + 2 - replyStart <= self.limits.maxReplyBytes else { throw fail(.replyTooLarge) }
            guard payloadEnd + 2 <= count else {
                self.expectedReplyBytes = min(payloadEnd + 2 - replyStart, Self.upFrontReservation)
                return nil
            }
            guard base.load(fromByteOffset: payloadEnd, as: UInt8.self) == ASCII.carriageReturn,
                base.load(fromByteOffset: payloadEnd + 1, as: UInt8.self) == ASCII.newline
            else { throw fail(.badLineEnding) }
            if type == UInt8(ascii: "=") {
                guard length >= 4, base.load(fromByteOffset: next + 3, as: UInt8.self) == ASCII.colon else {
                    throw fail(.badValue)
                }
                try self.addScalar(.verbatimString, next + 4 - replyStart, length - 4, errorOffset)
            } else {
                try self.addScalar(type == UInt8(ascii: "$") ? .bulkString : .error, next - replyStart, length, errorOffset)
            }
            position = payloadEnd + 2
            return self.completeValue()
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            guard let announced = Self.decimal(line) else { throw fail(.badNumber) }
            if announced == -1 && type == UInt8(ascii: "*") {
                try self.addScalar(.null, 0, 0, errorOffset)
                break
            }
            guard announced >= 0 else { throw fail(.badLength) }
            guard announced <= self.limits.maxAggregateCount else { throw fail(.aggregateTooLong) }
            let (elements, overflow) = announced.multipliedReportingOverflow(by: type == UInt8(ascii: "%") ? 2 : 1)
            guard elements <= self.limits.maxAggregateCount, !overflow else { throw fail(.aggregateTooLong) }
            let kind: RESPKind =
                switch type {
                case UInt8(ascii: "*"): .array
                case UInt8(ascii: "%"): .map
                case UInt8(ascii: "~"): .set
                default: .push
                }
            // An empty aggregate nests as deep as any: a reply walked recursively goes one level down.
            guard self.frames.count < self.limits.maxDepth else { throw fail(.nestedTooDeeply) }
            if elements == 0 {
                try self.addScalar(kind, 0, 0, errorOffset)
                break
            }
            try self.addScalar(kind, 0, elements, errorOffset)
            self.frames.append((token: self.tokenCount - 1, remaining: elements))
            position = next
            return false
        case UInt8(ascii: "_"):
            guard lineLength == 0 else { throw fail(.badValue) }
            try self.addScalar(.null, 0, 0, errorOffset)
        case UInt8(ascii: "#"):
            guard lineLength == 1, line[0] == UInt8(ascii: "t") || line[0] == UInt8(ascii: "f") else {
                throw fail(.badValue)
            }
            try self.addScalar(.boolean, 0, line[0] == UInt8(ascii: "t") ? 1 : 0, errorOffset)
        case UInt8(ascii: ","):
            guard Self.isDouble(line) else { throw fail(.badValue) }
            try self.addScalar(.double, lineStart - replyStart, lineLength, errorOffset)
        default:  // "(": a big number, an optional sign and digits
            let digits = lineLength > 0 && (line[0] == UInt8(ascii: "-") || line[0] == UInt8(ascii: "+")) ? 1 : 0
            guard lineLength > digits, line[digits...].allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
                throw fail(.badValue)
            }
            try self.addScalar(.bigNumber, lineStart - replyStart, lineLength, errorOffset)
        }
        position = next
        return self.completeValue()
    }

    /// The index of the CR that ends the line starting at `lineStart`, nil if it has not arrived yet.
    ///
    /// Resumes where the last scan of this line stopped (``lineScanned``): a header arriving a few
    /// bytes per read was otherwise scanned from its start on every read, quadratic up to the
    /// 64 KiB line limit.
    @inline(__always)
    private mutating func findLineEnd(
        _ base: UnsafeRawPointer, lineStart: Int, count: Int, _ errorOffset: Int
    ) throws(RESPDecodingError) -> Int? {
        func fail(_ reason: RESPDecodingError.Reason) -> RESPDecodingError {
            RESPDecodingError(reason, offset: errorOffset)
        }
        let scanEnd = count - lineStart > self.limits.maxLineLength ? lineStart + self.limits.maxLineLength + 1 : count
        var i = lineStart + self.lineScanned
        while i < scanEnd {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte == ASCII.carriageReturn {
                guard i + 1 < count else {
                    // The LF is still to come: look at this CR again then.
                    self.lineScanned = i - lineStart
                    return nil
                }
                guard base.load(fromByteOffset: i + 1, as: UInt8.self) == ASCII.newline else {
                    throw fail(.badLineEnding)
                }
                self.lineScanned = 0
                return i
            }
            if byte == ASCII.newline { throw fail(.badLineEnding) }
            i += 1
        }
        if count - lineStart > self.limits.maxLineLength { throw fail(.lineTooLong) }
        self.lineScanned = i - lineStart
        return nil
    }

    /// Appends a token for a value with no elements to come (or an aggregate, whose count it holds).
    @inline(__always)
    private mutating func addScalar(
        _ kind: RESPKind, _ offset: Int, _ value: Int, _ errorOffset: Int
    ) throws(RESPDecodingError) {
        guard self.tokenCount < self.limits.maxElements else {
            throw RESPDecodingError(.tooManyElements, offset: errorOffset)
        }
        if self.tokenCount == self.tokenCapacity { self.growTokens() }
        (self.tokens + self.tokenCount).initialize(
            to: RESPToken(kind: kind, offset: offset, value: value, end: self.tokenCount + 1))
        self.tokenCount += 1
    }

    @inline(never)
    private mutating func growTokens() {
        let capacity = self.tokenCapacity * 2
        let grown = UnsafeMutablePointer<RESPToken>.allocate(capacity: capacity)
        grown.moveInitialize(from: self.tokens, count: self.tokenCount)
        self.tokens.deallocate()
        self.tokens = grown
        self.tokenCapacity = capacity
    }

    /// A value was completed: counts it against the aggregates it is in, closing those it
    /// completes. Returns whether the whole reply is complete.
    @inline(__always)
    private mutating func completeValue() -> Bool {
        while let last = self.frames.indices.last {
            self.frames[last].remaining -= 1
            guard self.frames[last].remaining == 0 else { return false }
            self.tokens[self.frames[last].token].end = self.tokenCount
            self.frames.removeLast()
        }
        return true
    }

    // MARK: Numbers

    /// A decimal integer with an optional `-`, nil if malformed or out of range.
    static func decimal(_ text: UnsafeRawBufferPointer) -> Int? {
        guard !text.isEmpty else { return nil }
        let negative = text[0] == UInt8(ascii: "-")
        var i = negative ? 1 : 0
        guard i < text.count else { return nil }
        var value = 0
        while i < text.count {
            let digit = text[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(Int(digit)) : shifted.addingReportingOverflow(Int(digit))
            guard !overflow && !overflow2 else { return nil }
            value = next
            i += 1
        }
        return value
    }

    /// Whether `text` is a RESP3 double: `inf`, `-inf`, `nan`, or a decimal with an optional
    /// fraction and exponent.
    static func isDouble(_ text: UnsafeRawBufferPointer) -> Bool {
        if text.equalsIgnoringCase("inf".utf8) || text.equalsIgnoringCase("-inf".utf8)
            || text.equalsIgnoringCase("+inf".utf8) || text.equalsIgnoringCase("nan".utf8)
        {
            return true
        }
        var i = 0
        if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) { i += 1 }
        var digits = 0
        while i < text.count && text[i] &- UInt8(ascii: "0") < 10 { i += 1; digits += 1 }
        if i < text.count && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < text.count && text[i] &- UInt8(ascii: "0") < 10 { i += 1; digits += 1 }
        }
        guard digits > 0 else { return false }
        if i < text.count && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) { i += 1 }
            var exponent = 0
            while i < text.count && text[i] &- UInt8(ascii: "0") < 10 { i += 1; exponent += 1 }
            guard exponent > 0 else { return false }
        }
        return i == text.count
    }
}
