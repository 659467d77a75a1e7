// IRCTagsTests: tag keys, value escaping both ways, canonical re-escaping, and lookups.

import Codec
import IRCProtocol
import Testing

@Suite struct IRCTagsTests {
    static func unescaped(_ raw: String) -> String {
        renderedText { buffer in withBytes(raw) { IRCTag.unescape($0, into: &buffer) } }
    }

    static func escaped(_ value: [UInt8]) -> String {
        renderedText { buffer in value.withUnsafeBytes { IRCTag.escape($0, into: &buffer) } }
    }

    @Test(
        "escaped values unescape as message-tags specifies",
        arguments: [
            ("", ""),
            ("plain", "plain"),
            ("\\:", ";"),
            ("\\s", " "),
            ("\\\\", "\\"),
            ("\\r", "\r"),
            ("\\n", "\n"),
            ("a\\:b\\sc", "a;b c"),
            ("a\\", "a"),
            ("\\", ""),
            ("\\\\\\", "\\"),
            ("\\b", "b"),
            ("\\\\s", "\\s"),
            ("\\a\\b\\c", "abc"),
            ("x\\=y", "x=y"),
            ("\u{E9}\\s\u{1F603}", "\u{E9} \u{1F603}"),
        ])
    func unescapes(_ raw: String, _ value: String) {
        #expect(Self.unescaped(raw) == value)
    }

    @Test(
        "values escape for the wire, and NUL is left out",
        arguments: [
            ("", ""),
            ("plain", "plain"),
            (";", "\\:"),
            (" ", "\\s"),
            ("\\", "\\\\"),
            ("\r\n", "\\r\\n"),
            ("a; b\\c", "a\\:\\sb\\\\c"),
            ("x\u{0}y", "xy"),
            ("=:,", "=:,"),
        ])
    func escapes(_ value: String, _ raw: String) {
        #expect(Self.escaped(Array(value.utf8)) == raw)
        #expect(withBytes(value) { IRCTag.escapedLength($0) } == raw.utf8.count)
    }

    @Test("every byte value but NUL survives escaping and unescaping")
    func escapingRoundTrips() {
        var generator = SeededGenerator(seed: 0x7A65)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...40, using: &generator)
            let value = (0..<length).map { _ in UInt8.random(in: 1...255, using: &generator) }
            let wire = rendered { buffer in value.withUnsafeBytes { IRCTag.escape($0, into: &buffer) } }
            #expect(!wire.contains(ASCII.space) && !wire.contains(IRCByte.semicolon))
            #expect(!wire.contains(ASCII.carriageReturn) && !wire.contains(ASCII.newline))
            let back = rendered { buffer in wire.withUnsafeBytes { IRCTag.unescape($0, into: &buffer) } }
            #expect(back == value)
        }
    }

    @Test(
        "wire values re-escape canonically without an unescaped copy",
        arguments: [
            ("plain", "plain"),
            ("a\\:b\\sc\\\\d\\r\\n", "a\\:b\\sc\\\\d\\r\\n"),
            ("\\b\\ar", "bar"),
            ("trailing\\", "trailing"),
            ("\\", ""),
            ("\\\\\\", "\\\\"),
        ])
    func canonicalizes(_ raw: String, _ canonical: String) {
        let written = renderedText { buffer in withBytes(raw) { IRCTag.canonicalize($0, into: &buffer) } }
        #expect(written == canonical)
        #expect(withBytes(raw) { IRCTag.canonicalLength($0) } == canonical.utf8.count)
        // The same as unescaping and escaping again.
        #expect(Self.escaped(Array(Self.unescaped(raw).utf8)) == canonical)
    }

    @Test(
        "keys are [+][vendor/]name",
        arguments: [
            ("a", true), ("msgid", true), ("+typing", true), ("example.com/foo", true),
            ("+example.com/foo-bar", true), ("draft/reply", true), ("a-b-9", true), ("A1", true),
            ("", false), ("+", false), ("/a", false), ("a/", false), ("+/a", false), ("a/b/c", false),
            ("a_b", false), ("a.b", false), ("v/k.x", false), ("++a", false), ("a b", false), ("a=b", false),
            ("\u{E9}", false),
        ])
    func validatesKeys(_ key: String, _ valid: Bool) {
        #expect(withBytes(key) { IRCTag.isValidKey($0) } == valid)
    }

    @Test("a tag reports whether it is client-only, its vendor and its name")
    func splitsKeys() throws {
        try withBytes("@+example.com/typing=active;draft/reply=1;msgid=x FOO") { raw in
            let message = try #require(IRCParser.parse(raw).message)
            let tags = Array(message.tags)
            #expect(tags.count == 3)
            func text(_ bytes: UnsafeRawBufferPointer?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
            #expect(tags[0].isClientOnly && text(tags[0].vendor) == "example.com" && text(tags[0].name) == "typing")
            #expect(!tags[1].isClientOnly && text(tags[1].vendor) == "draft" && text(tags[1].name) == "reply")
            #expect(!tags[2].isClientOnly && tags[2].vendor == nil && text(tags[2].name) == "msgid")
        }
    }

    @Test("a lookup finds the last tag of that key, and nil for a missing one")
    func looksUpLastValue() throws {
        try withBytes("@a=1;b=x\\sy;a=2;c FOO") { raw in
            let tags = try #require(IRCParser.parse(raw).message).tags
            #expect(tags["a"]?.valueString == "2")
            #expect(tags["b"]?.valueString == "x y")
            #expect(String(decoding: tags["b"]!.rawValue, as: UTF8.self) == "x\\sy")
            #expect(tags["c"]?.value == [])
            #expect(tags["d"] == nil)
            #expect(tags["+a"] == nil)
            #expect(!tags.isEmpty)
        }
    }

    @Test("a line without tags, or with only malformed ones, has an empty tag view")
    func emptyTags() throws {
        for line in ["FOO", "@ FOO", "@;;=x FOO"] {
            try withBytes(line) { raw in
                let tags = try #require(IRCParser.parse(raw).message).tags
                #expect(tags.isEmpty, "\(line)")
                #expect(Array(tags).isEmpty)
            }
        }
    }
}
