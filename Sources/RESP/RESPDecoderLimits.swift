// RESPDecoderLimits and RESPDecodingError: how much one reply may hold, and what the decoder says
// when a server sends something it will not accept.

/// Bounds on what one reply may hold, so a broken or hostile server gets a clear error instead of
/// making the decoder buffer without end.
///
/// Everything the decoder holds is bounded by these: at most ``maxReplyBytes`` of wire bytes and
/// at most ``maxElements`` entries of 32 bytes each (one per value in the reply tree).
public struct RESPDecoderLimits: Sendable, Hashable {
    /// The longest bulk string (or verbatim string, bulk error) accepted, in bytes. Redis's own
    /// `proto-max-bulk-len` is 512 MB; values are refused at their header, before any is buffered.
    public var maxBulkLength: Int
    /// The most elements one array, set, push or map (counting keys and values) may announce.
    public var maxAggregateCount: Int
    /// How deeply aggregates may nest (a flat array is depth 1). The decoder keeps a stack, not a
    /// recursion, so this bounds memory, not the call stack.
    public var maxDepth: Int
    /// The longest line (simple string, error, integer, a header) accepted, without its CRLF.
    public var maxLineLength: Int
    /// The most wire bytes one whole reply may take.
    public var maxReplyBytes: Int
    /// The most values one reply tree may hold, all levels together.
    public var maxElements: Int

    public init(
        maxBulkLength: Int = 64 << 20, maxAggregateCount: Int = 1 << 20, maxDepth: Int = 16,
        maxLineLength: Int = 64 << 10, maxReplyBytes: Int = 128 << 20, maxElements: Int = 2 << 20
    ) {
        precondition(maxBulkLength >= 0 && maxAggregateCount >= 0 && maxLineLength >= 32, "RESP limits too small")
        precondition(maxDepth >= 1 && maxElements >= 1 && maxReplyBytes >= 64, "RESP limits too small")
        self.maxBulkLength = maxBulkLength
        self.maxAggregateCount = maxAggregateCount
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
        self.maxReplyBytes = maxReplyBytes
        self.maxElements = maxElements
    }

    /// The defaults: 64 MiB bulks, 1 Mi elements per aggregate, depth 16, 64 KiB lines, 128 MiB and
    /// 2 Mi values per reply.
    public static let standard = RESPDecoderLimits()
}

/// Why the decoder refused its input. After one, the stream cannot be resynchronised: close the
/// connection.
public struct RESPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// A value started with a byte that is no RESP type (the byte is given).
        case unknownType(UInt8)
        /// A line ended without `\r\n` (a bare CR or LF), or a bulk payload was not followed by `\r\n`.
        case badLineEnding
        /// An integer, length or count that is not a decimal number in range.
        case badNumber
        /// A length or count below -1.
        case badLength
        /// A boolean other than `t` or `f`, a null with a payload, a verbatim string without its
        /// format, a double or big number that is not one.
        case badValue
        /// A RESP3 attribute (`|`): no Redis command sends one unasked, and this decoder does not
        /// take them.
        case attributesUnsupported
        case lineTooLong
        case bulkTooLong
        case aggregateTooLong
        case nestedTooDeeply
        case replyTooLarge
        case tooManyElements
    }

    public let reason: Reason
    /// Where the offending value started, in bytes since the decoder began.
    public let offset: Int

    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch self.reason {
        case .unknownType(let byte): what = "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .badLineEnding: what = "line not ended by CRLF"
        case .badNumber: what = "malformed number"
        case .badLength: what = "negative length"
        case .badValue: what = "malformed value"
        case .attributesUnsupported: what = "RESP3 attributes are not supported"
        case .lineTooLong: what = "line over the limit"
        case .bulkTooLong: what = "bulk string over the limit"
        case .aggregateTooLong: what = "aggregate over the element limit"
        case .nestedTooDeeply: what = "aggregates nested over the depth limit"
        case .replyTooLarge: what = "reply over the byte limit"
        case .tooManyElements: what = "reply over the value limit"
        }
        return "RESP: \(what) at byte \(self.offset)"
    }
}
