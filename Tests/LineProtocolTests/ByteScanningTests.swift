// ByteScanningTests: the NUL scan and ASCII folding the text codecs share.

import Codec
import Testing

@Suite struct ASCIITests {
    @Test("a NUL is found at every position of lines up to 40 bytes", arguments: 1...40)
    func findsNULAnywhere(_ length: Int) {
        for position in 0..<length {
            var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
            bytes[position] = 0
            #expect(bytes.withUnsafeBytes { $0.containsNUL() }, "length \(length), NUL at \(position)")
        }
    }

    @Test("bytes without NUL, including 0x80 and 0xFF, are clean", arguments: 0...40)
    func noFalsePositives(_ length: Int) {
        let bytes = (0..<length).map { UInt8([0x01, 0x80, 0xFF, 0x7F, 0x20][$0 % 5]) }
        #expect(!bytes.withUnsafeBytes { $0.containsNUL() })
    }

    @Test("lowercasing touches only A-Z")
    func lowercasesOnlyLetters() {
        for byte in UInt8.min...UInt8.max {
            let expected = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
            #expect(ASCII.lowercased(byte) == expected)
        }
    }
}
