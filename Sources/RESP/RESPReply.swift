// RESPReply: a decoded reply as a view over the bytes it arrived in, valid during one callback.

import Codec

/// The type of a RESP value: the RESP2 types, and the RESP3 types a server may send after `HELLO 3`.
public enum RESPKind: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// `+OK\r\n`
    case simpleString
    /// `-ERR message\r\n` (RESP2 and RESP3), or a RESP3 bulk error `!<length>\r\n…\r\n`.
    case error
    /// `:42\r\n`
    case integer
    /// `$<length>\r\n…\r\n`
    case bulkString
    /// `$-1\r\n` or `*-1\r\n` (RESP2), `_\r\n` (RESP3).
    case null
    /// `*<count>\r\n` followed by that many values.
    case array
    /// RESP3 `#t\r\n` / `#f\r\n`.
    case boolean
    /// RESP3 `,3.14\r\n` (also `inf`, `-inf`, `nan`); ``RESPReply/bytes`` is the text.
    case double
    /// RESP3 `(<digits>\r\n`; ``RESPReply/bytes`` is the digits.
    case bigNumber
    /// RESP3 `=<length>\r\ntxt:…\r\n`; ``RESPReply/bytes`` is the text after the 4-byte format prefix.
    case verbatimString
    /// RESP3 `%<pairs>\r\n` followed by key, value, key, value…; ``RESPReply/count`` is the number
    /// of elements (twice the pairs).
    case map
    /// RESP3 `~<count>\r\n`.
    case set
    /// RESP3 `><count>\r\n`: an out-of-band message (pub/sub, invalidation), not a command's reply.
    case push

    public var description: String {
        switch self {
        case .simpleString: "simple string"
        case .error: "error"
        case .integer: "integer"
        case .bulkString: "bulk string"
        case .null: "null"
        case .array: "array"
        case .boolean: "boolean"
        case .double: "double"
        case .bigNumber: "big number"
        case .verbatimString: "verbatim string"
        case .map: "map"
        case .set: "set"
        case .push: "push"
        }
    }

    /// Arrays, maps, sets and pushes: values made of other values.
    @inlinable public var isAggregate: Bool {
        switch self {
        case .array, .map, .set, .push: true
        default: false
        }
    }
}

/// One decoded value of a reply tree, as the decoder stores it: a flat, preorder list per reply.
@usableFromInline
struct RESPToken {
    /// Where the payload starts, from the start of the reply's bytes (strings, doubles, big numbers).
    @usableFromInline var offset: Int
    /// Payload length for strings; the number of elements for aggregates; the value for integers
    /// and booleans.
    @usableFromInline var value: Int
    /// The index of the first token after this one's subtree (index + 1 for scalars).
    @usableFromInline var end: Int
    @usableFromInline var kind: RESPKind

    @usableFromInline
    init(kind: RESPKind, offset: Int, value: Int, end: Int) {
        self.kind = kind
        self.offset = offset
        self.value = value
        self.end = end
    }
}

/// A reply from a RESP server (or one element of it), handed to the decoder's callback.
///
/// A view, not a copy: strings point into the bytes the decoder was given (or its own buffer for a
/// reply split across reads), so nothing is allocated to deliver a reply. It is valid only during
/// the callback it is passed to; keep ``value`` (an owned ``RESPValue``) or copy the bytes to hold
/// on to it.
///
/// ```swift
/// try decoder.process(bytes) { reply in
///     switch reply.kind {
///     case .integer: print(reply.integer!)
///     case .bulkString: consume(reply.bytes)
///     case .array: for element in reply.elements { … }
///     default: print(reply.value)
///     }
/// }
/// ```
public struct RESPReply {
    @usableFromInline let tokens: UnsafePointer<RESPToken>
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let index: Int

    @usableFromInline
    init(tokens: UnsafePointer<RESPToken>, base: UnsafeRawPointer?, index: Int) {
        self.tokens = tokens
        self.base = base
        self.index = index
    }

    @usableFromInline var token: RESPToken { self.tokens[self.index] }

    /// The value's type.
    @inlinable public var kind: RESPKind { self.token.kind }

    /// True for `-ERR …` replies (and RESP3 bulk errors).
    @inlinable public var isError: Bool { self.kind == .error }

    /// True for RESP2 null bulk strings and arrays and RESP3 nulls.
    @inlinable public var isNull: Bool { self.kind == .null }

    /// The payload of a simple string, error, bulk string, verbatim string (after its format), double
    /// or big number; empty for other kinds. Valid only during the callback.
    @inlinable public var bytes: UnsafeRawBufferPointer {
        let token = self.token
        switch token.kind {
        case .simpleString, .error, .bulkString, .verbatimString, .double, .bigNumber:
            return UnsafeRawBufferPointer(start: self.base.map { $0 + token.offset }, count: token.value)
        default:
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// The value of an integer (or a boolean as 0 or 1); nil for other kinds.
    @inlinable public var integer: Int? {
        let token = self.token
        return token.kind == .integer || token.kind == .boolean ? token.value : nil
    }

    /// The value of a boolean; nil for other kinds.
    @inlinable public var boolean: Bool? {
        let token = self.token
        return token.kind == .boolean ? token.value != 0 : nil
    }

    /// The value of a double (RESP3), or of a bulk or simple string holding one (RESP2 commands such
    /// as `INCRBYFLOAT` reply that way); nil otherwise.
    public var double: Double? {
        switch self.kind {
        case .double, .bulkString, .simpleString:
            let text = String(decoding: self.bytes, as: UTF8.self)
            switch text {
            case "inf", "+inf": return .infinity
            case "-inf": return -.infinity
            default: return Double(text)
            }
        default:
            return nil
        }
    }

    /// The payload as a `String` (UTF-8, repaired); nil for kinds without one. Allocates.
    public var string: String? {
        switch self.kind {
        case .simpleString, .error, .bulkString, .verbatimString, .double, .bigNumber:
            return String(decoding: self.bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    /// The number of elements of an aggregate (for a map, keys and values both: twice the pairs);
    /// 0 for other kinds.
    @inlinable public var count: Int {
        let token = self.token
        return token.kind.isAggregate ? token.value : 0
    }

    /// The elements of an aggregate, in order; empty for other kinds.
    @inlinable public var elements: Elements { Elements(reply: self) }

    /// Element `position` of an aggregate, or nil past its end or for a scalar. O(position): each
    /// step skips a whole subtree.
    @inlinable
    public subscript(position: Int) -> RESPReply? {
        guard position >= 0 && position < self.count else { return nil }
        var index = self.index + 1
        var remaining = position
        while remaining > 0 {
            index = self.tokens[index].end
            remaining -= 1
        }
        return RESPReply(tokens: self.tokens, base: self.base, index: index)
    }

    /// Whether this is a string-like value whose payload equals `literal`, ASCII case ignored
    /// (`literal` must be lowercase), as Redis spells the words it sends back (`message`, `OK`).
    @inlinable
    public func equalsIgnoringCase(_ literal: StaticString) -> Bool {
        let bytes = self.bytes
        return literal.withUTF8Buffer { word in
            guard word.count == bytes.count else { return false }
            for i in 0..<word.count where ASCII.lowercased(bytes[i]) != word[i] {
                return false
            }
            return true
        }
    }

    /// The elements of an aggregate reply, as a sequence that allocates nothing.
    public struct Elements: Sequence {
        @usableFromInline let reply: RESPReply

        @inlinable init(reply: RESPReply) { self.reply = reply }

        @inlinable public var count: Int { self.reply.count }

        @inlinable
        public func makeIterator() -> Iterator {
            Iterator(reply: self.reply, position: self.reply.index + 1, remaining: self.reply.count)
        }

        public struct Iterator: IteratorProtocol {
            @usableFromInline let reply: RESPReply
            @usableFromInline var position: Int
            @usableFromInline var remaining: Int

            @inlinable init(reply: RESPReply, position: Int, remaining: Int) {
                self.reply = reply
                self.position = position
                self.remaining = remaining
            }

            @inlinable
            public mutating func next() -> RESPReply? {
                guard self.remaining > 0 else { return nil }
                self.remaining -= 1
                let element = RESPReply(tokens: self.reply.tokens, base: self.reply.base, index: self.position)
                self.position = self.reply.tokens[self.position].end
                return element
            }
        }
    }
}
