// Base64: the RFC 4648 base64 alphabet (with padding), written here for the WebSocket handshake.

import Codec

/// Base64 encoding and strict decoding (RFC 4648 section 4: the standard alphabet, with `=` padding).
///
/// The decoder accepts only canonical encodings: a length that is a multiple of four, padding only
/// at the end, no line breaks or spaces, and zero bits where the last character has bits to spare
/// (RFC 4648 section 3.5). The handshake needs nothing looser, and a strict decoder gives every key
/// one spelling.
///
/// ```swift
/// Base64.encode(Array("foobar".utf8))   // "Zm9vYmFy"
/// Base64.decode("Zm9vYg==")             // [0x66, 0x6F, 0x6F, 0x62]
/// Base64.decode("Zm9vYh==")             // nil: the unused bits are not zero
/// ```
public enum Base64 {
    @usableFromInline static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The length of the encoding of `count` bytes.
    public static func encodedLength(of count: Int) -> Int {
        (count + 2) / 3 * 4
    }

    /// Appends the encoding of `bytes` to `buffer`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        buffer.reserve(Self.encodedLength(of: bytes.count))
        let table = Self.alphabet
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            buffer.append(byte: table[Int(group >> 18)])
            buffer.append(byte: table[Int(group >> 12 & 63)])
            buffer.append(byte: table[Int(group >> 6 & 63)])
            buffer.append(byte: table[Int(group & 63)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let group = UInt32(bytes[index]) << 16
            buffer.append(byte: table[Int(group >> 18)])
            buffer.append(byte: table[Int(group >> 12 & 63)])
            buffer.append("==")
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            buffer.append(byte: table[Int(group >> 18)])
            buffer.append(byte: table[Int(group >> 12 & 63)])
            buffer.append(byte: table[Int(group >> 6 & 63)])
            buffer.append("=")
        default:
            break
        }
    }

    /// The encoding of `bytes`, as a string.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        var buffer = EncodeBuffer(capacity: max(4, Self.encodedLength(of: bytes.count)))
        Self.encode(bytes, into: &buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    /// The encoding of `bytes`, as a string.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { Self.encode($0) }
    }

    /// The bytes `text` encodes, or `nil` if it is not a canonical base64 encoding.
    public static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        let count = text.count
        guard count % 4 == 0 else { return nil }
        guard count > 0 else { return [] }
        var padding = 0
        if text[count - 1] == UInt8(ascii: "=") {
            padding = text[count - 2] == UInt8(ascii: "=") ? 2 : 1
        }
        var output: [UInt8] = []
        output.reserveCapacity(count / 4 * 3 - padding)
        var index = 0
        while index < count {
            let last = index + 4 == count
            let digits = last ? 4 - padding : 4
            var group: UInt32 = 0
            for offset in 0..<4 {
                group <<= 6
                guard offset < digits else { continue }
                guard let value = Self.value(of: text[index + offset]) else { return nil }
                group |= UInt32(value)
            }
            switch digits {
            case 4:
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
            case 3:
                guard group & 0xFF == 0 else { return nil }
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
            default:  // 2
                guard group & 0xFFFF == 0 else { return nil }
                output.append(UInt8(truncatingIfNeeded: group >> 16))
            }
            index += 4
        }
        return output
    }

    /// The bytes `text` encodes, or `nil` if it is not a canonical base64 encoding.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { Self.decode(UnsafeRawBufferPointer($0)) }
    }

    /// The six bits a character stands for, or `nil` for a byte outside the alphabet (`=` included).
    @inline(__always)
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
