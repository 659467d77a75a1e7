// FuzzWebSocketFrames: libFuzzer target for the WebSocket frame decoder and encoder. Half the
// inputs are raw bytes for the decoder: fed whole, a byte at a time, in two pieces and in random
// pieces, they must give the same events, within the limits, with nothing after a close or a
// failure. The other half describe a conversation (messages in fragments, pings and pongs between
// them, a close) that the encoder writes and the decoder must read back exactly, however it is cut.

import Codec
import FuzzSupport
import WebSocket

enum Event: Equatable {
    case text([UInt8]), binary([UInt8]), ping([UInt8]), pong([UInt8])
    case close(UInt16?, [UInt8])
    case failure(WebSocketProtocolError)

    // By memcmp: the derived == compares payloads a byte at a time, each byte a callback to libFuzzer.
    static func == (a: Event, b: Event) -> Bool {
        switch (a, b) {
        case (.text(let a), .text(let b)), (.binary(let a), .binary(let b)), (.ping(let a), .ping(let b)),
            (.pong(let a), .pong(let b)):
            return Bytes.equal(a, b)
        case (.close(let codeA, let a), .close(let codeB, let b)): return codeA == codeB && Bytes.equal(a, b)
        case (.failure(let a), .failure(let b)): return a == b
        default: return false
        }
    }
}

/// Whether `bytes` are UTF-8, by the standard library's decoder rather than the codec's own.
func isUTF8(_ bytes: [UInt8]) -> Bool {
    Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
}

/// Decodes `stream` cut into `lengths`, checking each event and the decoder's memory as it goes.
func decode(_ stream: UnsafeRawBufferPointer, _ lengths: [Int], role: WebSocketRole, max: Int) -> [Event] {
    var decoder = WebSocketFrameDecoder(role: role, maxMessageSize: max)
    var events: [Event] = []
    Chunking.feed(stream, lengths) { piece in
        decoder.process(piece) { event in
            require(events.isEmpty || !events.last!.isFinal, "\(event) after \(events.last!)")
            switch event {
            case .text(let payload):
                require(payload.count <= max && isUTF8(Array(payload)), "text of \(payload.count) bytes, limit \(max)")
                events.append(.text(Array(payload)))
            case .binary(let payload):
                require(payload.count <= max, "binary message of \(payload.count) bytes, limit \(max)")
                events.append(.binary(Array(payload)))
            case .ping(let payload):
                require(payload.count <= 125, "ping of \(payload.count) bytes")
                events.append(.ping(Array(payload)))
            case .pong(let payload):
                require(payload.count <= 125, "pong of \(payload.count) bytes")
                events.append(.pong(Array(payload)))
            case .close(let code, let reason):
                require(code.map(\.isValidOnWire) ?? reason.isEmpty, "close code \(String(describing: code))")
                require(reason.count <= 123 && isUTF8(Array(reason)), "close reason")
                events.append(.close(code?.rawValue, Array(reason)))
            case .failure(let error):
                _ = error.closeCode
                events.append(.failure(error))
            }
        }
        // An unfinished message, control frame and header at most.
        require(decoder.bufferedByteCount <= max + 125 + 14, "holds \(decoder.bufferedByteCount) bytes, limit \(max)")
        require(decoder.isFinished == (events.last?.isFinal ?? false), "isFinished \(decoder.isFinished)")
    }
    return events
}

extension Event {
    var isFinal: Bool {
        switch self {
        case .close, .failure: return true
        default: return false
        }
    }
}

/// Writes a conversation the input describes and returns its bytes and the events it must decode to.
func conversation(_ reader: inout FuzzReader, role: WebSocketRole, max: Int) -> ([UInt8], [Event]) {
    var buffer = EncodeBuffer(capacity: 1024)
    var expected: [Event] = []
    // A server's decoder reads masked frames (from clients); a client's, unmasked ones.
    func key() -> WebSocketMaskingKey? {
        role == .server ? WebSocketMaskingKey(reader.byte(), reader.byte(), reader.byte(), reader.byte()) : nil
    }
    func control(_ opcode: WebSocketOpcode) {
        let payload = Array(reader.take(reader.below(126)))
        payload.withUnsafeBytes {
            WebSocketFrameEncoder.writeFrame(opcode: opcode, payload: $0, maskingKey: key(), into: &buffer)
        }
        expected.append(opcode == .ping ? .ping(payload) : .pong(payload))
    }
    while !reader.isAtEnd {
        switch reader.byte() % 8 {
        case 0:
            control(.ping)
        case 1:
            control(.pong)
        case 2:
            let codes: [UInt16?] = [nil, 1000, 1001, 1003, 1011, 3000, 4999]
            let code = codes[reader.below(codes.count)]
            let reason = code == nil ? "" : String(decoding: reader.take(reader.below(200)), as: UTF8.self)
            WebSocketFrameEncoder.writeClose(
                code: code.map { WebSocketCloseCode($0) }, reason: reason, maskingKey: key(), into: &buffer)
            // A reason over 123 bytes is cut at a character boundary.
            var cut = Array(reason.utf8)
            if cut.count > 123 {
                var end = 123
                while end > 0 && cut[end] & 0xC0 == 0x80 { end -= 1 }
                cut.removeSubrange(end...)
            }
            expected.append(.close(code, cut))
            return (buffer.array, expected)
        default:
            // A message in 1 to 4 fragments, with control frames between them now and then. Text is
            // UTF-8 as a whole, and may be cut anywhere, inside a character too.
            let isText = reader.byte() & 1 == 0
            let raw = Array(reader.take(Int(reader.uint16()) % (max + 64)))
            let message = isText ? Array(String(decoding: raw, as: UTF8.self).utf8) : raw
            let fragments = 1 + reader.below(4)
            var cuts = (1..<fragments).map { _ in message.isEmpty ? 0 : reader.below(message.count + 1) }.sorted()
            cuts.append(message.count)
            var start = 0
            for (index, end) in cuts.enumerated() {
                let piece = Array(message[start..<end])
                let fin = index == cuts.count - 1
                // The decoder refuses a fragment at its header once the message would pass the limit.
                if end > max {
                    expected.append(.failure(.messageTooBig))
                    // What the decoder would say of the rest does not matter: it reads no more.
                    let opcode: WebSocketOpcode = index == 0 ? (isText ? .text : .binary) : .continuation
                    WebSocketFrameEncoder.writeHeader(
                        opcode: opcode, fin: fin, payloadLength: piece.count, maskingKey: key(), into: &buffer)
                    return (buffer.array, expected)
                }
                let opcode: WebSocketOpcode = index == 0 ? (isText ? .text : .binary) : .continuation
                if role == .client && reader.byte() & 1 == 0 {
                    // The in-place path the server uses for room messages: header room first, payload after.
                    let frame = WebSocketFrameEncoder.beginFrame(in: &buffer)
                    buffer.append(piece)
                    buffer.append([13, 10])
                    let range = frame.finish(opcode: opcode, fin: fin, droppingLast: 2, in: &buffer)
                    // Close the gap left by a header shorter than its reserved room.
                    var bytes = buffer.array
                    bytes.removeSubrange(frame.payloadStart - 10..<range.lowerBound)
                    buffer.removeAll()
                    buffer.append(bytes)
                } else {
                    piece.withUnsafeBytes {
                        WebSocketFrameEncoder.writeFrame(
                            opcode: opcode, fin: fin, payload: $0, maskingKey: key(), into: &buffer)
                    }
                }
                if !fin && reader.byte() % 4 == 0 { control(.ping) }
                start = end
            }
            expected.append(isText ? .text(message) : .binary(message))
        }
    }
    return (buffer.array, expected)
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let setting = reader.byte()
    let role: WebSocketRole = setting & 1 == 0 ? .server : .client
    let max = 125 + Int(reader.byte()) * 4
    let cut = Int(reader.uint16())
    if setting & 2 == 0 {
        let stream = reader.rest()
        let whole = decode(stream, [stream.count], role: role, max: max)
        for lengths in Chunking.variants(count: stream.count, cut: cut, seed: fnv1a(stream)).dropFirst() {
            let events = decode(stream, lengths, role: role, max: max)
            require(events == whole, "chunks \(lengths) decoded \(events), whole \(whole)")
        }
    } else {
        let (wire, expected) = conversation(&reader, role: role, max: max)
        wire.withUnsafeBytes { stream in
            for lengths in Chunking.variants(count: stream.count, cut: cut, seed: fnv1a(stream)) {
                let events = decode(stream, lengths, role: role, max: max)
                require(events == expected, "chunks \(lengths) decoded \(events), wrote \(expected)")
            }
        }
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
