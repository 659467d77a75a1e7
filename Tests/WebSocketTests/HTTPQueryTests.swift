// HTTPQueryTests: query strings to decoded pairs, the pairs dropped for bad escapes, and percent-decoding.

import Testing
import WebSocket

@Suite struct HTTPQueryTests {
    @Test(
        "query strings decode into name and value pairs",
        arguments: [
            ("nick=alice&room=lobby", [("nick", "alice"), ("room", "lobby")]),
            ("nick=J%C3%BCrgen&room=%23lobby", [("nick", "J\u{FC}rgen"), ("room", "#lobby")]),
            ("text=hello+world%21", [("text", "hello world!")]),
            ("a%2Bb=c%2bd", [("a+b", "c+d")]),
            ("flag&x=", [("flag", ""), ("x", "")]),
            ("a=1&&b=2&", [("a", "1"), ("b", "2")]),
            ("k=v=w", [("k", "v=w")]),
            ("=v", [("", "v")]),
            ("a=1&a=2", [("a", "1"), ("a", "2")]),
            ("", []),
            // Malformed escapes and bytes that are not UTF-8 drop their pair, not their neighbours.
            ("nick=%zz&room=ok", [("room", "ok")]),
            ("nick=%&room=ok", [("room", "ok")]),
            ("nick=%4&room=ok", [("room", "ok")]),
            ("nick=%FF&room=ok", [("room", "ok")]),
            ("nick=%C3&room=ok", [("room", "ok")]),
            ("%zz=1&b=2", [("b", "2")]),
        ] as [(String, [(String, String)])])
    func decodesPairs(_ query: String, _ pairs: [(String, String)]) {
        let parsed = HTTPQuery(query)
        #expect(parsed.map(\.name) == pairs.map(\.0))
        #expect(parsed.map(\.value) == pairs.map(\.1))
    }

    @Test("a name looks up its first value, compared exactly")
    func lookup() {
        let query = HTTPQuery("nick=alice&room=%23lobby&nick=bob&Room=x")
        #expect(query["nick"] == "alice")
        #expect(query["room"] == "#lobby")
        #expect(query["Room"] == "x")
        #expect(query["missing"] == nil)
    }

    @Test("a request head's query and decoded path come from its target")
    func fromHead() throws {
        var parser = HTTPHeadParser()
        let wire = bytes("GET /r%C3%A9sum%C3%A9?nick=NAME&room=ROOM HTTP/1.1\r\nHost: a\r\n\r\n")
        let head = try #require(wire.withUnsafeBytes { parser.parse($0) }.head)
        #expect(head.queryItems["nick"] == "NAME")
        #expect(head.queryItems["room"] == "ROOM")
        #expect(head.path == "/r%C3%A9sum%C3%A9")
        #expect(head.decodedPath == "/r\u{E9}sum\u{E9}")
        #expect(HTTPRequestHead(method: .get, target: "/a%FF").decodedPath == nil)
        #expect(HTTPRequestHead(method: .get, target: "/").queryItems.isEmpty)
    }

    @Test(
        "percent-decoding turns %XX into bytes and refuses broken escapes",
        arguments: [
            ("a%20b", false, [0x61, 0x20, 0x62]), ("%41%4a%4A", false, [0x41, 0x4A, 0x4A]),
            ("a+b", false, [0x61, 0x2B, 0x62]),
            ("a+b", true, [0x61, 0x20, 0x62]), ("%00", false, [0x00]), ("%", false, nil), ("%4", false, nil),
            ("%g0", false, nil), ("", false, []),
        ] as [(String, Bool, [UInt8]?)])
    func percentDecodes(_ text: String, _ plusAsSpace: Bool, _ expected: [UInt8]?) {
        #expect(HTTPQuery.percentDecode(text.utf8, plusAsSpace: plusAsSpace) == expected)
    }
}
