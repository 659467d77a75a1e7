// RESPEncoderTests: commands as RESP arrays of bulk strings, byte for byte.

import Codec
import RESP
import Testing

@Suite struct RESPEncoderTests {
    func rendered(_ body: (inout EncodeBuffer) -> Void) -> String {
        var buffer = EncodeBuffer(capacity: 8)
        body(&buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    @Test("a command of strings is an array of bulk strings")
    func stringCommand() {
        #expect(
            rendered { RESPEncoder.writeCommand(["SET", "key", "value"], into: &$0) }
                == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
        #expect(rendered { RESPEncoder.writeCommand(["PING"], into: &$0) } == "*1\r\n$4\r\nPING\r\n")
    }

    @Test("empty, binary and UTF-8 arguments are written as their bytes, with their byte length")
    func binaryArguments() {
        let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
        var buffer = EncodeBuffer()
        RESPEncoder.writeCommand([bytes("ECHO"), [], binary, bytes("héllo")], into: &buffer)
        #expect(
            buffer.array
                == bytes("*4\r\n$4\r\nECHO\r\n$0\r\n\r\n$6\r\n") + binary + bytes("\r\n$6\r\nhéllo\r\n"))
    }

    @Test("numbers are bulk strings of their decimal digits", arguments: [0, 7, -1, 10, 1234, Int.max, Int.min])
    func decimalArguments(_ value: Int) {
        let digits = String(value)
        #expect(rendered { RESPEncoder.writeBulk(decimal: value, into: &$0) } == "$\(digits.utf8.count)\r\n\(digits)\r\n")
    }

    @Test("RESPCommand counts its arguments, knows its size, and is reusable")
    func commandBuilder() {
        var command = RESPCommand("PUBLISH", "room:lobby")
        command.append(bytes("hi"))
        command.append(decimal: 42)
        command.append("LITERAL")
        #expect(command.argumentCount == 5)
        var buffer = EncodeBuffer()
        command.write(into: &buffer)
        #expect(
            String(decoding: buffer.bytes, as: UTF8.self)
                == "*5\r\n$7\r\nPUBLISH\r\n$10\r\nroom:lobby\r\n$2\r\nhi\r\n$2\r\n42\r\n$7\r\nLITERAL\r\n")
        #expect(command.encodedCount == buffer.count)

        command.removeAll()
        #expect(command.argumentCount == 0)
        for i in 0..<12 { command.append(string: "a\(i)") }
        buffer.removeAll()
        command.write(into: &buffer)
        #expect(command.encodedCount == buffer.count, "a two-digit count is counted too")
        #expect(String(decoding: buffer.bytes, as: UTF8.self).hasPrefix("*12\r\n$2\r\na0\r\n"))
    }

    @Test("what the encoder writes decodes back to the same arguments")
    func roundTrip() {
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let arguments = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            var buffer = EncodeBuffer()
            RESPEncoder.writeCommand(arguments, into: &buffer)
            let decoded = decode(buffer.array)
            #expect(decoded.error == nil)
            #expect(decoded.values == [.array(arguments.map { .bulkString($0) })])
        }
    }
}
