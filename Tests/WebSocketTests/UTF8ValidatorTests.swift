// UTF8ValidatorTests: well-formed and ill-formed sequences (the Autobahn 6.x and Markus Kuhn cases),
// the same answer at every split, refusal at the first impossible byte, and the standard library
// as an oracle for random bytes.

import Testing
import WebSocket

@Suite struct UTF8ValidatorTests {
    static let valid: [String] = [
        "", "68 65 6c 6c 6f", "ce ba e1 bd b9 cf 83 ce bc ce b5",  // κόσμε
        "c2 80", "df bf", "e0 a0 80", "ef bf bf", "f0 90 80 80", "f4 8f bf bf", "ed 9f bf", "ee 80 80", "ef bf bd",
        "00", "7f", "f0 9f 98 83 20 f0 9f 91 8d",
    ]

    static let invalid: [String] = [
        "80", "bf", "80 bf 80", "c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "ed a0 80", "ed bf bf", "ed a0 80 ed b0 80",
        "f0 80 80 80", "f0 8f bf bf", "f4 90 80 80", "f5 80 80 80", "f8 88 80 80 80", "fc 84 80 80 80 80", "fe", "ff",
        "c2 41", "e1 80 41", "f1 80 80 41", "ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64",
    ]

    /// Sequences that are a valid start but stop partway through a character.
    static let unfinished: [String] = ["c2", "e1 80", "f0 90 80", "ce ba e1 bd", "f4 8f bf"]

    static func input(_ spec: String) -> [UInt8] {
        unhex(spec)
    }

    /// Feeds `input` in `chunks`; returns (no refusal, complete at the end).
    static func run(_ input: [UInt8], _ chunks: [Int]) -> (Bool, Bool) {
        var validator = UTF8Validator()
        var ok = true
        forEachChunk(input, chunks) { if !validator.validate($0) { ok = false } }
        return (ok, validator.isComplete)
    }

    @Test("well-formed sequences pass in every chunking", arguments: valid)
    func acceptsValid(_ spec: String) {
        let input = Self.input(spec)
        for chunks in chunkings(of: input.count) {
            let (ok, complete) = Self.run(input, chunks)
            #expect(ok && complete, "chunks \(chunks)")
        }
        #expect(input.withUnsafeBytes { UTF8Validator.isValid($0) })
    }

    @Test("ill-formed sequences are refused in every chunking", arguments: invalid)
    func refusesInvalid(_ spec: String) {
        let input = Self.input(spec)
        for chunks in chunkings(of: input.count) {
            #expect(Self.run(input, chunks).0 == false, "chunks \(chunks)")
        }
        #expect(input.withUnsafeBytes { UTF8Validator.isValid($0) } == false)
    }

    @Test("a character cut off at the end is no refusal but is not complete", arguments: unfinished)
    func unfinishedIsIncomplete(_ spec: String) {
        let input = Self.input(spec)
        for chunks in chunkings(of: input.count) {
            let (ok, complete) = Self.run(input, chunks)
            #expect(ok && !complete, "chunks \(chunks)")
        }
    }

    @Test("the refusal comes at the first byte that rules UTF-8 out, and stays")
    func failsFast() {
        let prefix = unhex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed")
        var validator = UTF8Validator()
        #expect(prefix.withUnsafeBytes { validator.validate($0) })
        #expect([UInt8(0xA0)].withUnsafeBytes { validator.validate($0) } == false)
        #expect(validator.isRefused)
        #expect(bytes("plain ascii").withUnsafeBytes { validator.validate($0) } == false)
        validator.reset()
        #expect(bytes("plain ascii").withUnsafeBytes { validator.validate($0) })
        #expect(validator.isComplete)
    }

    @Test("long ASCII runs with a bad byte at any position are refused there")
    func asciiFastPath() {
        for position in 0..<40 {
            var input = [UInt8](repeating: UInt8(ascii: "a"), count: 40)
            input[position] = 0xFF
            #expect(input.withUnsafeBytes { UTF8Validator.isValid($0) } == false, "bad byte at \(position)")
            input[position] = 0x7F
            #expect(input.withUnsafeBytes { UTF8Validator.isValid($0) }, "DEL at \(position)")
        }
    }

    @Test("random bytes get the standard library's verdict, whole and split")
    func agreesWithStandardLibrary() {
        var generator = SeededGenerator(seed: 0x07F8)
        // Bytes drawn mostly from the ranges UTF-8 uses, so that valid strings come up often.
        let pools: [ClosedRange<UInt8>] = [
            0x00...0x7F, 0x80...0xBF, 0xC2...0xDF, 0xE0...0xEF, 0xF0...0xF4, 0x80...0xFF,
        ]
        for _ in 0..<5000 {
            let length = Int.random(in: 0...12, using: &generator)
            let input = (0..<length).map { _ in
                UInt8.random(in: pools.randomElement(using: &generator)!, using: &generator)
            }
            let expected = String(validating: input, as: UTF8.self) != nil
            #expect(input.withUnsafeBytes { UTF8Validator.isValid($0) } == expected, "\(hex(input))")
            let split = Int.random(in: 0...length, using: &generator)
            let (ok, complete) = Self.run(input, [split, length - split])
            #expect((ok && complete) == expected, "\(hex(input)) split at \(split)")
        }
    }
}
