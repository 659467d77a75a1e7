// TestSupport: byte helpers, a seeded generator, and the chunkings every framing test feeds its
// input in.

import Codec

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// `bytes` as lowercase hexadecimal, for readable failures.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// The bytes a hexadecimal string (spaces allowed) stands for.
func unhex(_ text: String) -> [UInt8] {
    let digits = text.utf8.filter { $0 != UInt8(ascii: " ") }
    precondition(digits.count % 2 == 0, "hex strings have two digits per byte")
    return stride(from: 0, to: digits.count, by: 2).map {
        UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
    }
}

/// What `render` appends to a fresh buffer.
func rendered(_ render: (inout EncodeBuffer) -> Void) -> [UInt8] {
    var buffer = EncodeBuffer(capacity: 8)
    render(&buffer)
    return buffer.array
}

/// What `render` appends to a fresh buffer, as text.
func renderedText(_ render: (inout EncodeBuffer) -> Void) -> String {
    String(decoding: rendered(render), as: UTF8.self)
}

/// SplitMix64: a small seeded generator, so a failing random test can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Ways to divide `count` bytes into reads: every fixed size from 1 byte up to `count` (or up to
/// `maxFixed` when `count` is more than twice that), then `random` chunkings of random sizes with
/// empty reads mixed in.
func chunkings(of count: Int, maxFixed: Int = 64, random: Int = 20, seed: UInt64 = 7) -> [[Int]] {
    var result: [[Int]] = []
    let largest = count <= 2 * maxFixed ? count : maxFixed
    for size in stride(from: 1, through: largest, by: 1) {
        result.append(Array(repeating: size, count: (count + size - 1) / size))
    }
    var generator = SeededGenerator(seed: seed &+ UInt64(count))
    for _ in 0..<random {
        var chunks: [Int] = []
        var left = count
        while left > 0 {
            if Int.random(in: 0..<4, using: &generator) == 0 {
                chunks.append(0)
                continue
            }
            let size = Int.random(in: 1...max(1, min(left, count / 3 + 1)), using: &generator)
            chunks.append(size)
            left -= size
        }
        result.append(chunks)
    }
    return result
}

/// Calls `body` with the pieces of `input` the chunk sizes cut (the last piece takes the rest).
func forEachChunk(_ input: [UInt8], _ chunks: [Int], _ body: (UnsafeRawBufferPointer) -> Void) {
    var offset = 0
    for size in chunks {
        let end = min(input.count, offset + size)
        input[offset..<end].withUnsafeBytes(body)
        offset = end
    }
    if offset < input.count { input[offset...].withUnsafeBytes(body) }
}
