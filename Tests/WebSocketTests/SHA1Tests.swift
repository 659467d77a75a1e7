// SHA1Tests: the RFC 3174 test vectors, block-boundary lengths, and every way of feeding the bytes.

import Testing
import WebSocket

@Suite struct SHA1Tests {
    @Test(
        "the RFC 3174 test vectors hash to their digests",
        arguments: [
            ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
            ("a", 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
            (
                "0123456701234567012345670123456701234567012345670123456701234567", 10,
                "dea356a2cddd90c7a7ecedc5ebb563934f460452"
            ),
        ])
    func rfc3174Vectors(_ text: String, _ repeats: Int, _ digest: String) {
        var sha1 = SHA1()
        let block = bytes(text)
        for _ in 0..<repeats { sha1.update(block) }
        #expect(sha1.finish().description == digest)
    }

    @Test("the empty message and a pangram hash as sha1sum says")
    func knownStrings() {
        #expect(SHA1.hash("").description == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(
            SHA1.hash("The quick brown fox jumps over the lazy dog").description
                == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
    }

    @Test(
        "messages around the padding and block boundaries hash correctly",
        arguments: [
            (55, "ddf57317ef34bfee3b6df83d359098930eb278bc"),
            (56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"),
            (57, "11a02dcf95859677a62e75024067c22b165d890f"),
            (63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"),
            (64, "bede92be29c3874e1b54ddc77988d606fc857a8e"),
            (65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"),
            (119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"),
            (120, "82134b02fb3f702491be9bed581eeab59334acb2"),
            (127, "34d5e582029e9b9b85b2febe31da3db7cdabaaea"),
            (128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"),
            (129, "808aea332ce367541d37adae7f94e59c5c1a934e"),
        ])
    func boundaryLengths(_ length: Int, _ digest: String) {
        // Bytes (7i + 3) mod 256, as the Python script that made the table wrote them.
        let message = (0..<length).map { UInt8(($0 * 7 + 3) % 256) }
        #expect(message.withUnsafeBytes { SHA1.hash($0) }.description == digest)
    }

    @Test("feeding the bytes in any chunking gives the same digest")
    func chunkingIndependent() {
        let message = (0..<150).map { UInt8(($0 * 7 + 3) % 256) }
        let expected = message.withUnsafeBytes { SHA1.hash($0) }
        for chunks in chunkings(of: message.count) {
            var sha1 = SHA1()
            forEachChunk(message, chunks) { sha1.update($0) }
            #expect(sha1.finish() == expected, "chunks \(chunks)")
        }
    }

    @Test("a digest is 20 bytes in order")
    func digestBytes() {
        let digest = SHA1.hash("abc")
        #expect(digest.bytes.count == SHA1.Digest.byteCount)
        #expect(hex(digest.bytes) == digest.description)
        #expect(digest.bytes.first == 0xA9)
    }
}
