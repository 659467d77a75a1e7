// NameTests: the name rule for nicks and rooms, and the folded key that compares names.

import Testing

@testable import ChatCore

@Suite struct NameTests {
    static let valid = [
        "a", "Z", "0", "_", "-", "bob", "Bob_the-2nd", String(repeating: "x", count: 32),
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
    ]
    static let invalid = [
        "", String(repeating: "x", count: 33), "a b", " bob", "bob!", "b.b", "caf\u{E9}", "tab\t", "a/b", "#room",
        "nul\u{0}",
    ]

    @Test("valid names are 1-32 of A-Z a-z 0-9 _ -", arguments: valid)
    func acceptsValidName(_ text: String) throws {
        let name = try #require(Name(text))
        #expect(name.string == text)
        #expect(name.bytes == Array(text.utf8))
        #expect(name.count == text.utf8.count)
    }

    @Test("anything else is rejected", arguments: invalid)
    func rejectsInvalidName(_ text: String) {
        #expect(Name(text) == nil)
    }

    @Test("keys ignore case")
    func keysIgnoreCase() throws {
        let lower = try #require(Name("guest-7_x"))
        let mixed = try #require(Name("GuEsT-7_X"))
        #expect(lower.key == mixed.key)
        #expect(lower != mixed)
        #expect(try #require(Name("guest7")).key != lower.key)
    }

    @Test("keys sort names case-insensitively, shorter prefixes first")
    func keysSortLexicographically() throws {
        let spelled = [
            "b", "Alpha", "alphabet", "ALP", "zeta", "_x", "-y", "9lives", String(repeating: "a", count: 32),
        ]
        let names = try spelled.map { try #require(Name($0)) }
        let sorted = names.sorted { $0.key < $1.key }.map(\.string)
        let expected = spelled.sorted { Array($0.lowercased().utf8).lexicographicallyPrecedes($1.lowercased().utf8) }
        #expect(sorted == expected)
    }

    @Test("names that differ only after byte 8, 16 or 24 get different keys", arguments: [8, 16, 24, 31])
    func keysUseEveryWord(_ position: Int) throws {
        var bytes = Array(repeating: UInt8(ascii: "a"), count: 32)
        let first = try #require(bytes.withUnsafeBytes { Name($0) })
        bytes[position] = UInt8(ascii: "b")
        let second = try #require(bytes.withUnsafeBytes { Name($0) })
        #expect(first.key != second.key)
        #expect(first.key < second.key)
    }
}
