// WebSocketFrameDecoderTests: the RFC 6455 section 5.7 examples, a table of frame sequences to
// events (fragmentation, control frames between fragments, close codes, every protocol error), each
// in every chunking, and the limits: early refusal, bounded buffering, nothing read after the end.

import Testing
import WebSocket

/// Frames in, events out.
struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var events: [Decoded]
    var role: WebSocketRole = .server
    var maxMessageSize = 1 << 20

    var testDescription: String { self.name }
}

@Suite struct WebSocketFrameDecoderTests {
    // MARK: RFC 6455 section 5.7

    static let rfcExamples: [Scenario] = [
        Scenario(
            name: "a single-frame unmasked text message", input: unhex("81 05 48 65 6c 6c 6f"),
            events: [.text("Hello")],
            role: .client),
        Scenario(
            name: "a single-frame masked text message", input: unhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
            events: [.text("Hello")]),
        Scenario(
            name: "a fragmented unmasked text message", input: unhex("01 03 48 65 6c 80 02 6c 6f"),
            events: [.text("Hello")], role: .client),
        Scenario(
            name: "an unmasked ping", input: unhex("89 05 48 65 6c 6c 6f"), events: [.ping(bytes("Hello"))],
            role: .client),
        Scenario(
            name: "a masked pong", input: unhex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), events: [.pong(bytes("Hello"))]),
        Scenario(
            name: "256 bytes of binary in one unmasked frame",
            input: unhex("82 7E 01 00") + (0..<256).map { UInt8($0) }, events: [.binary((0..<256).map { UInt8($0) })],
            role: .client),
        Scenario(
            name: "64 KiB of binary in one unmasked frame",
            input: unhex("82 7F 00 00 00 00 00 01 00 00") + [UInt8](repeating: 0xAB, count: 65536),
            events: [.binary([UInt8](repeating: 0xAB, count: 65536))], role: .client),
    ]

    @Test("the RFC 6455 section 5.7 examples decode", arguments: rfcExamples)
    func rfcExample(_ scenario: Scenario) {
        Self.check(scenario)
    }

    // MARK: Messages and control frames

    static let messages: [Scenario] = [
        Scenario(name: "an empty text message", input: frame(.text, ""), events: [.text("")]),
        Scenario(name: "an empty binary message", input: frame(.binary, []), events: [.binary([])]),
        Scenario(
            name: "a text message of 125, 126 and 65536 bytes",
            input: frame(.text, String(repeating: "a", count: 125)) + frame(.text, String(repeating: "b", count: 126))
                + frame(.text, String(repeating: "c", count: 65536)),
            events: [
                .text(String(repeating: "a", count: 125)), .text(String(repeating: "b", count: 126)),
                .text(String(repeating: "c", count: 65536)),
            ]),
        Scenario(
            name: "several messages back to back",
            input: frame(.text, "one") + frame(.binary, [1, 2, 3]) + frame(.text, "three"),
            events: [.text("one"), .binary([1, 2, 3]), .text("three")]),
        Scenario(
            name: "a text message in three fragments",
            input: frame(.text, fin: false, "Hel") + frame(.continuation, fin: false, "lo, ")
                + frame(.continuation, "world"),
            events: [.text("Hello, world")]),
        Scenario(
            name: "a binary message in fragments, some empty",
            input: frame(.binary, fin: false, []) + frame(.continuation, fin: false, [1])
                + frame(.continuation, fin: false, [])
                + frame(.continuation, [2, 3]),
            events: [.binary([1, 2, 3])]),
        Scenario(
            name: "a message whose fragments are all empty",
            input: frame(.text, fin: false, "") + frame(.continuation, ""), events: [.text("")]),
        Scenario(
            name: "control frames between the fragments of a message",
            input: frame(.text, fin: false, "frag") + frame(.ping, "p1") + frame(.continuation, fin: false, "men")
                + frame(.pong, "p2") + frame(.ping, "") + frame(.continuation, "ted"),
            events: [.ping(bytes("p1")), .pong(bytes("p2")), .ping([]), .text("fragmented")]),
        Scenario(
            name: "a close between the fragments of a message ends it",
            input: frame(.text, fin: false, "half") + frame(.close, closePayload(1000)) + frame(.continuation, "never"),
            events: [.close(1000, "")]),
        Scenario(
            name: "a character split across fragments is valid UTF-8",
            input: frame(.text, fin: false, [0xE2, 0x82]) + frame(.continuation, fin: false, [0xAC, 0xF0])
                + frame(.continuation, [0x9F, 0x98, 0x83]),
            events: [.text("\u{20AC}\u{1F603}")]),
        Scenario(
            name: "a ping with 125 bytes of payload", input: frame(.ping, [UInt8](repeating: 7, count: 125)),
            events: [.ping([UInt8](repeating: 7, count: 125))]),
        Scenario(
            name: "a message at the limit is accepted", input: frame(.binary, [UInt8](repeating: 1, count: 200)),
            events: [.binary([UInt8](repeating: 1, count: 200))], maxMessageSize: 200),
        Scenario(
            name: "a fragmented message at the limit is accepted",
            input: frame(.text, fin: false, String(repeating: "x", count: 150)) + frame(.ping, "")
                + frame(.continuation, String(repeating: "y", count: 50)),
            events: [.ping([]), .text(String(repeating: "x", count: 150) + String(repeating: "y", count: 50))],
            maxMessageSize: 200),
        Scenario(
            name: "a masking key of zeros is a key like any other",
            input: frame(.text, "zero", key: WebSocketMaskingKey(0, 0, 0, 0)), events: [.text("zero")]),
        Scenario(
            name: "a non-minimal length encoding is read as its value",
            input: unhex("82 FE 00 03 37 fa 21 3d") + [1 ^ 0x37, 2 ^ 0xFA, 3 ^ 0x21], events: [.binary([1, 2, 3])]),
    ]

    @Test("messages and control frames decode in order", arguments: messages)
    func decodesMessages(_ scenario: Scenario) {
        Self.check(scenario)
    }

    // MARK: Close frames

    static let closes: [Scenario] = [
        Scenario(name: "an empty close frame has no code", input: frame(.close, []), events: [.close(nil, "")]),
        Scenario(name: "a close with a code", input: frame(.close, closePayload(1000)), events: [.close(1000, "")]),
        Scenario(
            name: "a close with a code and a reason",
            input: frame(.close, closePayload(1001, bytes("going away \u{1F44B}"))),
            events: [.close(1001, "going away \u{1F44B}")]),
        Scenario(
            name: "a close with a reason of 123 bytes",
            input: frame(.close, closePayload(4000, [UInt8](repeating: 0x72, count: 123))),
            events: [.close(4000, String(repeating: "r", count: 123))]),
        Scenario(
            name: "bytes after a close are not read",
            input: frame(.close, closePayload(1000)) + frame(.text, "after") + [0xFF, 0xFF],
            events: [.close(1000, "")]),
        Scenario(
            name: "a one-byte close payload", input: frame(.close, [0x03]), events: [.failure(.closePayloadTooShort)]),
        Scenario(
            name: "a close reason that is not UTF-8", input: frame(.close, closePayload(1000, [0xCE, 0xBA, 0xFF])),
            events: [.failure(.invalidCloseReason)]),
        Scenario(
            name: "a close reason cut inside a character", input: frame(.close, closePayload(1000, [0xCE])),
            events: [.failure(.invalidCloseReason)]),
    ]

    @Test("close frames carry their code and reason, and end the stream", arguments: closes)
    func decodesCloses(_ scenario: Scenario) {
        Self.check(scenario)
    }

    @Test(
        "close codes that may be sent are accepted",
        arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
            as [UInt16])
    func validCloseCodes(_ code: UInt16) {
        #expect(decode(frame(.close, closePayload(code))).events == [.close(code, "")])
        #expect(WebSocketCloseCode(code).isValidOnWire)
    }

    @Test(
        "close codes that may not be sent fail the connection",
        arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCloseCodes(_ code: UInt16) {
        #expect(decode(frame(.close, closePayload(code))).events == [.failure(.invalidCloseCode)])
        #expect(!WebSocketCloseCode(code).isValidOnWire)
    }

    // MARK: Protocol errors

    static let failures: [Scenario] =
        [
            Scenario(
                name: "an unmasked frame to a server", input: frame(.text, "hi", key: nil),
                events: [.failure(.unmaskedFrame)]),
            Scenario(
                name: "a masked frame to a client", input: frame(.text, "hi"), events: [.failure(.maskedFrame)],
                role: .client),
            Scenario(
                name: "RSV1 set", input: rawFrame(first: 0xC1, payload: bytes("hi")),
                events: [.failure(.reservedBitsSet)]),
            Scenario(
                name: "RSV2 set", input: rawFrame(first: 0xA1, payload: bytes("hi")),
                events: [.failure(.reservedBitsSet)]),
            Scenario(
                name: "RSV3 set", input: rawFrame(first: 0x91, payload: bytes("hi")),
                events: [.failure(.reservedBitsSet)]),
            Scenario(
                name: "RSV bits on a ping", input: rawFrame(first: 0xF9, payload: []),
                events: [.failure(.reservedBitsSet)]),
            Scenario(
                name: "a fragmented ping", input: rawFrame(first: 0x09, payload: bytes("p")),
                events: [.failure(.fragmentedControlFrame)]),
            Scenario(
                name: "a fragmented close", input: rawFrame(first: 0x08, payload: []),
                events: [.failure(.fragmentedControlFrame)]),
            Scenario(
                name: "a ping of 126 bytes", input: rawFrame(first: 0x89, payload: [UInt8](repeating: 0, count: 126)),
                events: [.failure(.controlFrameTooLong)]),
            Scenario(
                name: "a close of 126 bytes",
                input: rawFrame(first: 0x88, payload: [UInt8](repeating: 0x30, count: 126)),
                events: [.failure(.controlFrameTooLong)]),
            Scenario(
                name: "a continuation with nothing to continue", input: frame(.continuation, "x"),
                events: [.failure(.unexpectedContinuation)]),
            Scenario(
                name: "a continuation after a finished message",
                input: frame(.text, "done") + frame(.continuation, "x"),
                events: [.text("done"), .failure(.unexpectedContinuation)]),
            Scenario(
                name: "a new message before the last one's final fragment",
                input: frame(.text, fin: false, "a") + frame(.text, "b"), events: [.failure(.expectedContinuation)]),
            Scenario(
                name: "a binary frame inside a fragmented text message",
                input: frame(.text, fin: false, "a") + frame(.ping, "") + frame(.binary, [1]),
                events: [.ping([]), .failure(.expectedContinuation)]),
            Scenario(
                name: "a 64-bit length with its top bit set", input: unhex("82 FF 80 00 00 00 00 00 00 00 37 fa 21 3d"),
                events: [.failure(.payloadLengthTooLarge)]),
            Scenario(
                name: "a message over the limit in one frame", input: frame(.binary, [UInt8](repeating: 1, count: 201)),
                events: [.failure(.messageTooBig)], maxMessageSize: 200),
            Scenario(
                name: "a message over the limit across fragments",
                input: frame(.binary, fin: false, [UInt8](repeating: 1, count: 150))
                    + frame(.continuation, [UInt8](repeating: 2, count: 51)),
                events: [.failure(.messageTooBig)], maxMessageSize: 200),
            Scenario(
                name: "a text message that is not UTF-8", input: frame(.text, [0x48, 0xFF, 0x49]),
                events: [.failure(.invalidUTF8)]),
            Scenario(
                name: "a surrogate in a text message", input: frame(.text, [0xED, 0xA0, 0x80]),
                events: [.failure(.invalidUTF8)]),
            Scenario(
                name: "a text message ending inside a character", input: frame(.text, [0x61, 0xE2, 0x82]),
                events: [.failure(.invalidUTF8)]),
            Scenario(
                name: "a fragmented text message ending inside a character",
                input: frame(.text, fin: false, "ok") + frame(.continuation, [0xF0, 0x9F]),
                events: [.failure(.invalidUTF8)]),
            Scenario(
                name: "bad UTF-8 in a middle fragment fails before the message ends",
                input: frame(.text, fin: false, "good") + frame(.continuation, fin: false, [0xC0, 0xAF]),
                events: [.failure(.invalidUTF8)]),
            Scenario(
                name: "binary messages are not checked for UTF-8", input: frame(.binary, [0xFF, 0xFE]),
                events: [.binary([0xFF, 0xFE])]),
            Scenario(
                name: "bytes after a failure are not read", input: frame(.text, "hi", key: nil) + frame(.text, "more"),
                events: [.failure(.unmaskedFrame)]),
        ]
        + (Array(3...7) + Array(0xB...0xF)).map { opcode in
            Scenario(
                name: "reserved opcode \(opcode)", input: rawFrame(first: 0x80 | UInt8(opcode), payload: []),
                events: [.failure(.reservedOpcode)])
        }

    @Test("frames that break the protocol fail the connection with the right reason", arguments: failures)
    func failsConnection(_ scenario: Scenario) {
        Self.check(scenario)
    }

    @Test(
        "each protocol error has its close code",
        arguments: WebSocketProtocolError.allCases)
    func closeCodes(_ error: WebSocketProtocolError) {
        switch error {
        case .messageTooBig: #expect(error.closeCode == .messageTooBig)
        case .invalidUTF8, .invalidCloseReason: #expect(error.closeCode == .invalidPayloadData)
        default: #expect(error.closeCode == .protocolError)
        }
    }

    @Test("every protocol error is reached by the table")
    func tableCoversErrors() {
        var reached = Set<WebSocketProtocolError>()
        for scenario in Self.failures + Self.closes {
            for case .failure(let error) in scenario.events { reached.insert(error) }
        }
        reached.insert(.invalidCloseCode)  // the close-code tests
        #expect(reached == Set(WebSocketProtocolError.allCases))
    }

    // MARK: Failing fast and holding little

    @Test("a message over the limit is refused at its header, before its payload")
    func refusesLengthAtHeader() {
        let header = unhex("82 FF 00 00 00 01 00 00 00 00 37 fa 21 3d")  // 4 GiB announced
        let run = decode(header, maxMessageSize: 1 << 20)
        #expect(run.events == [.failure(.messageTooBig)])
        #expect(run.finished)
    }

    @Test("bad UTF-8 is refused as soon as it arrives, before the rest of its frame")
    func refusesUTF8Early() {
        let whole = frame(.text, bytes("hello ") + [0xFF] + bytes(String(repeating: "x", count: 100)))
        // Header (2 + 4 bytes of key) and "hello \u{FF}" only.
        let run = decode(Array(whole[0..<(6 + 7)]))
        #expect(run.events == [.failure(.invalidUTF8)])
    }

    @Test("protocol errors in the first two bytes are refused before the rest of the header")
    func refusesHeaderEarly() {
        #expect(decode([0xC1]).events == [])
        #expect(decode([0xC1, 0x85]).events == [.failure(.reservedBitsSet)])
        #expect(decode([0x81, 0x05]).events == [.failure(.unmaskedFrame)])
        #expect(decode([0x09, 0x80]).events == [.failure(.fragmentedControlFrame)])
    }

    @Test("the decoder holds only unfinished frames and nothing once a message is delivered")
    func boundedBuffering() {
        let message =
            frame(.text, fin: false, String(repeating: "a", count: 300)) + frame(.ping, "x")
            + frame(.continuation, String(repeating: "b", count: 300))
        for chunks in chunkings(of: message.count, maxFixed: 16) {
            var decoder = WebSocketFrameDecoder(maxMessageSize: 600)
            var maxBuffered = 0
            forEachChunk(message, chunks) { chunk in
                decoder.process(chunk) { _ in }
                maxBuffered = max(maxBuffered, decoder.bufferedByteCount)
            }
            #expect(maxBuffered <= 600 + WebSocketFrameEncoder.maxHeaderLength)
            #expect(decoder.bufferedByteCount == 0)
            #expect(!decoder.isInsideMessage)
        }
    }

    @Test("a fragmented message is reported as in progress until its final fragment")
    func insideMessage() {
        var decoder = WebSocketFrameDecoder()
        frame(.text, fin: false, "a").withUnsafeBytes { decoder.process($0) { _ in } }
        #expect(decoder.isInsideMessage)
        frame(.continuation, "b").withUnsafeBytes { decoder.process($0) { _ in } }
        #expect(!decoder.isInsideMessage)
    }

    // MARK: Helpers

    /// Decodes the scenario whole and in every chunking: the events must be the same each time.
    static func check(_ scenario: Scenario, sourceLocation: SourceLocation = #_sourceLocation) {
        let whole = decode(scenario.input, role: scenario.role, maxMessageSize: scenario.maxMessageSize)
        #expect(whole.events == scenario.events, sourceLocation: sourceLocation)
        let fixedLimit = scenario.input.count > 4096 ? 3 : 64
        for chunks in chunkings(of: scenario.input.count, maxFixed: fixedLimit, random: 10) {
            let run = decode(
                scenario.input, chunks: chunks, role: scenario.role, maxMessageSize: scenario.maxMessageSize)
            #expect(run.events == scenario.events, "chunks \(chunks)", sourceLocation: sourceLocation)
            if run.events != scenario.events { return }
        }
    }
}
