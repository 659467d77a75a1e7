// SHA1: the SHA-1 hash (RFC 3174, FIPS 180-4), written here for the WebSocket handshake.

/// An incremental SHA-1 hash.
///
/// SHA-1 is broken for collision resistance; the WebSocket handshake uses it only to prove that the
/// server read the client's key (RFC 6455 section 4.2.2), which needs no security from the hash.
/// Do not use it for anything that does.
///
/// Written for clarity over speed: a handshake hashes 60 bytes, one block and a padding block. The
/// state and the pending block live inline, so hashing allocates nothing.
///
/// ```swift
/// var sha1 = SHA1()
/// sha1.update("abc")
/// sha1.finish().description  // "a9993e364706816aba3e25717850c26c9cd0d89d"
/// ```
public struct SHA1: Sendable {
    private var h0: UInt32 = 0x6745_2301
    private var h1: UInt32 = 0xEFCD_AB89
    private var h2: UInt32 = 0x98BA_DCFE
    private var h3: UInt32 = 0x1032_5476
    private var h4: UInt32 = 0xC3D2_E1F0
    /// The bytes of the block being filled: 64 bytes in eight words.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var blockCount = 0
    /// Message length so far, in bytes.
    private var length: UInt64 = 0

    /// A fresh hash of no bytes.
    public init() {}

    /// The hash of `bytes`, in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var sha1 = SHA1()
        sha1.update(bytes)
        return sha1.finish()
    }

    /// The hash of the UTF-8 bytes of `text`, in one call.
    public static func hash(_ text: String) -> Digest {
        var sha1 = SHA1()
        sha1.update(text)
        return sha1.finish()
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        self.length &+= UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let take = min(64 - self.blockCount, bytes.count - offset)
            let start = self.blockCount
            withUnsafeMutableBytes(of: &self.block) { block in
                block.baseAddress!.advanced(by: start).copyMemory(
                    from: bytes.baseAddress!.advanced(by: offset), byteCount: take)
            }
            self.blockCount += take
            offset += take
            if self.blockCount == 64 {
                self.compressBlock()
                self.blockCount = 0
            }
        }
    }

    /// Adds the UTF-8 bytes of `text` to the message.
    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { self.update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// Pads the message and returns its digest. The hash is spent: start a new one for more.
    public consuming func finish() -> Digest {
        let bitLength = self.length &* 8
        // 0x80, zeros to 56 mod 64, then the length in bits, big-endian (RFC 3174 section 4).
        var padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            0, 0, 0, 0, 0, 0, 0, 0, 0
        )
        let padLength = self.blockCount < 56 ? 56 - self.blockCount : 120 - self.blockCount
        withUnsafeMutableBytes(of: &padding) { pad in
            pad[0] = 0x80
            pad.storeBytes(of: bitLength.bigEndian, toByteOffset: padLength, as: UInt64.self)
            self.update(UnsafeRawBufferPointer(rebasing: pad[0..<(padLength + 8)]))
        }
        assert(self.blockCount == 0, "SHA-1 padding must end on a block boundary")
        return Digest(self.h0, self.h1, self.h2, self.h3, self.h4)
    }

    /// One round of the compression function over the 64 bytes in ``block``.
    private mutating func compressBlock() {
        // The 80-word schedule is kept as a ring of 16 (FIPS 180-4 section 6.1.3, the alternate method).
        var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = self.block
        var a = self.h0
        var b = self.h1
        var c = self.h2
        var d = self.h3
        var e = self.h4
        withUnsafeMutableBytes(of: &w) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 { words[i] = UInt32(bigEndian: words[i]) }
            for t in 0..<80 {
                let s = t & 15
                if t >= 16 {
                    let mixed = words[(s + 13) & 15] ^ words[(s + 8) & 15] ^ words[(s + 2) & 15] ^ words[s]
                    words[s] = Self.rotate(mixed, 1)
                }
                let f: UInt32
                let k: UInt32
                switch t {
                case 0..<20:
                    f = (b & c) | (~b & d)
                    k = 0x5A82_7999
                case 20..<40:
                    f = b ^ c ^ d
                    k = 0x6ED9_EBA1
                case 40..<60:
                    f = (b & c) | (b & d) | (c & d)
                    k = 0x8F1B_BCDC
                default:
                    f = b ^ c ^ d
                    k = 0xCA62_C1D6
                }
                let temp = Self.rotate(a, 5) &+ f &+ e &+ k &+ words[s]
                e = d
                d = c
                c = Self.rotate(b, 30)
                b = a
                a = temp
            }
        }
        self.h0 &+= a
        self.h1 &+= b
        self.h2 &+= c
        self.h3 &+= d
        self.h4 &+= e
    }

    @inline(__always)
    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}

extension SHA1 {
    /// A SHA-1 digest: 20 bytes, stored inline.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        /// The digest length in bytes.
        public static let byteCount = 20

        private let words: (UInt32, UInt32, UInt32, UInt32, UInt32)

        init(_ h0: UInt32, _ h1: UInt32, _ h2: UInt32, _ h3: UInt32, _ h4: UInt32) {
            // Stored big-endian, so the raw bytes are the digest's bytes in order.
            self.words = (h0.bigEndian, h1.bigEndian, h2.bigEndian, h3.bigEndian, h4.bigEndian)
        }

        /// Calls `body` with the 20 bytes of the digest.
        public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
            try Swift.withUnsafeBytes(of: self.words) { try body($0) }
        }

        /// The 20 bytes of the digest.
        public var bytes: [UInt8] {
            self.withUnsafeBytes { Array($0) }
        }

        /// Lowercase hexadecimal, as RFC 3174 and `sha1sum` print it.
        public var description: String {
            let digits = Array("0123456789abcdef".utf8)
            var text: [UInt8] = []
            text.reserveCapacity(40)
            for byte in self.bytes {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 15)])
            }
            return String(decoding: text, as: UTF8.self)
        }

        public static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.bytes == rhs.bytes
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.bytes)
        }
    }
}
