// LineFramerTests: the same bytes in every chunking give the same lines; limits, CRLF, binary.

import Testing

@testable import Reactor

/// A frame copied out of the callback, so it can be compared after the call.
enum Framed: Equatable, CustomStringConvertible {
    case line([UInt8])
    case overlong

    static func line(_ text: String) -> Framed { .line(Array(text.utf8)) }

    var description: String {
        switch self {
        case .line(let bytes): return "line(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .overlong: return "overlong"
        }
    }
}

/// A small deterministic generator, so a failing random chunking can be reproduced.
struct SplitMix64: RandomNumberGenerator {
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

/// What feeding `bytes` in pieces of the given sizes produced, and the most the framer ever held.
struct FramingRun {
    var frames: [Framed] = []
    var maxBuffered = 0
    var finalBuffered = 0
}

func frame(_ bytes: [UInt8], chunks: [Int], limit: Int) -> FramingRun {
    var framer = LineFramer(maxLineLength: limit)
    var run = FramingRun()
    var offset = 0
    for size in chunks {
        let end = min(bytes.count, offset + size)
        bytes[offset..<end].withUnsafeBytes { chunk in
            framer.process(chunk) { frame in
                switch frame {
                case .line(let line): run.frames.append(.line(Array(line)))
                case .overlong: run.frames.append(.overlong)
                }
            }
        }
        run.maxBuffered = max(run.maxBuffered, framer.bufferedByteCount)
        offset = end
    }
    precondition(offset == bytes.count, "chunks must cover the input")
    run.finalBuffered = framer.bufferedByteCount
    return run
}

/// Fixed-size chunks of `size` covering `count` bytes.
func fixedChunks(_ count: Int, size: Int) -> [Int] {
    Array(repeating: size, count: (count + size - 1) / size)
}

/// Random chunk sizes covering `count` bytes, with empty reads mixed in.
func randomChunks(_ count: Int, using generator: inout SplitMix64) -> [Int] {
    var chunks: [Int] = []
    var left = count
    while left > 0 {
        if Int.random(in: 0..<5, using: &generator) == 0 {
            chunks.append(0)
            continue
        }
        let size = Int.random(in: 1...max(1, min(left, count / 3 + 1)), using: &generator)
        chunks.append(size)
        left -= size
    }
    chunks.append(0)
    return chunks
}

/// One input and what it must frame to, at a given limit.
struct FramingCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let limit: Int
    let expected: [Framed]
    /// Bytes of the unfinished last line left in the framer.
    let trailing: Int

    var testDescription: String { self.name }

    static let all: [FramingCase] = [
        FramingCase(
            name: "plain, CRLF, empty and a partial last line", bytes: Array("hello\nworld\r\n\nlast".utf8),
            limit: 8, expected: [.line("hello"), .line("world"), .line("")], trailing: 4),
        FramingCase(
            name: "only the CR right before LF is stripped", bytes: Array("a\rb\n\r\n\r\r\n\rx\n".utf8), limit: 8,
            expected: [.line("a\rb"), .line(""), .line("\r"), .line("\rx")], trailing: 0),
        FramingCase(
            name: "at the limit, one over, then the next line", bytes: Array("12345678\n123456789\nok\n".utf8),
            limit: 8, expected: [.line("12345678"), .overlong, .line("ok")], trailing: 0),
        FramingCase(
            name: "at the limit with CRLF, one over with CRLF",
            bytes: Array("12345678\r\n123456789\r\nok\r\n".utf8), limit: 8,
            expected: [.line("12345678"), .overlong, .line("ok")], trailing: 0),
        FramingCase(
            name: "a long line between short ones",
            bytes: Array(("a\n" + String(repeating: "x", count: 1000) + "\nb\n").utf8), limit: 8,
            expected: [.line("a"), .overlong, .line("b")], trailing: 0),
        FramingCase(
            name: "two overlong lines in a row",
            bytes: Array((String(repeating: "y", count: 30) + "\n" + String(repeating: "z", count: 9) + "\nc\n").utf8),
            limit: 8, expected: [.overlong, .overlong, .line("c")], trailing: 0),
        FramingCase(
            name: "binary bytes, NUL and 0xFF", bytes: [0, 255, 13, 0, 10, 255, 10, 0, 13, 10], limit: 8,
            expected: [.line([0, 255, 13, 0]), .line([255]), .line([0])], trailing: 0),
        FramingCase(
            name: "only newlines", bytes: Array("\n\n\r\n\n".utf8), limit: 1,
            expected: [.line(""), .line(""), .line(""), .line("")], trailing: 0),
    ]
}

@Suite struct LineFramerTests {
    @Test("every fixed chunk size from 1 byte up yields the same frames", arguments: FramingCase.all)
    func everyFixedChunking(_ input: FramingCase) {
        for size in 1...input.bytes.count {
            let run = frame(input.bytes, chunks: fixedChunks(input.bytes.count, size: size), limit: input.limit)
            #expect(run.frames == input.expected, "chunk size \(size)")
            #expect(run.finalBuffered == input.trailing, "chunk size \(size)")
            #expect(run.maxBuffered <= input.limit + 1, "chunk size \(size)")
        }
    }

    @Test("random chunkings with empty reads mixed in yield the same frames", arguments: FramingCase.all)
    func randomChunkings(_ input: FramingCase) {
        var generator = SplitMix64(seed: UInt64(input.bytes.count))
        for attempt in 0..<200 {
            let chunks = randomChunks(input.bytes.count, using: &generator)
            let run = frame(input.bytes, chunks: chunks, limit: input.limit)
            #expect(run.frames == input.expected, "attempt \(attempt), chunks \(chunks)")
            #expect(run.finalBuffered == input.trailing, "attempt \(attempt), chunks \(chunks)")
        }
    }

    @Test("byte-at-a-time delivery buffers only the unfinished line")
    func byteAtATime() {
        let text = Array("first line\r\nsecond\n\nthird".utf8)
        var framer = LineFramer(maxLineLength: 64)
        var frames: [Framed] = []
        var sinceNewline = 0
        for byte in text {
            [byte].withUnsafeBytes { chunk in
                framer.process(chunk) { frame in
                    if case .line(let line) = frame {
                        frames.append(.line(Array(line)))
                    } else {
                        frames.append(.overlong)
                    }
                }
            }
            sinceNewline = byte == 10 ? 0 : sinceNewline + 1
            #expect(framer.bufferedByteCount == sinceNewline)
        }
        #expect(frames == [.line("first line"), .line("second"), .line("")])
        #expect(framer.bufferedByteCount == 5)
    }

    @Test("10,000 lines in one read arrive in order and leave nothing buffered")
    func tenThousandLinesInOneRead() {
        let text = (0..<10_000).map { "line \($0)\n" }.joined()
        let run = frame(Array(text.utf8), chunks: [text.utf8.count], limit: 32)
        #expect(run.frames.count == 10_000)
        #expect(run.frames == (0..<10_000).map { .line("line \($0)") })
        #expect(run.finalBuffered == 0)
    }

    @Test(
        "a line exactly at the limit is accepted with and without CRLF; one more byte is overlong once and the next line still arrives",
        arguments: [1, 2, 7, 64, 4096])
    func limitBoundary(_ limit: Int) {
        let atLimit = String(repeating: "a", count: limit)
        let overLimit = String(repeating: "b", count: limit + 1)
        let text = Array((atLimit + "\n" + atLimit + "\r\n" + overLimit + "\n" + overLimit + "\r\nnext\r\nend\n").utf8)
        // "next" and "end" are themselves over the smallest limits, and then overlong too.
        let want: [Framed] = [
            .line(atLimit), .line(atLimit), .overlong, .overlong,
            limit >= 4 ? .line("next") : .overlong, limit >= 3 ? .line("end") : .overlong,
        ]
        var generator = SplitMix64(seed: UInt64(limit))
        var chunkings = [
            [text.count], fixedChunks(text.count, size: 1), fixedChunks(text.count, size: limit),
            fixedChunks(text.count, size: limit + 1), fixedChunks(text.count, size: limit + 2),
        ]
        for _ in 0..<20 { chunkings.append(randomChunks(text.count, using: &generator)) }
        for chunks in chunkings {
            let run = frame(text, chunks: chunks, limit: limit)
            #expect(run.frames == want, "chunks \(chunks.prefix(12))")
            #expect(run.maxBuffered <= limit + 1)
            #expect(run.finalBuffered == 0)
        }
    }

    @Test("an overlong line split across many reads is reported once and never buffered")
    func overlongAcrossReads() {
        let limit = 100
        var framer = LineFramer(maxLineLength: limit)
        var frames: [Framed] = []
        let record: (LineFramer.Frame) -> Void = { frame in
            if case .line(let line) = frame { frames.append(.line(Array(line))) } else { frames.append(.overlong) }
        }
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        for _ in 0..<1000 {  // 1 MB without a newline
            chunk.withUnsafeBytes { framer.process($0, record) }
            #expect(framer.bufferedByteCount <= limit + 1)
        }
        #expect(framer.isDiscarding)
        #expect(frames == [.overlong])
        Array("tail of the long line\nshort\n".utf8).withUnsafeBytes { framer.process($0, record) }
        #expect(frames == [.overlong, .line("short")])
        #expect(!framer.isDiscarding)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test("every byte value but newline passes through unchanged")
    func binaryPassThrough() {
        let payload = (0...255).map { UInt8($0) }.filter { $0 != 10 }
        let text = payload + [10] + payload + [13, 10]
        for size in [1, 3, 100, text.count] {
            let run = frame(text, chunks: fixedChunks(text.count, size: size), limit: 300)
            #expect(run.frames == [.line(payload), .line(payload)], "chunk size \(size)")
        }
    }

    @Test("an idle framer holds no buffer once its lines are complete")
    func idleFramerHoldsNothing() {
        var framer = LineFramer(maxLineLength: 8192)
        let long = [UInt8](repeating: 65, count: 5000)
        var lines = 0
        for start in stride(from: 0, to: long.count, by: 700) {
            long[start..<min(long.count, start + 700)].withUnsafeBytes { framer.process($0) { _ in lines += 1 } }
        }
        #expect(framer.bufferedByteCount == 5000)
        Array("\n".utf8).withUnsafeBytes { framer.process($0) { _ in lines += 1 } }
        #expect(lines == 1)
        #expect(framer.bufferedByteCount == 0)
        #expect(!framer.isDiscarding)
    }

    @Test("a framer is one word, and keeps its limit while a line is unfinished and after one was discarded")
    func oneWord() {
        #expect(MemoryLayout<LineFramer>.size == 8)
        var framer = LineFramer(maxLineLength: 10)
        var frames: [String] = []
        func feed(_ text: String) {
            Array(text.utf8).withUnsafeBytes { bytes in
                framer.process(bytes) { frame in
                    switch frame {
                    case .line(let line): frames.append(String(decoding: line, as: UTF8.self))
                    case .overlong: frames.append("<overlong>")
                    }
                }
            }
        }
        feed("abc")
        #expect(framer.maxLineLength == 10 && framer.bufferedByteCount == 3)
        feed("defghij")
        #expect(framer.maxLineLength == 10 && framer.bufferedByteCount == 10)
        feed("k")  // 11 bytes: one more could still be a CR
        feed("l")  // 12: over
        #expect(framer.isDiscarding && framer.bufferedByteCount == 0 && framer.maxLineLength == 10)
        feed("mn\n0123456789\r\n")
        feed("01234")
        feed("56789\r\n")
        #expect(frames == ["<overlong>", "0123456789", "0123456789"])
        #expect(!framer.isDiscarding && framer.bufferedByteCount == 0 && framer.maxLineLength == 10)
    }
}
