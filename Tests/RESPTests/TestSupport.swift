// TestSupport: decoding in chosen chunkings, a reference encoder for RESPValue, and a seeded
// random generator, for the RESP tests.

import Codec
import RESP

/// Decodes `bytes` fed in pieces of the given sizes (the last piece takes the rest), copying every
/// reply out; stops at the first error.
func decode(
    _ bytes: [UInt8], chunks: [Int] = [], limits: RESPDecoderLimits = .standard
) -> (values: [RESPValue], error: RESPDecodingError?) {
    var decoder = RESPDecoder(limits: limits)
    var values: [RESPValue] = []
    var start = 0
    var sizes = chunks[...]
    while start < bytes.count {
        let size = min(sizes.popFirst() ?? bytes.count, bytes.count - start)
        do {
            try decoder.process(Array(bytes[start..<start + size])) { values.append($0.value) }
        } catch {
            return (values, error)
        }
        start += size
    }
    return (values, nil)
}

extension RESPDecoder {
    /// Decodes a copy of `bytes` (a heap copy of exactly their length, so a read past the end is
    /// caught by the sanitizer). Not a closure over `withUnsafeBytes`: typed throws through it
    /// crash the 6.3 compiler.
    mutating func process(_ bytes: [UInt8], _ body: (RESPReply) -> Void) throws(RESPDecodingError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try self.process(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]), body)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The wire form of `value`, written independently of the decoder (RESP3 forms for RESP3 values).
func encode(_ value: RESPValue) -> [UInt8] {
    func line(_ type: String, _ payload: [UInt8]) -> [UInt8] { bytes(type) + payload + bytes("\r\n") }
    func aggregate(_ type: String, _ values: [RESPValue], pairs: Bool = false) -> [UInt8] {
        line(type, bytes(String(pairs ? values.count / 2 : values.count))) + values.flatMap(encode)
    }
    switch value {
    case .simpleString(let payload): return line("+", payload)
    case .error(let payload): return line("-", payload)
    case .integer(let value): return line(":", bytes(String(value)))
    case .bulkString(let payload): return line("$", bytes(String(payload.count))) + payload + bytes("\r\n")
    case .null: return bytes("$-1\r\n")
    case .array(let values): return aggregate("*", values)
    case .boolean(let value): return bytes(value ? "#t\r\n" : "#f\r\n")
    case .double(let text): return line(",", text)
    case .bigNumber(let digits): return line("(", digits)
    case .verbatimString(let format, let text):
        return line("=", bytes(String(text.count + 4))) + format + bytes(":") + text + bytes("\r\n")
    case .map(let values): return aggregate("%", values, pairs: true)
    case .set(let values): return aggregate("~", values)
    case .push(let values): return aggregate(">", values)
    }
}

/// SplitMix64: a small seeded generator, so a failing random case can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random value up to `depth` aggregates deep, of RESP2 types only or RESP3 types too.
func randomValue(_ rng: inout SeededGenerator, depth: Int, resp3: Bool) -> RESPValue {
    func payload(_ rng: inout SeededGenerator, lineSafe: Bool) -> [UInt8] {
        let length = Int.random(in: 0...(Bool.random(using: &rng) ? 8 : 300), using: &rng)
        return (0..<length).map { _ in
            lineSafe ? UInt8.random(in: 0x20...0x7e, using: &rng) : UInt8.random(in: 0...255, using: &rng)
        }
    }
    let scalars = resp3 ? [0, 1, 2, 3, 4, 6, 7, 8, 9] : [0, 1, 2, 3, 4]
    let aggregates = resp3 ? [5, 10, 11, 12] : [5]
    let kinds = depth > 0 ? scalars + aggregates : scalars
    switch kinds.randomElement(using: &rng)! {
    case 0: return .simpleString(payload(&rng, lineSafe: true))
    case 1: return .error(payload(&rng, lineSafe: true))
    case 2: return .integer(Int.random(in: Int.min...Int.max, using: &rng) >> Int.random(in: 0...63, using: &rng))
    case 3: return .bulkString(payload(&rng, lineSafe: false))
    case 4: return .null
    case 6: return .boolean(Bool.random(using: &rng))
    case 7: return .double(bytes(["3.25", "-0.5", "1e10", "inf", "-inf", "nan", "42"].randomElement(using: &rng)!))
    case 8: return .bigNumber(bytes(String(UInt64.random(in: 0...UInt64.max, using: &rng)) + "123456789"))
    case 9: return .verbatimString(format: bytes("txt"), payload(&rng, lineSafe: false))
    case 5, 10, 11, 12:
        let count = Int.random(in: 0...6, using: &rng)
        var values = (0..<count).map { _ in randomValue(&rng, depth: depth - 1, resp3: resp3) }
        if !resp3 { return .array(values) }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return .array(values)
        case 1:
            if values.count % 2 == 1 { values.removeLast() }
            return .map(values)
        case 2: return .set(values)
        default: return .push(values)
        }
    default: return .null
    }
}
