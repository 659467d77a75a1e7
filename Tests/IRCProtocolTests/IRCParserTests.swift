// IRCParserTests: wire lines to parsed fields, the refusals and their order, and the limits at their edges.

import Codec
import IRCProtocol
import Testing

@Suite struct IRCParserTests {
    @Test(
        "wire lines parse into tags, source, command and parameters",
        arguments: [
            // Commands, parameters and the trailing form.
            ("PRIVMSG #lobby :hello there", "PRIVMSG [#lobby] :[hello there]"),
            ("privmsg #lobby hi", "PRIVMSG [#lobby] [hi]"),
            ("PrivMsg #lobby hi", "PRIVMSG [#lobby] [hi]"),
            ("QUIT", "QUIT"),
            ("quit :", "QUIT :[]"),
            ("TOPIC #lobby :", "TOPIC [#lobby] :[]"),
            ("foo bar baz ::asdf", "FOO [bar] [baz] :[:asdf]"),
            ("foo bar baz :", "FOO [bar] [baz] :[]"),
            ("FOO a:b c:", "FOO [a:b] [c:]"),
            ("FOO :trailing  with   spaces  ", "FOO :[trailing  with   spaces  ]"),
            ("FOO : leading space", "FOO :[ leading space]"),
            ("FOO :::", "FOO :[::]"),
            ("CAP LS 302", "CAP [LS] [302]"),
            ("CAP REQ :multi-prefix echo-message", "CAP [REQ] :[multi-prefix echo-message]"),
            ("JOIN #a,#b key1,key2", "JOIN [#a,#b] [key1,key2]"),
            ("PING :irc.example", "PING :[irc.example]"),
            ("001 alice :Welcome to the network", "001 [alice] :[Welcome to the network]"),
            ("AUTHENTICATE +", "AUTHENTICATE [+]"),
            // Sources.
            (":alice!a@host PRIVMSG #lobby :hi", "<alice!a@host> PRIVMSG [#lobby] :[hi]"),
            (":src JOIN #chan", "<src> JOIN [#chan]"),
            (":src JOIN :#chan", "<src> JOIN :[#chan]"),
            (":src AWAY", "<src> AWAY"),
            (":src AWAY ", "<src> AWAY"),
            (
                ":irc.example 432  #momo :Erroneous Nickname: Illegal characters",
                "<irc.example> 432 [#momo] :[Erroneous Nickname: Illegal characters]"
            ),
            (":irc.example MODE #tckk +n ", "<irc.example> MODE [#tckk] [+n]"),
            (":services MODE #foo-bar +o foobar  ", "<services> MODE [#foo-bar] [+o] [foobar]"),
            (":cool\tguy foo bar baz", "<cool\tguy> FOO [bar] [baz]"),
            (
                ":coolguy!ag@net\u{3}5w\u{3}ork.admin PRIVMSG foo :bar baz",
                "<coolguy!ag@net\u{3}5w\u{3}ork.admin> PRIVMSG [foo] :[bar baz]"
            ),
            (": FOO bar", "FOO [bar]"),
            // Spaces between and around tokens.
            ("   FOO   bar    baz   ", "FOO [bar] [baz]"),
            (":src    PRIVMSG    #a    :x", "<src> PRIVMSG [#a] :[x]"),
            ("FOO bar \t", "FOO [bar] [\t]"),
            // Bytes that are not ASCII pass through untouched.
            ("PRIVMSG #ch :h\u{E9}llo \u{1F603}", "PRIVMSG [#ch] :[h\u{E9}llo \u{1F603}]"),
            ("PRIVMSG #\u{E9}t\u{E9} x", "PRIVMSG [#\u{E9}t\u{E9}] [x]"),
            // Tags.
            ("@a=b;c=32;k;rt=ql7 foo", "{a=b;c=32;k=;rt=ql7} FOO"),
            ("@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo", "{a=b\\and\nk;c=72 45;d=gh;764} FOO"),
            ("@c;h=;a=b :quux ab cd", "{c=;h=;a=b} <quux> AB [cd]"),
            ("@+example.com/typing=active TAGMSG #chan", "{+example.com/typing=active} TAGMSG [#chan]"),
            ("@draft/reply=abc;+typing=done :n!u@h TAGMSG #c", "{draft/reply=abc;+typing=done} <n!u@h> TAGMSG [#c]"),
            (
                "@time=2024-01-01T00:00:00.000Z :s PRIVMSG #c :x",
                "{time=2024-01-01T00:00:00.000Z} <s> PRIVMSG [#c] :[x]"
            ),
            ("@foo=\\\\\\\\\\:\\\\s\\s\\r\\n COMMAND", "{foo=\\\\;\\s \r\n} COMMAND"),
            ("@foo=\\ COMMAND", "{foo=} COMMAND"),
            ("@foo=\\b\\ar COMMAND", "{foo=bar} COMMAND"),
            ("@a=1;a=2 FOO", "{a=1;a=2} FOO"),
            ("@a=1;;=x;b_c=2;.x=1;v/k.x=1;+d=3 FOO", "{a=1;+d=3} FOO"),
            ("@ FOO", "FOO"),
            ("@a   FOO  x", "{a=} FOO [x]"),
            ("@k=v=w FOO", "{k=v=w} FOO"),
            // Fifteen parameters: after fourteen middles the rest is the last one.
            (
                "FOO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
                "FOO [1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12] [13] [14] [15]"
            ),
            (
                "FOO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16  17  ",
                "FOO [1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12] [13] [14] [15 16  17]"
            ),
            (
                "FOO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 16 ",
                "FOO [1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12] [13] [14] :[15 16 ]"
            ),
            (
                "FOO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 ::x",
                "FOO [1] [2] [3] [4] [5] [6] [7] [8] [9] [10] [11] [12] [13] [14] :[:x]"
            ),
        ])
    func parsesFields(_ line: String, _ expected: String) {
        #expect(describe(line) == expected)
    }

    @Test(
        "lines that are not messages are refused with the reason a server answers",
        arguments: [
            ("", IRCParseError.empty),
            ("   ", .empty),
            ("@a=b", .noCommand),
            ("@a=b ", .noCommand),
            ("@a=b     ", .noCommand),
            ("@", .noCommand),
            (":src", .noCommand),
            (":src    ", .noCommand),
            ("@t :src", .noCommand),
            ("@t :src ", .noCommand),
            ("PR1VMSG x", .badCommand),
            ("12 x", .badCommand),
            ("1234", .badCommand),
            ("12a", .badCommand),
            ("#lobby hi", .badCommand),
            (":src :FOO", .badCommand),
            ("PRIVMSG\u{1} x", .badCommand),
            ("P\u{E9}NG", .badCommand),
            ("ABCDEFGHIJKLMNOP", .badCommand),
            ("a\u{0}b", .forbiddenByte),
            ("PRIVMSG #a :x\ry", .forbiddenByte),
            ("PRIVMSG #a :x\ny", .forbiddenByte),
            ("@a=\u{0} FOO", .forbiddenByte),
            ("\r", .forbiddenByte),
        ])
    func refuses(_ line: String, _ error: IRCParseError) {
        #expect(describe(line) == "error(\(error))")
    }

    @Test("a command of fifteen letters is the longest accepted")
    func longestCommand() {
        #expect(describe("ABCDEFGHIJKLMNO x") == "ABCDEFGHIJKLMNO [x]")
        #expect(describe("abcdefghijklmnop x") == "error(badCommand)")
    }

    @Test(
        "the command word of a refused line is found for the 421 reply",
        arguments: [
            ("PR1VMSG x", "PR1VMSG"),
            ("@t=1 :src 12 x", "12"),
            ("  :src   #lobby hi", "#lobby"),
            ("@t :src", ""),
            ("", ""),
            ("@t", ""),
        ])
    func findsCommandWord(_ line: String, _ word: String) {
        let found = withBytes(line) { String(decoding: IRCParser.commandWord(in: $0), as: UTF8.self) }
        #expect(found == word)
    }

    @Test("the command is kept as spelled beside its upper-cased form")
    func keepsCommandSpelling() throws {
        try withBytes("@a :src PrivMsg #x :y") { raw in
            let message = try #require(IRCParser.parse(raw).message)
            #expect(String(decoding: message.commandBytes, as: UTF8.self) == "PrivMsg")
            #expect(message.command == "PRIVMSG")
            #expect(message.hasTags)
        }
    }

    // MARK: Limits

    @Test("510 bytes after the tags are accepted and 511 are too long")
    func lineLimitEdge() {
        let atLimit = "PING " + String(repeating: "x", count: 505)
        #expect(atLimit.utf8.count == 510)
        #expect(describe(atLimit) == "PING [\(String(repeating: "x", count: 505))]")
        #expect(describe(atLimit + "x") == "error(lineTooLong)")
        // The limit counts bytes after the tag section, whatever the tags' length.
        #expect(parse("@a=b " + atLimit).map(\.command) == .success("PING"))
        #expect(describe("@a=b " + atLimit + "x") == "error(lineTooLong)")
        // Spaces count: they are bytes of the line.
        #expect(describe(String(repeating: " ", count: 507) + "PING") == "error(lineTooLong)")
    }

    @Test("a tag section of 8191 bytes is accepted and 8192 is too long")
    func tagLimitEdge() throws {
        // "@k=" + value + " " is the section.
        let value = String(repeating: "v", count: 8191 - 4)
        let atLimit = "@k=\(value) FOO"
        #expect(
            atLimit.utf8.firstIndex(of: UInt8(ascii: "F"))
                == atLimit.utf8.index(atLimit.utf8.startIndex, offsetBy: 8191))
        let parsed = try parse(atLimit).get()
        #expect(parsed.tags == [Parsed.Tag(key: "k", value: Array(value.utf8))])
        #expect(describe("@k=\(value)v FOO") == "error(tagsTooLong)")
        // A tag section with no space after it is measured as if one followed.
        #expect(describe("@k=\(value)") == "error(noCommand)")
        #expect(describe("@k=\(value)v") == "error(tagsTooLong)")
    }

    @Test("a server's limits for clients allow 4096 bytes of tag section, as irctest checks")
    func clientTagLimit() {
        let atLimit = "@foo=bar;+baz=\(String(repeating: "a", count: 4081)) TAGMSG #test"
        #expect(Array(atLimit.utf8).firstIndex(of: UInt8(ascii: "T")) == 4096)
        #expect(parse(atLimit, limits: .fromClient).map(\.command) == .success("TAGMSG"))
        let over = "@foo=bar;+baz=\(String(repeating: "a", count: 4082)) TAGMSG #test"
        #expect(describe(over, limits: .fromClient) == "error(tagsTooLong)")
        #expect(parse(over).map(\.command) == .success("TAGMSG"))
        let monster = "@+clientOnlyTagExample=\(String(repeating: "a", count: 4096)) PRIVMSG #xyz hi!"
        #expect(describe(monster, limits: .fromClient) == "error(tagsTooLong)")
    }

    @Test("length checks come before the byte scan, and tags before the rest")
    func checkOrder() {
        let longRest = "PRIVMSG #a :" + String(repeating: "x", count: 600)
        let longTags = "@k=" + String(repeating: "v", count: 9000)
        #expect(describe(longTags + " " + longRest) == "error(tagsTooLong)")
        #expect(describe(longRest + "\u{0}") == "error(lineTooLong)")
        #expect(describe("@k=\u{0} PR1VMSG") == "error(forbiddenByte)")
        #expect(describe("\u{0}") == "error(forbiddenByte)")
    }

    @Test("a smaller parameter limit makes an earlier parameter take the rest of the line")
    func customParamLimit() {
        let limits = IRCLimits(maxParams: 3)
        #expect(describe("FOO a b c d  ", limits: limits) == "FOO [a] [b] [c d]")
        #expect(describe("FOO a b :c d  ", limits: limits) == "FOO [a] [b] :[c d  ]")
        #expect(describe("FOO a b", limits: limits) == "FOO [a] [b]")
        #expect(describe("FOO a b c", limits: IRCLimits(maxParams: 1)) == "FOO [a b c]")
    }

    @Test("smaller length limits are enforced at their edges")
    func customLengthLimits() {
        let limits = IRCLimits(maxTagsLength: 6, maxLineLength: 7)
        #expect(describe("@a=bc FOO bar", limits: limits) == "{a=bc} FOO [bar]")
        #expect(describe("@a=bcd FOO bar", limits: limits) == "error(tagsTooLong)")
        #expect(describe("@a=bc FOO barx", limits: limits) == "error(lineTooLong)")
    }

    @Test("invalid limits are programmer errors")
    func invalidLimitsTrap() async {
        await #expect(processExitsWith: .failure) { _ = IRCLimits(maxParams: 16) }
        await #expect(processExitsWith: .failure) { _ = IRCLimits(maxParams: 0) }
    }

    // MARK: Views

    @Test("parameters, source and tags are views into the line, not copies")
    func viewsPointIntoTheLine() throws {
        try withBytes("@a=b :src CMD one :two three") { raw in
            let message = try #require(IRCParser.parse(raw).message)
            let base = raw.baseAddress!
            #expect(message.params[0].baseAddress == base + 14)
            #expect(message.params[1].baseAddress == base + 19)
            #expect(message.source?.baseAddress == base + 6)
            #expect(message.tags.raw.baseAddress == base + 1)
            #expect(message.params.count == 2)
            #expect(Array(message.params.indices) == [0, 1])
        }
    }

    @Test("a message is an inline value: its parameters need no heap")
    func messageIsInline() {
        #expect(MemoryLayout<IRCMessage>.size <= 200)
        #expect(MemoryLayout<IRCCommand>.size == 16)
    }

    @Test("reading a parameter past the end is a programmer error")
    func paramIndexTraps() async {
        await #expect(processExitsWith: .failure) {
            let bytes = Array("FOO a".utf8)
            bytes.withUnsafeBytes { raw in
                _ = IRCParser.parse(raw).message!.params[1]
            }
        }
    }
}
