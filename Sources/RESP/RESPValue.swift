// RESPValue: an owned copy of a reply, for tests, logs and the rare paths that keep one.

/// A RESP value that owns its bytes: what ``RESPReply/value`` copies a reply into.
///
/// Building one allocates (arrays, byte arrays), so the message paths work on ``RESPReply``
/// directly; this is for keeping a reply past its callback, comparing in tests, and printing.
public indirect enum RESPValue: Hashable, Sendable, CustomStringConvertible {
    case simpleString([UInt8])
    case error([UInt8])
    case integer(Int)
    case bulkString([UInt8])
    case null
    case array([RESPValue])
    case boolean(Bool)
    case double([UInt8])
    case bigNumber([UInt8])
    /// The 3-byte format (`txt`, `mkd`) and the text after it.
    case verbatimString(format: [UInt8], [UInt8])
    /// Keys and values alternating, in the order they arrived.
    case map([RESPValue])
    case set([RESPValue])
    case push([RESPValue])

    /// A bulk string of `text`'s UTF-8 bytes.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }
    /// A simple string of `text`'s UTF-8 bytes.
    public static func simple(_ text: String) -> RESPValue { .simpleString(Array(text.utf8)) }
    /// An error of `text`'s UTF-8 bytes.
    public static func error(_ text: String) -> RESPValue { .error(Array(text.utf8)) }

    public var description: String {
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        func list(_ values: [RESPValue]) -> String { values.map(\.description).joined(separator: ", ") }
        switch self {
        case .simpleString(let bytes): return "+\(text(bytes))"
        case .error(let bytes): return "-\(text(bytes))"
        case .integer(let value): return ":\(value)"
        case .bulkString(let bytes): return "\"\(text(bytes))\""
        case .null: return "null"
        case .array(let values): return "[\(list(values))]"
        case .boolean(let value): return value ? "#t" : "#f"
        case .double(let bytes): return ",\(text(bytes))"
        case .bigNumber(let bytes): return "(\(text(bytes))"
        case .verbatimString(let format, let bytes): return "=\(text(format)):\(text(bytes))"
        case .map(let values): return "%[\(list(values))]"
        case .set(let values): return "~[\(list(values))]"
        case .push(let values): return ">[\(list(values))]"
        }
    }
}

extension RESPReply {
    /// An owned copy of this value and everything under it. Allocates.
    public var value: RESPValue {
        switch self.kind {
        case .simpleString: return .simpleString(Array(self.bytes))
        case .error: return .error(Array(self.bytes))
        case .integer: return .integer(self.integer!)
        case .bulkString: return .bulkString(Array(self.bytes))
        case .null: return .null
        case .array: return .array(self.elements.map(\.value))
        case .boolean: return .boolean(self.boolean!)
        case .double: return .double(Array(self.bytes))
        case .bigNumber: return .bigNumber(Array(self.bytes))
        case .verbatimString:
            let token = self.token
            let format = UnsafeRawBufferPointer(start: self.base.map { $0 + token.offset - 4 }, count: 3)
            return .verbatimString(format: Array(format), Array(self.bytes))
        case .map: return .map(self.elements.map(\.value))
        case .set: return .set(self.elements.map(\.value))
        case .push: return .push(self.elements.map(\.value))
        }
    }
}
