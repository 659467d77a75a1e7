// WebSocketTestSupport: decoder events as comparable values, a driver that feeds frames in given
// chunks, and a builder for the frames a client (or a misbehaving peer) sends.

import Codec
import WebSocket

/// An event copied out of the callback.
enum Decoded: Equatable, Sendable, CustomStringConvertible {
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close(UInt16?, String)
    case failure(WebSocketProtocolError)

    init(_ event: WebSocketEvent) {
        switch event {
        case .text(let payload):
            // The decoder promises UTF-8; decoding strictly checks the promise.
            self = .text(String(validating: payload, as: UTF8.self) ?? "<not UTF-8: \(hex(Array(payload)))>")
        case .binary(let payload): self = .binary(Array(payload))
        case .ping(let payload): self = .ping(Array(payload))
        case .pong(let payload): self = .pong(Array(payload))
        case .close(let code, let reason): self = .close(code?.rawValue, String(decoding: reason, as: UTF8.self))
        case .failure(let error): self = .failure(error)
        }
    }

    var description: String {
        switch self {
        case .text(let text): return "text(\(text.debugDescription))"
        case .binary(let payload): return "binary(\(payload.count) bytes)"
        case .ping(let payload): return "ping(\(hex(payload)))"
        case .pong(let payload): return "pong(\(hex(payload)))"
        case .close(let code, let reason):
            return "close(\(code.map(String.init) ?? "none"), \(reason.debugDescription))"
        case .failure(let error): return "failure(\(error))"
        }
    }
}

/// What decoding a stream produced, and the most the decoder held between reads.
struct DecodeRun {
    var events: [Decoded] = []
    var maxBuffered = 0
    var finished = false
}

/// Feeds `input` to one decoder in `chunks`.
func decode(
    _ input: [UInt8], chunks: [Int]? = nil, role: WebSocketRole = .server, maxMessageSize: Int = 1 << 20
) -> DecodeRun {
    var decoder = WebSocketFrameDecoder(role: role, maxMessageSize: maxMessageSize)
    var run = DecodeRun()
    forEachChunk(input, chunks ?? [input.count]) { chunk in
        decoder.process(chunk) { run.events.append(Decoded($0)) }
        run.maxBuffered = max(run.maxBuffered, decoder.bufferedByteCount)
    }
    run.finished = decoder.isFinished
    return run
}

/// The fixed masking key of these tests (RFC 6455 section 5.7's).
let testKey = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)

/// A frame as a client sends it (masked with `key`), or a server (`key: nil`).
func frame(
    _ opcode: WebSocketOpcode, fin: Bool = true, _ payload: [UInt8], key: WebSocketMaskingKey? = testKey
) -> [UInt8] {
    payload.withUnsafeBytes { raw in
        rendered {
            WebSocketFrameEncoder.writeFrame(opcode: opcode, fin: fin, payload: raw, maskingKey: key, into: &$0)
        }
    }
}

func frame(_ opcode: WebSocketOpcode, fin: Bool = true, _ text: String, key: WebSocketMaskingKey? = testKey) -> [UInt8]
{
    frame(opcode, fin: fin, bytes(text), key: key)
}

/// A masked frame with any first byte (FIN, RSV bits, opcode) and any length field, which the
/// encoder would refuse to write.
func rawFrame(first: UInt8, payload: [UInt8], key: WebSocketMaskingKey? = testKey) -> [UInt8] {
    var header: [UInt8] = [first]
    let mask: UInt8 = key == nil ? 0 : 0x80
    if payload.count <= 125 {
        header.append(mask | UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
        header += [mask | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
        header.append(mask | 127)
        for shift in stride(from: 56, through: 0, by: -8) {
            header.append(UInt8(truncatingIfNeeded: payload.count >> shift))
        }
    }
    guard let key else { return header + payload }
    let keyBytes = [key.bytes.0, key.bytes.1, key.bytes.2, key.bytes.3]
    return header + keyBytes + payload.enumerated().map { $0.element ^ keyBytes[$0.offset & 3] }
}

/// A close frame's payload: the code, big-endian, then the reason.
func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
}
