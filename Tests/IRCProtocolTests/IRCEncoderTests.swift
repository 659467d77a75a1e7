// IRCEncoderTests: the golden bytes of rendered lines, numerics, tags, sanitizing and truncation.

import Codec
import IRCProtocol
import Testing

@Suite struct IRCEncoderTests {
    static func encoded(
        tags: [(key: String, value: String)] = [], source: String? = nil, _ command: IRCCommand,
        _ params: [String] = [], alwaysTrailing: Bool = false, limits: IRCLimits = .standard
    ) -> String {
        renderedText { buffer in
            IRCEncoder.encode(
                tags: tags, source: source, command: command, params: params, alwaysTrailing: alwaysTrailing,
                limits: limits, into: &buffer)
        }
    }

    @Test("messages render with the last parameter trailing only when it needs to be")
    func rendersMessages() {
        #expect(
            Self.encoded(source: "alice!a@host", "PRIVMSG", ["#lobby", "hi there"])
                == ":alice!a@host PRIVMSG #lobby :hi there\r\n")
        #expect(
            Self.encoded(source: "alice!a@host", "PRIVMSG", ["#lobby", "hi"]) == ":alice!a@host PRIVMSG #lobby hi\r\n")
        #expect(Self.encoded("PRIVMSG", ["#lobby", "hi"], alwaysTrailing: true) == "PRIVMSG #lobby :hi\r\n")
        #expect(Self.encoded("TOPIC", ["#lobby", ""]) == "TOPIC #lobby :\r\n")
        #expect(Self.encoded("PRIVMSG", ["bob", ":)"]) == "PRIVMSG bob ::)\r\n")
        #expect(Self.encoded("PRIVMSG", ["bob", "a:b"]) == "PRIVMSG bob a:b\r\n")
        #expect(Self.encoded("QUIT") == "QUIT\r\n")
        #expect(Self.encoded(source: "irc.example", "PING", ["irc.example"]) == ":irc.example PING irc.example\r\n")
        #expect(Self.encoded("join", ["#a,#b", "k1,k2"]) == "JOIN #a,#b k1,k2\r\n")
        #expect(Self.encoded(source: "", "PONG", ["x"]) == "PONG x\r\n")
    }

    @Test("tags render first with their values escaped")
    func rendersTags() {
        #expect(
            Self.encoded(
                tags: [("time", "2024-01-01T00:00:00.000Z"), ("msgid", "abc")], source: "s", "PRIVMSG", ["#c", "x y"])
                == "@time=2024-01-01T00:00:00.000Z;msgid=abc :s PRIVMSG #c :x y\r\n")
        #expect(
            Self.encoded(tags: [("+x", "a;b c\\d\r\n")], "TAGMSG", ["#c"]) == "@+x=a\\:b\\sc\\\\d\\r\\n TAGMSG #c\r\n")
        #expect(Self.encoded(tags: [("k", "")], "FOO") == "@k FOO\r\n")
        #expect(
            Self.encoded(tags: [("a", "1"), ("b", ""), ("+example.com/c", "3")], "FOO")
                == "@a=1;b;+example.com/c=3 FOO\r\n")
    }

    @Test("numerics render as :server NNN target params, with * for a client without a nick")
    func rendersNumerics() {
        let welcome = renderedText { buffer in
            IRCEncoder.numeric(
                1, server: "irc.example", target: "alice", ["Welcome to the network alice"], into: &buffer)
        }
        #expect(welcome == ":irc.example 001 alice :Welcome to the network alice\r\n")
        let unknown = renderedText { buffer in
            IRCEncoder.numeric(421, server: "irc.example", target: "alice", ["FOO", "Unknown command"], into: &buffer)
        }
        #expect(unknown == ":irc.example 421 alice FOO :Unknown command\r\n")
        let unregistered = renderedText { buffer in
            IRCEncoder.numeric(451, server: "irc.example", target: "", ["You have not registered"], into: &buffer)
        }
        #expect(unregistered == ":irc.example 451 * :You have not registered\r\n")
        let names = renderedText { buffer in
            IRCEncoder.numeric(
                353, server: "s", target: "bob", ["=", "#c", "@bob"], alwaysTrailing: true, into: &buffer)
        }
        #expect(names == ":s 353 bob = #c :@bob\r\n")
        let bare = renderedText { buffer in IRCEncoder.numeric(5, server: "s", target: "bob", [], into: &buffer) }
        #expect(bare == ":s 005 bob\r\n")
    }

    @Test("a numeric started with a writer takes decimal and literal parameters without allocating")
    func rendersNumericWithWriter() {
        let line = renderedText { buffer in
            withBytes("irc.example") { server in
                withBytes("alice") { nick in
                    var line = IRCEncoder.numeric(333, server: server, target: nick, into: &buffer)
                    line.param("#lobby", into: &buffer)
                    line.param("bob", into: &buffer)
                    line.param(decimal: 1_700_000_000, into: &buffer)
                    line.finish(into: &buffer)
                }
            }
        }
        #expect(line == ":irc.example 333 alice #lobby bob 1700000000\r\n")
        let negative = renderedText { buffer in
            var line = IRCLineWriter(buffer)
            line.command("FOO", into: &buffer)
            line.param(decimal: -42, into: &buffer)
            line.param(decimal: 0, into: &buffer)
            line.lastParam("end", alwaysTrailing: true, into: &buffer)
            line.finish(into: &buffer)
        }
        #expect(negative == "FOO -42 0 :end\r\n")
    }

    @Test("lines append after what the buffer holds, and each is measured from its own start")
    func appendsLines() {
        let text = String(repeating: "x", count: 400)
        let both = renderedText { buffer in
            IRCEncoder.encode(command: "PRIVMSG", params: ["#a", text], into: &buffer)
            IRCEncoder.encode(command: "PRIVMSG", params: ["#b", text], into: &buffer)
        }
        #expect(both == "PRIVMSG #a \(text)\r\nPRIVMSG #b \(text)\r\n")
    }

    @Test("NUL, CR and LF in a text become spaces, so a text cannot start another line")
    func sanitizesText() throws {
        let line = Self.encoded("PRIVMSG", ["#c", "hi\r\nQUIT :bye\u{0}"])
        #expect(line == "PRIVMSG #c :hi  QUIT :bye \r\n")
        #expect(try parse(String(line.dropLast(2))).get().params.count == 2)
    }

    // Found by FuzzIRCParser: the colon was decided before NUL, CR and LF became spaces, so "a\rb"
    // went out as two parameters and "\r" alone as none.
    @Test(
        "a last parameter whose NUL, CR or LF become spaces is written trailing, so it stays one parameter",
        arguments: [("a\rb", "a b"), ("\r", " "), ("\u{0}x", " x"), ("x\n", "x ")])
    func sanitizedTextStaysOneParameter(_ text: String, _ received: String) throws {
        let line = Self.encoded("PRIVMSG", ["#c", text])
        #expect(line == "PRIVMSG #c :\(received)\r\n")
        // Bytes, not Characters: "\r\n" is one Character.
        #expect(try parse(Array(line.utf8.dropLast(2))).get().params == [Array("#c".utf8), Array(received.utf8)])
    }

    @Test("a middle parameter or source with a space, or an invalid tag key, is a programmer error")
    func invalidPartsTrap() async {
        await #expect(processExitsWith: .failure) {
            var buffer = EncodeBuffer()
            IRCEncoder.encode(command: "PRIVMSG", params: ["two words", "x"], into: &buffer)
        }
        await #expect(processExitsWith: .failure) {
            var buffer = EncodeBuffer()
            IRCEncoder.encode(command: "PRIVMSG", params: [":x", "y"], into: &buffer)
        }
        await #expect(processExitsWith: .failure) {
            var buffer = EncodeBuffer()
            IRCEncoder.encode(source: "a b", command: "PING", into: &buffer)
        }
        await #expect(processExitsWith: .failure) {
            var buffer = EncodeBuffer()
            IRCEncoder.encode(tags: [("bad key", "v")], command: "PING", into: &buffer)
        }
    }

    // MARK: Truncation

    @Test("a line longer than 512 bytes with CR LF is cut to 512, and says so")
    func truncatesLongLines() throws {
        let text = String(repeating: "a", count: 600)
        var buffer = EncodeBuffer()
        var line = IRCLineWriter(buffer)
        line.source(string: "alice!a@host", into: &buffer)
        line.command("PRIVMSG", into: &buffer)
        line.param("#lobby", into: &buffer)
        #expect(!line.isTruncated)
        line.lastParam(string: text, alwaysTrailing: true, into: &buffer)
        line.finish(into: &buffer)
        #expect(line.isTruncated)
        #expect(buffer.count == 512)
        let wire = String(decoding: buffer.bytes, as: UTF8.self)
        #expect(wire.hasPrefix(":alice!a@host PRIVMSG #lobby :aaaa"))
        #expect(wire.hasSuffix("a\r\n"))
        let parsed = try parse(String(wire.dropLast(2))).get()
        #expect(text.utf8.starts(with: parsed.params[1]))
    }

    @Test("a line of exactly 510 bytes is not cut")
    func keepsLinesAtTheLimit() {
        let head = ":s PRIVMSG #c :"
        let text = String(repeating: "b", count: 510 - head.utf8.count)
        let wire = Self.encoded(source: "s", "PRIVMSG", ["#c", text], alwaysTrailing: true)
        #expect(wire == head + text + "\r\n")
        #expect(wire.utf8.count == 512)
        #expect(Self.encoded(source: "s", "PRIVMSG", ["#c", text + "b"], alwaysTrailing: true) == head + text + "\r\n")
    }

    @Test("a cut never splits a UTF-8 character", arguments: 0..<8)
    func cutsOnCharacterBoundaries(_ padding: Int) throws {
        // The cut falls at every offset within or around the four-byte emoji as padding grows.
        let text = String(repeating: "a", count: 490 + padding) + String(repeating: "\u{1F603}", count: 10)
        let wire = rendered { buffer in IRCEncoder.encode(command: "PRIVMSG", params: ["#c", text], into: &buffer) }
        #expect(wire.count <= 512)
        #expect(wire.count >= 509)
        let decoded = try #require(String(validating: wire, as: UTF8.self))
        let parsed = try parse(String(decoded.dropLast(2))).get()
        #expect(text.utf8.starts(with: parsed.params[1]))
    }

    @Test("a cut CTCP action keeps its closing \\x01")
    func truncatesActions() throws {
        let text = String(repeating: "w", count: 600)
        let wire = renderedText { buffer in
            var line = IRCLineWriter(buffer)
            line.source(string: "alice!a@host", into: &buffer)
            line.command("PRIVMSG", into: &buffer)
            line.param("#lobby", into: &buffer)
            withBytes(text) { line.ctcp("ACTION", text: $0, into: &buffer) }
            line.finish(into: &buffer)
        }
        #expect(wire.utf8.count == 512)
        #expect(wire.hasSuffix("w\u{1}\r\n"))
        let parsed = try parse(String(wire.dropLast(2))).get()
        let action = parsed.params[1].withUnsafeBytes { CTCP.action(in: $0).map(Array.init) }
        #expect(action.map { text.utf8.starts(with: $0) } == true)
    }

    @Test("tags do not count against the 510 bytes")
    func tagsHaveTheirOwnBudget() {
        let text = String(repeating: "c", count: 400)
        let tag = String(repeating: "t", count: 3000)
        let wire = Self.encoded(tags: [("k", tag)], "PRIVMSG", ["#c", text])
        #expect(wire == "@k=\(tag) PRIVMSG #c \(text)\r\n")
    }

    @Test("a tag that would pass the tag limit is left off whole, and later ones that fit are kept")
    func dropsTagsThatDoNotFit() throws {
        var buffer = EncodeBuffer()
        var line = IRCLineWriter(buffer, limits: IRCLimits(maxTagsLength: 20))
        #expect(line.tag("a", string: "12345", into: &buffer))  // "@a=12345" is 8, 9 with the space
        #expect(!line.tag("b", string: "1234567890", into: &buffer))  // ";b=1234567890" would make 22
        #expect(line.isTruncated)
        #expect(line.tag("c", string: "123456", into: &buffer))  // ";c=123456" makes 17, 18 with the space
        #expect(!line.tag("dd", into: &buffer))  // ";dd" would make 21 with the space
        line.command("FOO", into: &buffer)
        line.finish(into: &buffer)
        let wire = String(decoding: buffer.bytes, as: UTF8.self)
        #expect(wire == "@a=12345;c=123456 FOO\r\n")
        #expect(
            wire.utf8.firstIndex(of: UInt8(ascii: " ")).map {
                wire.utf8.distance(from: wire.utf8.startIndex, to: $0) + 1
            } == 18)
    }

    @Test("the default tag limit is 8191 bytes including the @ and the space")
    func tagLimitEdge() throws {
        var buffer = EncodeBuffer()
        var line = IRCLineWriter(buffer)
        // "@k=" + value + " " = 8191.
        let value = String(repeating: "v", count: 8187)
        #expect(line.tag("k", string: value, into: &buffer))
        #expect(!line.tag("x", into: &buffer))
        line.command("FOO", into: &buffer)
        line.finish(into: &buffer)
        #expect(buffer.count == 8191 + 3 + 2)
        #expect(try parse(Array(buffer.array.dropLast(2))).get().tags.first?.value.count == 8187)
    }
}
