// RESPFuzzTests: random values round-trip through the wire form in random chunkings, and random
// mutations of valid streams never trap the decoder nor make it hold more than its limits.

import RESP
import Testing

@Suite struct RESPFuzzTests {
    /// Splits `count` bytes into random pieces (1 byte to a few hundred, empty reads among them).
    func randomChunks(_ count: Int, _ rng: inout SeededGenerator) -> [Int] {
        var chunks: [Int] = []
        var total = 0
        while total < count {
            let size = Bool.random(using: &rng) ? Int.random(in: 0...3, using: &rng) : Int.random(in: 1...400, using: &rng)
            chunks.append(size)
            total += size
        }
        return chunks
    }

    @Test("random RESP2 and RESP3 values decode to themselves in random chunkings", arguments: [false, true])
    func roundTrip(_ resp3: Bool) {
        var rng = SeededGenerator(seed: resp3 ? 3 : 2)
        for round in 0..<300 {
            let values = (0..<Int.random(in: 1...12, using: &rng)).map { _ in randomValue(&rng, depth: 4, resp3: resp3) }
            let wire = values.flatMap(encode)
            let decoded = decode(wire, chunks: randomChunks(wire.count, &rng))
            #expect(decoded.error == nil, "round \(round)")
            #expect(decoded.values == values, "round \(round)")
        }
    }

    @Test("mutated streams never trap and never hold more than the limits")
    func mutations() {
        var rng = SeededGenerator(seed: 99)
        let limits = RESPDecoderLimits(
            maxBulkLength: 1000, maxAggregateCount: 50, maxDepth: 5, maxLineLength: 64, maxReplyBytes: 4000,
            maxElements: 200)
        var failures = 0
        for _ in 0..<3000 {
            var wire = (0..<Int.random(in: 1...6, using: &rng)).flatMap { _ in encode(randomValue(&rng, depth: 4, resp3: true)) }
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<wire.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: wire[position] = UInt8.random(in: 0...255, using: &rng)
                case 1: wire[position] = [UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "-"), UInt8(ascii: "9"), UInt8(ascii: "*")].randomElement(using: &rng)!
                case 2: wire.remove(at: position)
                case 3: wire.insert(contentsOf: bytes(["*99999\r\n", "$-1\r\n", "$5000\r\n", "\r\n", ":"].randomElement(using: &rng)!), at: position)
                default: wire.removeSubrange(position...)
                }
                if wire.isEmpty { wire = bytes("*") }
            }
            var decoder = RESPDecoder(limits: limits)
            var start = 0
            for size in randomChunks(wire.count, &rng) where start < wire.count {
                let end = min(wire.count, start + size)
                var failed = false
                do {
                    try decoder.process(Array(wire[start..<end])) { reply in
                        _ = reply.value
                        _ = reply.pubSubEvent
                    }
                } catch {
                    failed = true
                }
                #expect(decoder.bufferedByteCount <= limits.maxReplyBytes + 400)
                start = end
                if failed {
                    failures += 1
                    break
                }
            }
        }
        #expect(failures > 500, "mutations are mostly caught: \(failures) of 3000")
    }

    @Test("random bytes never trap")
    func randomBytes() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<2000 {
            let wire = (0..<Int.random(in: 1...200, using: &rng)).map { _ in
                Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : bytes("*$:+-\r\n0123456789_#,(=!%~>")
                    .randomElement(using: &rng)!
            }
            _ = decode(wire, chunks: randomChunks(wire.count, &rng))
        }
    }
}
