// IRCCommand: an IRC command word or three-digit numeric, upper-cased and stored inline.

import Codec

/// The command of an IRC message: a word of letters (`PRIVMSG`, `join`) or a three-digit numeric (`001`).
///
/// Commands match case-insensitively on the wire, so the value keeps them upper-cased: `privmsg`,
/// `PrivMsg` and `PRIVMSG` parse to the same command, and comparing two commands is two word
/// compares. The bytes live inline (16 bytes, no heap), so parsing a command allocates nothing.
///
/// A word longer than ``maxLength`` letters is not a command here: no IRC command is longer than 12
/// (`AUTHENTICATE`), and the parser reports such a word as ``IRCParseError/badCommand``.
///
/// ```swift
/// if message.command == "PRIVMSG" { … }           // a literal, checked when it is created
/// if let code = message.command.numeric { … }     // 1 for "001"
/// ```
public struct IRCCommand: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The longest command word this type holds.
    public static let maxLength = 15

    // Bytes 0..<15 hold the upper-cased command, zero-padded; byte 15 holds its length.
    @usableFromInline var low: UInt64
    @usableFromInline var high: UInt64

    /// The command `bytes` spell: 1 to ``maxLength`` ASCII letters, or exactly three digits.
    ///
    /// Letters are upper-cased. Returns `nil` for anything else (empty, mixed, too long, other bytes).
    public init?(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count >= 1 && count <= Self.maxLength else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        let valid = withUnsafeMutableBytes(of: &words) { storage -> Bool in
            if count == 3 && Self.isDigit(bytes[0]) {
                for i in 0..<3 {
                    guard Self.isDigit(bytes[i]) else { return false }
                    storage[i] = bytes[i]
                }
            } else {
                for i in 0..<count {
                    let upper = bytes[i] & 0xDF  // only a-z and A-Z land in A...Z: other bytes keep bit 7 or miss it
                    guard upper &- 0x41 < 26 else { return false }
                    storage[i] = upper
                }
            }
            storage[15] = UInt8(count)
            return true
        }
        guard valid else { return nil }
        self.low = words.0
        self.high = words.1
    }

    /// The command `string` spells, as ``init(_:)-(UnsafeRawBufferPointer)`` would parse it.
    public init?(_ string: String) {
        var string = string
        guard let command = string.withUTF8({ Self(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = command
    }

    /// A command from a literal; a literal that is not a valid command is a programmer error.
    public init(stringLiteral literal: StaticString) {
        let command = literal.withUTF8Buffer { Self(UnsafeRawBufferPointer($0)) }
        guard let command else { preconditionFailure("not an IRC command: \(literal)") }
        self = command
    }

    /// The three-digit numeric `code` (0...999), zero-padded: `IRCCommand(numeric: 1)` is `001`.
    public init(numeric code: Int) {
        precondition((0...999).contains(code), "IRC numerics have three digits")
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { storage in
            storage[0] = UInt8(ascii: "0") + UInt8(code / 100)
            storage[1] = UInt8(ascii: "0") + UInt8(code / 10 % 10)
            storage[2] = UInt8(ascii: "0") + UInt8(code % 10)
            storage[15] = 3
        }
        self.low = words.0
        self.high = words.1
    }

    /// The number of bytes in the command.
    @inlinable public var count: Int { Int(self.high >> 56) }

    /// The numeric's value (`1` for `001`), or `nil` for a word.
    public var numeric: Int? {
        self.withBytes { bytes in
            guard bytes.count == 3, Self.isDigit(bytes[0]) else { return nil }
            return Int(bytes[0] &- 0x30) * 100 + Int(bytes[1] &- 0x30) * 10 + Int(bytes[2] &- 0x30)
        }
    }

    /// Calls `body` with the upper-cased bytes, valid only inside `body`.
    @inlinable
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var words = (self.low, self.high)
        let count = self.count
        return try withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Whether `bytes` spell this command, ignoring ASCII case (for raw words that were never parsed).
    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        Self(bytes) == self
    }

    /// The upper-cased command as a `String` (allocates; for logs, tests and rare replies).
    public var description: String {
        self.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    @usableFromInline @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- 0x30 < 10
    }
}
