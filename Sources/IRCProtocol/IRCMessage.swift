// IRCMessage: one parsed IRC line, as views into the bytes it was parsed from.

import Codec

/// One IRC message: optional tags, optional source, a command, and up to 15 parameters.
///
/// Every part is a view into the line ``IRCParser/parse(_:limits:)`` was given: nothing is copied
/// and nothing is allocated, so a message is valid only while that line's bytes are. Copy what you
/// keep (a nick, a channel name) before the line's buffer is reused.
///
/// Parameters are stored as offsets in a fixed inline table, so a message is a value of about 180
/// bytes that needs no heap at all.
///
/// ```swift
/// // ":alice!a@host PRIVMSG #lobby :hi there"
/// message.source          // "alice!a@host"
/// message.command         // PRIVMSG
/// message.params[1]       // "hi there"
/// message.hasTrailing     // true
/// ```
public struct IRCMessage {
    /// The most parameters a message holds (RFC 2812).
    public static let paramCapacity = 15

    /// The whole line the message was parsed from, without CR LF.
    public let line: UnsafeRawBufferPointer
    /// The command, upper-cased.
    public let command: IRCCommand
    @usableFromInline let tagsRange: OffsetRange
    @usableFromInline let sourceRange: OffsetRange
    @usableFromInline let commandRange: OffsetRange
    @usableFromInline let paramRanges: ParamTable
    /// Whether the last parameter was written in trailing form, after a `:`.
    ///
    /// The parsed parameters are the same either way; this tells a relay how the sender spelled it,
    /// and lets a re-encoding reproduce it with `alwaysTrailing`.
    public let hasTrailing: Bool

    @usableFromInline
    init(
        line: UnsafeRawBufferPointer, tags: OffsetRange, source: OffsetRange, command: IRCCommand,
        commandRange: OffsetRange, params: ParamTable, hasTrailing: Bool
    ) {
        self.line = line
        self.tagsRange = tags
        self.sourceRange = source
        self.command = command
        self.commandRange = commandRange
        self.paramRanges = params
        self.hasTrailing = hasTrailing
    }

    /// The tags, or an empty view when the line has none. Iterating skips malformed tags.
    public var tags: IRCTags {
        guard self.tagsRange.isPresent else { return IRCTags(raw: UnsafeRawBufferPointer(start: nil, count: 0)) }
        return IRCTags(raw: self.line.slice(self.tagsRange.range))
    }

    /// Whether the line began with a tag section (`@…`), even an empty one.
    public var hasTags: Bool { self.tagsRange.isPresent }

    /// The source (prefix) without its `:`, or `nil` when the line has none (or a `:` alone).
    public var source: UnsafeRawBufferPointer? {
        self.sourceRange.isPresent ? self.line.slice(self.sourceRange.range) : nil
    }

    /// The command exactly as the sender spelled it (case included), e.g. for a 421 reply.
    public var commandBytes: UnsafeRawBufferPointer {
        self.line.slice(self.commandRange.range)
    }

    /// The parameters, in order; the trailing one without its `:`.
    public var params: Params {
        Params(line: self.line, table: self.paramRanges)
    }

    /// The parameters of a message: views into its line.
    public struct Params: RandomAccessCollection {
        public typealias Index = Int
        public typealias Element = UnsafeRawBufferPointer

        @usableFromInline let line: UnsafeRawBufferPointer
        @usableFromInline let table: ParamTable

        @usableFromInline
        init(line: UnsafeRawBufferPointer, table: ParamTable) {
            self.line = line
            self.table = table
        }

        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { self.table.count }

        @inlinable
        public subscript(position: Int) -> UnsafeRawBufferPointer {
            precondition(position >= 0 && position < self.table.count, "IRC parameter index out of range")
            return self.line.slice(self.table[position])
        }
    }
}

/// A range of a line stored in 8 bytes; absent when its start is negative.
@usableFromInline
struct OffsetRange: Sendable {
    @usableFromInline let start: Int32
    @usableFromInline let end: Int32

    @usableFromInline static let absent = OffsetRange(start: -1, end: -1)

    @inlinable
    init(start: Int32, end: Int32) {
        self.start = start
        self.end = end
    }

    @inlinable
    init(_ range: Range<Int>) {
        self.start = Int32(truncatingIfNeeded: range.lowerBound)
        self.end = Int32(truncatingIfNeeded: range.upperBound)
    }

    @inlinable var isPresent: Bool { self.start >= 0 }
    @inlinable var range: Range<Int> { Int(self.start)..<Int(self.end) }
}

/// Up to 15 parameter ranges inline: a tuple, so that a parsed message owns no heap memory.
@usableFromInline
struct ParamTable: Sendable {
    // Each entry packs start (low 32 bits) and end (high 32 bits).
    @usableFromInline typealias Storage = (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    )
    @usableFromInline var storage: Storage = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var count: Int = 0

    @inlinable init() {}

    @inlinable
    subscript(index: Int) -> Range<Int> {
        precondition(index >= 0 && index < self.count, "IRC parameter index out of range")
        let packed = withUnsafeBytes(of: self.storage) { $0.load(fromByteOffset: index &* 8, as: UInt64.self) }
        return Int(UInt32(truncatingIfNeeded: packed))..<Int(UInt32(truncatingIfNeeded: packed >> 32))
    }

    /// Adds `range`; the caller never adds more than ``IRCMessage/paramCapacity``.
    @inlinable
    mutating func append(_ range: Range<Int>) {
        precondition(self.count < IRCMessage.paramCapacity, "IRC parameter table is full")
        let packed =
            UInt64(UInt32(truncatingIfNeeded: range.lowerBound))
            | UInt64(UInt32(truncatingIfNeeded: range.upperBound)) << 32
        let index = self.count
        withUnsafeMutableBytes(of: &self.storage) {
            $0.storeBytes(of: packed, toByteOffset: index &* 8, as: UInt64.self)
        }
        self.count += 1
    }
}
