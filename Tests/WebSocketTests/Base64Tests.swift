// Base64Tests: the RFC 4648 vectors both ways, the strict decoder's refusals, and round trips.

import Codec
import Testing
import WebSocket

@Suite struct Base64Tests {
    @Test(
        "the RFC 4648 section 10 vectors encode and decode",
        arguments: [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(bytes(plain)) == encoded)
        #expect(Base64.decode(encoded) == bytes(plain))
        let viaBuffer = bytes(plain).withUnsafeBytes { raw in renderedText { Base64.encode(raw, into: &$0) } }
        #expect(viaBuffer == encoded)
    }

    @Test("the whole alphabet decodes, + and / included")
    func alphabet() {
        let all = (0..<64).map { UInt8($0) }
        // 64 six-bit values packed: 48 bytes whose encoding is the alphabet in order.
        var packed: [UInt8] = []
        for group in stride(from: 0, to: 64, by: 4) {
            let word =
                UInt32(all[group]) << 18 | UInt32(all[group + 1]) << 12 | UInt32(all[group + 2]) << 6
                | UInt32(all[group + 3])
            packed += [UInt8(word >> 16), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        #expect(Base64.encode(packed) == alphabet)
        #expect(Base64.decode(alphabet) == packed)
    }

    @Test(
        "encodings that are not canonical are refused",
        arguments: [
            "Zg=", "Zg", "Z", "Zm9v YmFy", "Zm9vYmFy\n", " Zm9v", "Zh==", "Zm9=", "Zm8==", "=Zm8", "Zm9vY===", "====",
            "Zm_v", "Zm-v", "Zg==Zg==", "Z===", "Zm\u{E9}v",
        ])
    func refusesNonCanonical(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("random bytes of every length up to 100 round-trip")
    func roundTrips() {
        var generator = SeededGenerator(seed: 64)
        for length in 0...100 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(data)
            #expect(encoded.utf8.count == Base64.encodedLength(of: length))
            #expect(Base64.decode(encoded) == data)
        }
    }
}
