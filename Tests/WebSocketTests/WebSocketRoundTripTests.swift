// WebSocketRoundTripTests: decode(encode(x)) == x for generated message streams (fragmented, with
// control frames between fragments, masked with random keys, cut into random reads), and a fuzz
// loop of mutated and random bytes that must never trap, break a limit, or depend on the chunking.

import Testing
import WebSocket

@Suite struct WebSocketRoundTripTests {
    /// Text with one-, two-, three- and four-byte characters.
    static let characters: [Character] = [
        "a", "Z", " ", "~", "\u{E9}", "\u{3B1}", "\u{20AC}", "\u{4E2D}", "\u{1F603}", "\u{10FFFF}",
    ]

    /// Mostly short, often past the 7-bit length, now and then past the 16-bit one (when `large`).
    static func randomSize(large: Bool = true, using generator: inout SeededGenerator) -> Int {
        switch Int.random(in: 0..<200, using: &generator) {
        case 0..<120: return Int.random(in: 0...40, using: &generator)
        case 120..<199: return Int.random(in: 100...400, using: &generator)
        default: return large ? Int.random(in: 65_000...70_000, using: &generator) : 0
        }
    }

    /// A generated stream: its wire bytes (as a client sends them) and the events it must decode to.
    static func randomStream(large: Bool = true, using generator: inout SeededGenerator) -> ([UInt8], [Decoded]) {
        var wire: [UInt8] = []
        var events: [Decoded] = []
        func key() -> WebSocketMaskingKey { WebSocketMaskingKey.random(using: &generator) }
        func control() {
            let payload = (0..<Int.random(in: 0...125, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) {
                wire += frame(.ping, payload, key: key())
                events.append(.ping(payload))
            } else {
                wire += frame(.pong, payload, key: key())
                events.append(.pong(payload))
            }
        }
        for _ in 0..<Int.random(in: 1...6, using: &generator) {
            if Int.random(in: 0..<4, using: &generator) == 0 {
                control()
                continue
            }
            let isText = Bool.random(using: &generator)
            let size = Self.randomSize(large: large, using: &generator)
            let payload: [UInt8]
            if isText {
                var text = ""
                while text.utf8.count < size { text.append(Self.characters.randomElement(using: &generator)!) }
                payload = bytes(text)
            } else {
                payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            // Cut anywhere, even inside a character: validity is the message's, not the fragment's.
            var cuts = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                Int.random(in: 0...payload.count, using: &generator)
            }
            cuts.sort()
            var start = 0
            for (index, end) in (cuts + [payload.count]).enumerated() {
                let opcode: WebSocketOpcode = index == 0 ? (isText ? .text : .binary) : .continuation
                wire += frame(opcode, fin: index == cuts.count, Array(payload[start..<end]), key: key())
                start = end
                if index < cuts.count && Bool.random(using: &generator) { control() }
            }
            events.append(isText ? .text(String(decoding: payload, as: UTF8.self)) : .binary(payload))
        }
        if Bool.random(using: &generator) {
            let code = [1000, 1001, 1003, 1011, 3000, 4999].randomElement(using: &generator)!
            wire += frame(.close, closePayload(UInt16(code), bytes("reason \u{1F44B}")), key: key())
            events.append(.close(UInt16(code), "reason \u{1F44B}"))
        }
        return (wire, events)
    }

    @Test("generated message streams decode to what was encoded, in random reads")
    func generatedStreams() {
        var generator = SeededGenerator(seed: 0x6455)
        for iteration in 0..<2000 {
            let (wire, events) = Self.randomStream(using: &generator)
            let chunks = chunkings(of: wire.count, maxFixed: 0, random: 1, seed: UInt64(iteration))[0]
            let run = decode(wire, chunks: chunks, maxMessageSize: 1 << 17)
            #expect(run.events == events, "iteration \(iteration), chunks \(chunks.prefix(20))")
            if run.events != events { break }
        }
    }

    @Test("server frames decode with a client's decoder")
    func serverToClient() {
        var generator = SeededGenerator(seed: 0x5E)
        for _ in 0..<500 {
            let size = Self.randomSize(using: &generator)
            let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(decode(frame(.binary, payload, key: nil), role: .client).events == [.binary(payload)])
        }
    }

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var output = input
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            guard !output.isEmpty else { break }
            let position = Int.random(in: 0..<output.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: output[position] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            case 1: output[position] = UInt8.random(in: 0...255, using: &generator)
            case 2: output.remove(at: position)
            default: output.insert(UInt8.random(in: 0...255, using: &generator), at: position)
            }
        }
        return output
    }

    @Test("mutated and random bytes never trap, keep the limits, and decode the same in any chunking")
    func fuzz() {
        var generator = SeededGenerator(seed: 0xF0CC)
        let limit = 300
        for iteration in 0..<3000 {
            let input: [UInt8]
            if iteration % 3 == 0 {
                input = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                input = Self.mutate(Self.randomStream(large: false, using: &generator).0, using: &generator)
            }
            for role in [WebSocketRole.server, .client] {
                let whole = decode(input, role: role, maxMessageSize: limit)
                let chunks = chunkings(of: input.count, maxFixed: 0, random: 1, seed: UInt64(iteration))[0]
                let pieces = decode(input, chunks: chunks, role: role, maxMessageSize: limit)
                #expect(whole.events == pieces.events, "input \(hex(input)) chunks \(chunks)")
                #expect(pieces.maxBuffered <= limit + 125 + WebSocketFrameEncoder.maxHeaderLength)
                for (index, event) in whole.events.enumerated() {
                    switch event {
                    case .text(let text):
                        #expect(!text.hasPrefix("<not UTF-8"))
                        #expect(text.utf8.count <= limit)
                    case .binary(let payload): #expect(payload.count <= limit)
                    case .ping(let payload), .pong(let payload): #expect(payload.count <= 125)
                    case .close, .failure: #expect(index == whole.events.count - 1, "nothing after the end")
                    }
                }
                if whole.events != pieces.events { return }
            }
        }
    }
}
