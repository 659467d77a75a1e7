// NickGrammarTests: nicks follow IRC's grammar, room names the narrower one, both folded ASCII-only.

import Testing

@testable import ChatCore

@Suite struct NickGrammarTests {
    static let validNicks = [
        "a", "Z", "_", "bob", "[away]", "{x}", "a|b", "^_^", "`tick", "back\\slash", "x-1", "Bob_the-2nd",
        String(repeating: "n", count: 32),
    ]
    static let invalidNicks = [
        "", "0day", "9", "-dash", "a b", "bob!", "b.b", "b@d", "#room", "caf\u{E9}", "x~", "a*", "nul\u{0}",
        String(repeating: "n", count: 33),
    ]

    @Test("IRC-style nicks are valid nicks", arguments: validNicks)
    func acceptsNick(_ text: String) throws {
        let name = try #require(Name(text, .nick))
        #expect(name.string == text)
    }

    @Test("anything else is not a nick", arguments: invalidNicks)
    func rejectsNick(_ text: String) {
        #expect(Name(text, .nick) == nil)
    }

    @Test("room names keep the narrow rule: brackets and friends are not room names")
    func roomsStayNarrow() {
        for text in ["[away]", "{x}", "a|b", "^_^"] { #expect(Name(text) == nil, "\(text)") }
        for text in ["0day", "-dash", "9"] { #expect(Name(text) != nil, "\(text) is a room name") }
    }

    @Test("only A-Z fold: [ and { are different nicks, Alice and alice the same")
    func asciiCaseMapping() throws {
        #expect(try #require(Name("[a]", .nick)).key != (try #require(Name("{a}", .nick))).key)
        #expect(try #require(Name("Alice", .nick)).key == (try #require(Name("alice", .nick))).key)
    }
}
