// WebSocketFrameEncoderTests: golden bytes for the RFC 6455 section 5.7 frames, the length-field
// boundaries, close and pong frames, and frames rendered in place around another encoder's payload.

import Codec
import Testing
import WebSocket

@Suite struct WebSocketFrameEncoderTests {
    @Test("server frames are unmasked, as in RFC 6455 section 5.7")
    func unmaskedExamples() {
        #expect(hex(frame(.text, "Hello", key: nil)) == "810548656c6c6f")
        #expect(hex(frame(.ping, "Hello", key: nil)) == "890548656c6c6f")
        #expect(
            hex(frame(.text, fin: false, "Hel", key: nil) + frame(.continuation, "lo", key: nil))
                == "010348656c80026c6f")
    }

    @Test("client frames are masked with their key, as in RFC 6455 section 5.7")
    func maskedExamples() {
        #expect(hex(frame(.text, "Hello", key: testKey)) == "818537fa213d7f9f4d5158")
        #expect(hex(frame(.pong, "Hello", key: testKey)) == "8a8537fa213d7f9f4d5158")
    }

    @Test(
        "the length field takes 7 bits, then 16, then 64, at its boundaries",
        arguments: [
            (0, "8200"), (1, "8201"), (125, "827d"), (126, "827e007e"), (127, "827e007f"), (65535, "827effff"),
            (65536, "827f0000000000010000"), (1 << 20, "827f0000000000100000"),
        ])
    func lengthBoundaries(_ length: Int, _ header: String) {
        let payload = [UInt8](repeating: 0x5A, count: length)
        let wire = frame(.binary, payload, key: nil)
        #expect(hex(Array(wire.prefix(header.count / 2))) == header)
        #expect(wire.count == header.count / 2 + length)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: length, masked: false) == header.count / 2)
        #expect(WebSocketFrameEncoder.headerLength(payloadLength: length, masked: true) == header.count / 2 + 4)
        let headerOnly = rendered {
            WebSocketFrameEncoder.writeHeader(opcode: .binary, payloadLength: length, into: &$0)
        }
        #expect(hex(headerOnly) == header)
    }

    @Test("close frames carry a big-endian code and the reason, or nothing")
    func closeFrames() {
        #expect(hex(rendered { WebSocketFrameEncoder.writeClose(code: nil, into: &$0) }) == "8800")
        #expect(hex(rendered { WebSocketFrameEncoder.writeClose(code: .normalClosure, into: &$0) }) == "880203e8")
        #expect(
            hex(rendered { WebSocketFrameEncoder.writeClose(code: .goingAway, reason: "bye", into: &$0) })
                == "880503e9627965")
        #expect(
            hex(rendered { WebSocketFrameEncoder.writeClose(code: WebSocketCloseCode(4000), into: &$0) }) == "88020fa0")
    }

    @Test("a close reason is cut to 123 bytes at a character boundary")
    func closeReasonTruncation() {
        // 122 ASCII bytes and then a 3-byte character: the character does not fit whole and is dropped.
        let reason = String(repeating: "r", count: 122) + "\u{20AC}" + "tail"
        let wire = rendered { WebSocketFrameEncoder.writeClose(code: .normalClosure, reason: reason, into: &$0) }
        #expect(wire[1] == 2 + 122)
        #expect(decode(wire, role: .client).events == [.close(1000, String(repeating: "r", count: 122))])
        let exact = String(repeating: "q", count: 123)
        let full = rendered { WebSocketFrameEncoder.writeClose(code: .normalClosure, reason: exact, into: &$0) }
        #expect(full[1] == 125)
    }

    @Test("a pong answers a ping with the same bytes")
    func pong() {
        let payload = bytes("are you there?")
        let wire = payload.withUnsafeBytes { raw in
            rendered { WebSocketFrameEncoder.writePong(answering: raw, into: &$0) }
        }
        #expect(wire == frame(.pong, payload, key: nil))
        #expect(decode(wire, role: .client).events == [.pong(payload)])
    }

    @Test(
        "a frame rendered in place matches the same frame written whole",
        arguments: [0, 1, 123, 125, 126, 127, 65535, 65536, 70000])
    func inPlace(_ length: Int) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var buffer = EncodeBuffer(capacity: 16)
        buffer.append("earlier bytes")
        let pending = WebSocketFrameEncoder.beginFrame(in: &buffer)
        buffer.append(payload)
        buffer.append("\r\n")
        let range = pending.finish(opcode: .binary, droppingLast: 2, in: &buffer)
        #expect(Array(buffer.bytes[range]) == frame(.binary, payload, key: nil))
        #expect(range.upperBound == buffer.count)
        #expect(range.lowerBound >= 13 && range.lowerBound <= 13 + WebSocketFrameEncoder.maxServerHeaderLength - 2)
    }

    @Test("an IRC line rendered into the buffer becomes a text frame without its CR LF")
    func lineAsFrame() {
        var buffer = EncodeBuffer()
        let pending = WebSocketFrameEncoder.beginFrame(in: &buffer)
        buffer.append(":alice!a@host PRIVMSG #lobby :hi\r\n")
        let range = pending.finish(opcode: .text, droppingLast: 2, in: &buffer)
        let wire = Array(buffer.bytes[range])
        #expect(wire == frame(.text, ":alice!a@host PRIVMSG #lobby :hi", key: nil))
        // One rendering, many recipients: the same bytes decode the same for each.
        for _ in 0..<3 {
            #expect(decode(wire, role: .client).events == [.text(":alice!a@host PRIVMSG #lobby :hi")])
        }
    }

    @Test("lines become one frame each, without CR LF or LF; empty lines are left out")
    func lineFrames() {
        func framed(_ text: String, _ opcode: WebSocketOpcode = .text) -> [UInt8] {
            bytes(text).withUnsafeBytes { raw in
                rendered { WebSocketFrameEncoder.writeLineFrames(of: raw, opcode: opcode, into: &$0) }
            }
        }
        #expect(framed("PING :a\r\n") == frame(.text, "PING :a", key: nil))
        #expect(framed("one\r\ntwo\nthree") == frame(.text, "one", key: nil) + frame(.text, "two", key: nil)
            + frame(.text, "three", key: nil))
        #expect(framed("\r\n\n\r\nx\r\n\r\n") == frame(.text, "x", key: nil))
        #expect(framed("").isEmpty)
        #expect(framed("bin\r\n", .binary) == frame(.binary, "bin", key: nil))
        let long = String(repeating: "y", count: 70_000)
        #expect(framed(long + "\r\n") == frame(.text, long, key: nil), "a 64-bit length header when it needs one")
    }

    @Test("a line that is not UTF-8 goes in a text frame with U+FFFD, and in a binary frame as it is")
    func lineFramesRepairUTF8() {
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x0D, 0x0A, 0xC3, 0xA9, 0x0A]  // "caf\xE9" then "é"
        let text = latin1.withUnsafeBytes { raw in
            rendered { WebSocketFrameEncoder.writeLineFrames(of: raw, opcode: .text, into: &$0) }
        }
        #expect(text == frame(.text, "caf\u{FFFD}", key: nil) + frame(.text, "é", key: nil))
        #expect(decode(text, role: .client).events == [.text("caf\u{FFFD}"), .text("é")])
        let binary = latin1.withUnsafeBytes { raw in
            rendered { WebSocketFrameEncoder.writeLineFrames(of: raw, opcode: .binary, into: &$0) }
        }
        #expect(binary == frame(.binary, [0x63, 0x61, 0x66, 0xE9], key: nil) + frame(.binary, [0xC3, 0xA9], key: nil))
    }

    @Test("masking is its own inverse at any length, so masked payloads decode back")
    func maskingRoundTrip() {
        var generator = SeededGenerator(seed: 0x3A5C)
        for length in 0..<40 {
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let key = WebSocketMaskingKey.random(using: &generator)
            let wire = frame(.binary, payload, key: key)
            #expect(decode(wire).events == [.binary(payload)])
        }
    }
}
