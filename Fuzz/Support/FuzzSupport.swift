// FuzzSupport: what every libFuzzer target shares: a reader that turns the fuzzer's bytes into
// choices, an invariant check that always reports, and chunkings of one input.

import CLibFuzzer
import Glibc

/// Stops the run with `message` when `condition` is false.
///
/// Not `precondition`: the targets are built with -O, where a precondition's message is dropped,
/// and a finding should say which invariant broke.
@inline(__always)
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: " + message()) }
}

/// Reads choices off the front of the fuzzer's input; past its end every choice is 0.
///
/// Targets take a few bytes of settings (a limit, a split seed) this way and use the rest as the
/// bytes under test, so the fuzzer can steer both.
public struct FuzzReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { self.position >= self.bytes.count }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        guard self.position < self.bytes.count else { return 0 }
        defer { self.position += 1 }
        return self.bytes[self.position]
    }

    /// The next two bytes, little-endian.
    public mutating func uint16() -> UInt16 {
        UInt16(self.byte()) | UInt16(self.byte()) << 8
    }

    /// A value in `0..<bound` from the next byte (or two when `bound` is above 256).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return bound <= 256 ? Int(self.byte()) % bound : Int(self.uint16()) % bound
    }

    /// The next `count` bytes (fewer at the end).
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(self.position + max(count, 0), self.bytes.count)
        defer { self.position = end }
        return UnsafeRawBufferPointer(rebasing: self.bytes[self.position..<end])
    }

    /// Everything not read yet.
    public mutating func rest() -> UnsafeRawBufferPointer {
        self.take(self.bytes.count - self.position)
    }
}

/// xorshift64*: split points and other choices derived from a seed, so one input replays exactly.
public struct SplitMix: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// FNV-1a of `bytes`: a seed that changes whenever the input does.
public func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

/// Ways of cutting one input into reads, each a list of chunk lengths summing to `count`.
public enum Chunking {
    /// Whole; one byte at a time; two pieces at `cut`; random pieces (empty ones too) from `seed`.
    public static func variants(count: Int, cut: Int, seed: UInt64) -> [[Int]] {
        var variants: [[Int]] = [[count]]
        if count > 1 {
            variants.append(Array(repeating: 1, count: count))
            let at = cut % (count + 1)
            variants.append([at, count - at])
        }
        var rng = SplitMix(seed: seed)
        var random: [Int] = []
        var left = count
        while left > 0 {
            // Mostly short pieces, where the boundaries fall inside tokens, with empty reads mixed in.
            let piece = Int.random(in: 0...min(left, Int.random(in: 0..<4, using: &rng) == 0 ? left : 16), using: &rng)
            random.append(piece)
            left -= piece
        }
        variants.append(random)
        return variants
    }

    /// Calls `body` with each piece of `bytes` cut into `lengths`.
    public static func feed(
        _ bytes: UnsafeRawBufferPointer, _ lengths: [Int], _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        var start = 0
        for length in lengths {
            body(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
            start += length
        }
    }
}

/// Runs libFuzzer's loop over `testOneInput` with the process's arguments (libFuzzer's flags and
/// corpus directories), then exits with its status.
///
/// The targets call this from `main.swift`: SwiftPM links every executable with `main` aliased to
/// the module's entry point, so a target needs top-level code, and libFuzzer's own `main` never
/// runs. Each target still exports its function as `@_cdecl("LLVMFuzzerTestOneInput")`, because
/// -sanitize=fuzzer links libFuzzer's main object anyway and it refers to that symbol.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// The fuzzer's input as a buffer (libFuzzer may pass a null pointer for an empty input).
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
}

/// Byte scans and comparisons for the targets' checks, done by libc.
///
/// A loop over bytes in a target is instrumented like the code under test, with a comparison
/// callback for libFuzzer on every byte (so is `==` on two `[UInt8]`, specialised into the
/// target): the checks' own scans cost as much as the parsing they check. libc's `memchr` and
/// `memcmp` are not instrumented, and AddressSanitizer still checks the ranges they read.
public enum Bytes {
    /// The index of the first `byte` in `bytes` at or after `start`, if any.
    @inline(__always)
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    @inline(__always)
    public static func contains(_ byte: UInt8, in bytes: UnsafeRawBufferPointer) -> Bool {
        firstIndex(of: byte, in: bytes) != nil
    }

    @inline(__always)
    public static func contains(_ byte: UInt8, in bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { contains(byte, in: $0) }
    }

    @inline(__always)
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    @inline(__always)
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in equal(a, b) } }
    }

    @inline(__always)
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { equal(a, $0) }
    }
}
