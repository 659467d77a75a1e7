// LineBufferTests: the scratch buffer and the wire spelling of every reply.

import Testing

@testable import ChatCore

@Suite struct LineBufferTests {
    /// Encodes `reply` and returns the line as a string, newline included.
    static func encoded(_ reply: Reply) -> String {
        var buffer = LineBuffer(capacity: 8)
        buffer.encode(reply)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    @Test("appends grow the buffer and keep earlier bytes")
    func growsAndKeepsContents() {
        var buffer = LineBuffer(capacity: 1)
        var expected: [UInt8] = []
        for i in 0..<1000 {
            let byte = UInt8(truncatingIfNeeded: i)
            buffer.append(byte: byte)
            expected.append(byte)
        }
        buffer.append(Array(repeating: 7, count: 5000))
        expected += Array(repeating: 7, count: 5000)
        #expect(buffer.array == expected)
        buffer.removeAll()
        #expect(buffer.count == 0)
        buffer.append("x")
        #expect(buffer.array == [UInt8(ascii: "x")])
    }

    @Test("decimals are written without String", arguments: [0, 7, 10, 99, 1_234_567_890, Int.max, -1, -42, Int.min])
    func writesDecimals(_ value: Int) {
        var buffer = LineBuffer(capacity: 2)
        buffer.append(decimal: value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }

    @Test("every reply has its wire spelling")
    func spellsReplies() throws {
        let bob = try #require(Name("bob"))
        let lobby = try #require(Name("lobby"))
        let text = Array("hi there".utf8)
        text.withUnsafeBytes { text in
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            #expect(Self.encoded(.message(room: lobby, nick: bob, text: text)) == "MSG lobby bob hi there\n")
            #expect(Self.encoded(.action(room: lobby, nick: bob, text: text)) == "ACTION lobby bob hi there\n")
            #expect(Self.encoded(.privateMessage(from: bob, text: text)) == "PRIV bob hi there\n")
            #expect(Self.encoded(.welcome(nick: bob, room: lobby)) == "WELCOME bob lobby\n")
            #expect(Self.encoded(.join(room: lobby, nick: bob)) == "JOIN lobby bob\n")
            #expect(Self.encoded(.part(room: lobby, nick: bob, reason: [])) == "PART lobby bob\n")
            #expect(Self.encoded(.part(room: lobby, nick: bob, reason: Array("gone".utf8))) == "PART lobby bob gone\n")
            #expect(Self.encoded(.nick(old: bob, new: lobby)) == "NICK bob lobby\n")
            #expect(Self.encoded(.pong(token: empty)) == "PONG\n")
            #expect(Self.encoded(.pong(token: text)) == "PONG hi there\n")
            #expect(Self.encoded(.error(.noSuchNick, "nobody")) == "ERR no-such-nick nobody\n")
            #expect(Self.encoded(.bye(reason: empty)) == "BYE\n")
            #expect(Self.encoded(.bye(reason: text)) == "BYE hi there\n")
            #expect(Self.encoded(.room(name: lobby, members: 12)) == "ROOM lobby 12\n")
            #expect(Self.encoded(.user(nick: bob)) == "USER bob\n")
            #expect(Self.encoded(.stat(name: "bytes_in", value: 4096)) == "STAT bytes_in 4096\n")
            #expect(Self.encoded(.info("some help")) == "INFO some help\n")
            #expect(Self.encoded(.end("who")) == "END who\n")
        }
    }

    @Test("the message path's encoder spells MSG and ACTION exactly like Reply does")
    func chatEncoderMatchesReply() throws {
        let room = try #require(Name(String(repeating: "r", count: 32)))
        let nick = try #require(Name("Nick-1"))
        let text = Array(repeating: UInt8(ascii: "t"), count: 3000)
        text.withUnsafeBytes { text in
            var direct = LineBuffer(capacity: 4)
            var viaReply = LineBuffer(capacity: 4)
            direct.encodeChat("MSG", room: room, nick: nick, text: text)
            viaReply.encode(.message(room: room, nick: nick, text: text))
            #expect(direct.array == viaReply.array)
            direct.encodeChat("ACTION", room: room, nick: nick, text: text)
            viaReply.encode(.action(room: room, nick: nick, text: text))
            #expect(direct.array == viaReply.array)
            #expect(direct.count == "ACTION ".utf8.count + 32 + 1 + 6 + 1 + 3000 + 1)
        }
    }

    @Test("error codes map to their wire words", arguments: ErrorCode.allCases)
    func errorWords(_ code: ErrorCode) {
        let line = ChatState.errorLine(code, "why")
        #expect(String(decoding: line, as: UTF8.self) == "ERR \(code.rawValue) why\n")
    }

    @Test("the glue's own lines are encoded with their newline")
    func glueLines() {
        let full = ChatState.errorLine(.serverFull, "too many connections")
        #expect(full == Array("ERR server-full too many connections\n".utf8))
        #expect(ChatState.byeLine(nil) == Array("BYE\n".utf8))
        #expect(ChatState.byeLine("shutting down") == Array("BYE shutting down\n".utf8))
    }
}
