// CTCPTests: CTCP messages found in texts, and the comma lists of JOIN and PRIVMSG targets.

import Codec
import IRCProtocol
import Testing

@Suite struct CTCPTests {
    static func describe(_ text: String) -> String {
        withBytes(text) { raw in
            guard let ctcp = CTCP(raw) else { return "none" }
            return "\(String(decoding: ctcp.command, as: UTF8.self))[\(String(decoding: ctcp.params, as: UTF8.self))]"
        }
    }

    @Test(
        "CTCP messages are found in texts, with or without the closing \\x01",
        arguments: [
            ("\u{1}ACTION waves\u{1}", "ACTION[waves]"),
            ("\u{1}ACTION waves", "ACTION[waves]"),
            ("\u{1}ACTION waves hello\u{1}", "ACTION[waves hello]"),
            ("\u{1}ACTION\u{1}", "ACTION[]"),
            ("\u{1}ACTION \u{1}", "ACTION[]"),
            ("\u{1}ACTION  two\u{1}", "ACTION[ two]"),
            ("\u{1}VERSION\u{1}", "VERSION[]"),
            ("\u{1}PING 12345\u{1}", "PING[12345]"),
            ("\u{1}ACTION a\u{1}after", "ACTION[a]"),
            ("hello", "none"),
            ("", "none"),
            ("\u{1}", "none"),
            ("\u{1}\u{1}", "none"),
            ("\u{1} ACTION\u{1}", "none"),
            ("x\u{1}ACTION y\u{1}", "none"),
        ])
    func findsCTCP(_ text: String, _ expected: String) {
        #expect(Self.describe(text) == expected)
    }

    @Test("an ACTION is recognised in any case, and its text is returned")
    func recognisesActions() {
        #expect(withBytes("\u{1}action waves\u{1}") { CTCP($0)?.isAction } == true)
        #expect(withBytes("\u{1}VERSION\u{1}") { CTCP($0)?.isAction } == false)
        #expect(
            withBytes("\u{1}ACTION waves\u{1}") { CTCP.action(in: $0).map { String(decoding: $0, as: UTF8.self) } }
                == "waves")
        #expect(withBytes("\u{1}VERSION\u{1}") { CTCP.action(in: $0) } == nil)
        #expect(withBytes("waves") { CTCP.action(in: $0) } == nil)
    }

    @Test("an ACTION renders as the last parameter, and parses back")
    func rendersActions() throws {
        let line = renderedText { buffer in
            var line = IRCLineWriter(buffer)
            line.source(string: "alice!a@host", into: &buffer)
            line.command("PRIVMSG", into: &buffer)
            line.param("#lobby", into: &buffer)
            withBytes("waves hello") { line.ctcp("ACTION", text: $0, into: &buffer) }
            line.finish(into: &buffer)
        }
        #expect(line == ":alice!a@host PRIVMSG #lobby :\u{1}ACTION waves hello\u{1}\r\n")
        let bare = renderedText { buffer in
            var line = IRCLineWriter(buffer)
            line.command("PRIVMSG", into: &buffer)
            line.param("bob", into: &buffer)
            line.ctcp("VERSION", text: UnsafeRawBufferPointer(start: nil, count: 0), into: &buffer)
            line.finish(into: &buffer)
        }
        #expect(bare == "PRIVMSG bob :\u{1}VERSION\u{1}\r\n")
        let parsed = try parse(String(line.dropLast(2))).get()
        #expect(Self.describe(String(decoding: parsed.params[1], as: UTF8.self)) == "ACTION[waves hello]")
    }

    @Test("a \\x01 or line break inside an action's text becomes a space")
    func sanitizesActionText() {
        let line = renderedText { buffer in
            var line = IRCLineWriter(buffer)
            line.command("PRIVMSG", into: &buffer)
            line.param("#c", into: &buffer)
            withBytes("a\u{1}b\rc\nd") { line.ctcp("ACTION", text: $0, into: &buffer) }
            line.finish(into: &buffer)
        }
        #expect(line == "PRIVMSG #c :\u{1}ACTION a b c d\u{1}\r\n")
    }
}

@Suite struct IRCCommaListTests {
    static func items(_ text: String, omittingEmpty: Bool = false) -> [String] {
        withBytes(text) { raw in
            IRCCommaList(raw, omittingEmpty: omittingEmpty).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test(
        "comma lists split into items, keeping empty ones in place",
        arguments: [
            ("", [String]()), ("#a", ["#a"]), ("#a,#b", ["#a", "#b"]), ("#a,,#b", ["#a", "", "#b"]),
            (",", ["", ""]), ("a,", ["a", ""]), (",a", ["", "a"]), ("k1,,k3", ["k1", "", "k3"]),
        ])
    func splits(_ text: String, _ expected: [String]) {
        #expect(Self.items(text) == expected)
    }

    @Test(
        "target lists can drop empty items",
        arguments: [
            ("", [String]()), ("#a,,#b", ["#a", "#b"]), (",", []), (",a,", ["a"]), ("bob,alice", ["bob", "alice"]),
        ])
    func dropsEmpty(_ text: String, _ expected: [String]) {
        #expect(Self.items(text, omittingEmpty: true) == expected)
    }

    @Test("JOIN channels pair with their keys by position")
    func pairsChannelsWithKeys() throws {
        let message = try parse("JOIN #a,#b,#c k1,,k3").get()
        let pairs = message.params[0].withUnsafeBytes { channels in
            message.params[1].withUnsafeBytes { keys in
                zip(IRCCommaList(channels), IRCCommaList(keys)).map {
                    "\(String(decoding: $0, as: UTF8.self))=\(String(decoding: $1, as: UTF8.self))"
                }
            }
        }
        #expect(pairs == ["#a=k1", "#b=", "#c=k3"])
    }
}
