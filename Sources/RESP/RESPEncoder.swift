// RESPEncoder and RESPCommand: commands as RESP arrays of bulk strings, rendered straight into an
// EncodeBuffer.

import Codec

/// Writes the parts of a command: an array header, then one bulk string per argument.
///
/// A command is `*<count>\r\n` followed by `count` bulk strings `$<length>\r\n<bytes>\r\n`, the only
/// form Redis accepts from clients besides inline commands. Nothing here allocates once the buffer
/// has grown. When the count is known up front (it usually is: `PUBLISH` has 3 arguments), write
/// the header then the arguments; ``RESPCommand`` counts them for you.
///
/// ```swift
/// RESPEncoder.writeArrayHeader(count: 3, into: &buffer)
/// RESPEncoder.writeBulk("PUBLISH", into: &buffer)
/// RESPEncoder.writeBulk(channel, into: &buffer)
/// RESPEncoder.writeBulk(payload, into: &buffer)
/// ```
public enum RESPEncoder {
    /// `*<count>\r\n`.
    @inlinable
    public static func writeArrayHeader(count: Int, into buffer: inout EncodeBuffer) {
        precondition(count >= 0, "a RESP array has a non-negative count")
        buffer.append(byte: UInt8(ascii: "*"))
        buffer.append(decimal: count)
        buffer.append("\r\n")
    }

    /// `$<length>\r\n<bytes>\r\n`: any bytes, binary included.
    @inlinable
    public static func writeBulk(_ bytes: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        buffer.reserve(bytes.count + 16)
        buffer.append(byte: UInt8(ascii: "$"))
        buffer.append(decimal: bytes.count)
        buffer.append("\r\n")
        buffer.append(bytes)
        buffer.append("\r\n")
    }

    /// A bulk string of a literal, such as a command name.
    @inlinable
    public static func writeBulk(_ literal: StaticString, into buffer: inout EncodeBuffer) {
        literal.withUTF8Buffer { writeBulk(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// A bulk string of `string`'s UTF-8 bytes.
    public static func writeBulk(string: String, into buffer: inout EncodeBuffer) {
        var string = string
        string.withUTF8 { writeBulk(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// A bulk string of a byte array.
    public static func writeBulk(_ bytes: [UInt8], into buffer: inout EncodeBuffer) {
        bytes.withUnsafeBytes { writeBulk($0, into: &buffer) }
    }

    /// A bulk string of `value` in decimal (as Redis wants numbers: `EXPIRE key 10`).
    public static func writeBulk(decimal value: Int, into buffer: inout EncodeBuffer) {
        buffer.append(byte: UInt8(ascii: "$"))
        buffer.append(decimal: decimalLength(value))
        buffer.append("\r\n")
        buffer.append(decimal: value)
        buffer.append("\r\n")
    }

    /// How many bytes `value` takes in decimal, its sign included.
    static func decimalLength(_ value: Int) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        while magnitude >= 10 {
            magnitude /= 10
            digits += 1
        }
        return value < 0 ? digits + 1 : digits
    }

    /// A whole command of string arguments: `writeCommand(["SET", "key", "value"], into: &buffer)`.
    public static func writeCommand(_ arguments: [String], into buffer: inout EncodeBuffer) {
        writeArrayHeader(count: arguments.count, into: &buffer)
        for argument in arguments { writeBulk(string: argument, into: &buffer) }
    }

    /// A whole command of byte-array arguments.
    public static func writeCommand(_ arguments: [[UInt8]], into buffer: inout EncodeBuffer) {
        writeArrayHeader(count: arguments.count, into: &buffer)
        for argument in arguments { writeBulk(argument, into: &buffer) }
    }
}

/// A command being put together an argument at a time, counted as it goes, and reusable.
///
/// Arguments are rendered as bulk strings into the command's own buffer; ``write(into:)`` puts the
/// array header in front. Keep one and call ``removeAll()`` between commands, and building a
/// command allocates nothing once the buffer is large enough.
///
/// ```swift
/// var command = RESPCommand("PUBLISH")
/// command.append(channel)
/// command.append(payload)
/// redis.send(command)
/// ```
public struct RESPCommand: ~Copyable {
    @usableFromInline var body: EncodeBuffer
    /// Arguments appended so far, the command name included.
    public private(set) var argumentCount = 0

    /// An empty command.
    public init(capacity: Int = 256) {
        self.body = EncodeBuffer(capacity: capacity)
    }

    /// A command of `arguments`, the first being its name.
    public init(_ arguments: String...) {
        self.init()
        for argument in arguments { self.append(string: argument) }
    }

    /// A command of `arguments`, the first being its name.
    public init(arguments: [String]) {
        self.init()
        for argument in arguments { self.append(string: argument) }
    }

    /// Forgets the arguments, keeping the capacity.
    public mutating func removeAll() {
        self.body.removeAll()
        self.argumentCount = 0
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        RESPEncoder.writeBulk(bytes, into: &self.body)
        self.argumentCount += 1
    }

    public mutating func append(_ literal: StaticString) {
        RESPEncoder.writeBulk(literal, into: &self.body)
        self.argumentCount += 1
    }

    public mutating func append(string: String) {
        RESPEncoder.writeBulk(string: string, into: &self.body)
        self.argumentCount += 1
    }

    public mutating func append(_ bytes: [UInt8]) {
        RESPEncoder.writeBulk(bytes, into: &self.body)
        self.argumentCount += 1
    }

    public mutating func append(decimal value: Int) {
        RESPEncoder.writeBulk(decimal: value, into: &self.body)
        self.argumentCount += 1
    }

    /// The bytes ``write(into:)`` writes, header included.
    public var encodedCount: Int {
        3 + RESPEncoder.decimalLength(self.argumentCount) + self.body.count
    }

    /// The arguments rendered so far, without the array header.
    public var encodedArguments: UnsafeRawBufferPointer { self.body.bytes }

    /// Writes the command, `*<count>\r\n` and the arguments.
    public func write(into buffer: inout EncodeBuffer) {
        precondition(self.argumentCount > 0, "a command has at least its name")
        RESPEncoder.writeArrayHeader(count: self.argumentCount, into: &buffer)
        buffer.append(self.body.bytes)
    }
}
