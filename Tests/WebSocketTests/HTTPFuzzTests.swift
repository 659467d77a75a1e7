// HTTPFuzzTests: mutated and random heads never trap, never hold more than the limit, give the same
// answer in one piece and in random pieces, and whatever parses is well-formed.

import Testing
import WebSocket

@Suite struct HTTPFuzzTests {
    static let seeds = [
        "GET /chat?nick=a&room=b HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "HEAD http://example.org/ HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]

    static let interesting: [UInt8] =
        Array(" \t\r\n:/?%#*,;=@[]\u{0}\u{7F}".utf8) + [0x80, 0xC3, 0xFF] + Array("HTTP/1.1".utf8)

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var output = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = Int.random(in: 0...output.count, using: &generator)
            let byte =
                Bool.random(using: &generator)
                ? Self.interesting.randomElement(using: &generator)!
                : UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: output.insert(byte, at: position)
            case 1 where position < output.count: output.remove(at: position)
            default: if position < output.count { output[position] = byte }
            }
        }
        return output
    }

    @Test("mutated heads never trap, stay within the limits, and do not depend on the chunking")
    func mutatedHeads() {
        var generator = SeededGenerator(seed: 0x4854_5450)
        let limits = HTTPHeadLimits(maxHeadLength: 256, maxHeaderCount: 6)
        for iteration in 0..<4000 {
            let seed = bytes(Self.seeds[iteration % Self.seeds.count])
            let input = Self.mutate(seed, using: &generator)
            let whole = parseHeads(input, chunks: [input.count], limits: limits)
            let chunks = chunkings(of: input.count, maxFixed: 0, random: 1, seed: UInt64(iteration))[0]
            let pieces = parseHeads(input, chunks: chunks, limits: limits)
            #expect(whole == pieces, "input \(hex(input)) chunks \(chunks)")
            #expect(pieces.maxBuffered <= limits.maxHeadLength)
            if whole != pieces { break }
        }
    }

    @Test("generated heads never trap and whatever parses is well-formed")
    func generatedHeads() {
        var generator = SeededGenerator(seed: 0xF422)
        func pick(_ choices: [String]) -> [UInt8] {
            // Now and then a random byte instead of the piece the grammar wants.
            if Int.random(in: 0..<60, using: &generator) == 0 { return [UInt8.random(in: 0...255, using: &generator)] }
            return bytes(choices.randomElement(using: &generator)!)
        }
        var heads = 0
        for _ in 0..<3000 {
            var input = pick(["GET", "GET", "HEAD", "POST", "OPTIONS", "CONNECT", "G T"])
            input += pick([" ", " ", " ", " ", "  ", "\t"])
            input += pick(["/", "/", "/a?b=%20&c", "*", "http://h/x", "h:1", "/%", "/#"])
            input += pick([" ", " "])
            input += pick(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 "])
            input += pick(["\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n"])
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                input += pick([
                    "Host: a", "Host: [::1]:80", "X: y", "X: y", " folded", "Connection: close", "Content-Length: 3",
                ])
                input += pick(["\r\n", "\r\n", "\r\n", "\r\n", "\r"])
            }
            input += pick(["\r\n", "\r\n", "\r\n", ""])
            input += pick(["", "rest"])
            var parser = HTTPHeadParser(limits: HTTPHeadLimits(maxHeadLength: 128, maxHeaderCount: 4))
            let result = input.withUnsafeBytes { parser.parse($0) }
            #expect(parser.bufferedByteCount <= 128)
            guard case .head(let head, let consumed) = result else { continue }
            heads += 1
            #expect(consumed <= input.count)
            #expect(!head.method.name.isEmpty)
            #expect(head.headers.count <= 4)
            for field in head.headers {
                #expect(!field.name.isEmpty && !field.name.contains(":"))
                let forbidden: Set<UInt8> = [0x0D, 0x0A, 0x00]
                #expect(!field.value.utf8.contains(where: forbidden.contains))
            }
            #expect(head.path.hasPrefix("/") || head.path == "*" || head.path.isEmpty)
        }
        #expect(heads > 50)  // about 80 with this seed: enough to check what does parse
    }
}
