// HTTPHeadParserTests: wire heads to parsed fields, refusals with their statuses, the limits at their
// edges, keep-alive, pipelining, and the same results in every chunking.

import Testing
import WebSocket

@Suite struct HTTPHeadParserTests {
    static let parsed: [(String, String)] = [
        (
            "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n",
            "GET / HTTP/1.1 [Host: example.org] path=/ keep-alive none"
        ),
        (
            "GET /chat?nick=alice&room=%23lobby HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: test\r\n\r\n",
            "GET /chat?nick=alice&room=%23lobby HTTP/1.1 [Host: localhost:8080] [User-Agent: test] path=/chat "
                + "query=nick=alice&room=%23lobby keep-alive none"
        ),
        ("GET /? HTTP/1.1\r\nHost: a\r\n\r\n", "GET /? HTTP/1.1 [Host: a] path=/ query= keep-alive none"),
        ("HEAD /healthz HTTP/1.0\r\n\r\n", "HEAD /healthz HTTP/1.0 path=/healthz close none"),
        (
            "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            "GET / HTTP/1.0 [Connection: Keep-Alive] path=/ keep-alive none"
        ),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "GET / HTTP/1.1 [Host: a] [Connection: close] path=/ close none"
        ),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, CLOSE\r\n\r\n",
            "GET / HTTP/1.1 [Host: a] [Connection: keep-alive, CLOSE] path=/ close none"
        ),
        // Field values lose the whitespace around them, and keep what is inside.
        (
            "GET / HTTP/1.1\r\nHost:a\r\nX-Spaced: \t one  two \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n",
            "GET / HTTP/1.1 [Host: a] [X-Spaced: one  two] [X-Empty: ] [X-Blank: ] path=/ keep-alive none"
        ),
        // Names keep their spelling; repeated names are all kept, in order.
        (
            "GET / HTTP/1.1\r\nhOsT: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
            "GET / HTTP/1.1 [hOsT: a] [X-A: 1] [x-a: 2] path=/ keep-alive none"
        ),
        // Leading empty lines are skipped (RFC 9112 section 2.2).
        ("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1 [Host: a] path=/ keep-alive none"),
        // Absolute-form, asterisk-form, authority-form.
        (
            "GET http://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n",
            "GET http://example.org HTTP/1.1 [Host: example.org] path=/ keep-alive none"
        ),
        (
            "GET HTTPS://example.org:8443/ws?x=1 HTTP/1.1\r\nHost: example.org:8443\r\n\r\n",
            "GET HTTPS://example.org:8443/ws?x=1 HTTP/1.1 [Host: example.org:8443] path=/ws query=x=1 keep-alive none"
        ),
        ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS * HTTP/1.1 [Host: a] path=* keep-alive none"),
        (
            "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n",
            "CONNECT example.org:443 HTTP/1.1 [Host: example.org:443] path= keep-alive none"
        ),
        // Any token is a method; the server decides what it answers.
        ("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", "BREW /pot HTTP/1.1 [Host: a] path=/pot keep-alive none"),
        ("get / HTTP/1.1\r\nHost: a\r\n\r\n", "get / HTTP/1.1 [Host: a] path=/ keep-alive none"),
        // HTTP/1.x for any x is read as 1.1 semantics.
        ("GET / HTTP/1.9\r\nHost: a\r\n\r\n", "GET / HTTP/1.9 [Host: a] path=/ keep-alive none"),
        // An empty Host is allowed (a target without an authority); IPv6 literals are hosts.
        ("GET / HTTP/1.1\r\nHost:\r\n\r\n", "GET / HTTP/1.1 [Host: ] path=/ keep-alive none"),
        ("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET / HTTP/1.1 [Host: [::1]:8080] path=/ keep-alive none"),
        // Bodies: the framing is reported, not read.
        (
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n",
            "POST /x HTTP/1.1 [Host: a] [Content-Length: 42] path=/x keep-alive length=42"
        ),
        (
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
            "POST /x HTTP/1.1 [Host: a] [Content-Length: 5, 5] [Content-Length: 5] path=/x keep-alive length=5"
        ),
        (
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            "POST /x HTTP/1.1 [Host: a] [Content-Length: 0] path=/x keep-alive none"
        ),
        (
            "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
            "POST /x HTTP/1.1 [Host: a] [Transfer-Encoding: Chunked] path=/x keep-alive chunked"
        ),
        // Bytes above 0x7F are allowed in values (obs-text), and tabs inside them.
        (
            "GET / HTTP/1.1\r\nHost: a\r\nX-Name: J\u{FC}rgen\tK.\r\n\r\n",
            "GET / HTTP/1.1 [Host: a] [X-Name: J\u{FC}rgen\tK.] path=/ keep-alive none"
        ),
        // Percent escapes are checked and kept.
        (
            "GET /a%2Fb%20c HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /a%2Fb%20c HTTP/1.1 [Host: a] path=/a%2Fb%20c keep-alive none"
        ),
    ]

    static let refused: [(String, HTTPHeadError)] = [
        ("GET / HTTP/1.1\nHost: a\n\n", .badLineEnding),
        ("GET / HTTP/1.1\r\nHost: a\n\r\n", .badLineEnding),
        ("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", .badLineEnding),
        ("GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", .badLineEnding),
        ("\n", .badLineEnding),
        ("GET /\u{0} HTTP/1.1\r\n", .invalidByte),
        ("GET\t/ HTTP/1.1\r\n", .invalidByte),
        ("GET /\u{E9} HTTP/1.1\r\n", .invalidByte),
        ("\u{16}\u{3}\u{1}", .invalidByte),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", .invalidByte),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: \u{7F}\r\n\r\n", .invalidByte),
        ("GET / HTTP/1.1\r\nHost: a\r\nX\u{0}: b\r\n\r\n", .invalidByte),
        ("GET /\r\nHost: a\r\n\r\n", .badRequestLine),
        ("GET\r\n\r\n", .badRequestLine),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        (" GET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequestLine),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .badVersion),
        ("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", .badVersion),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", .badVersion),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", .badVersion),
        ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", .badVersion),
        ("GET / HTTP/x.1\r\nHost: a\r\n\r\n", .badVersion),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", .unsupportedVersion),
        ("GET x HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET /a%2 HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", .badTarget),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .badHeaderField),
        ("GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n", .badHeaderField),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badHeaderField),
        ("GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n", .badHeaderField),
        ("GET / HTTP/1.1\r\nHost: a\r\nX(: z\r\n\r\n", .badHeaderField),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\tz\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\n\r\n", .badHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badHost),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .badHost),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .badHost),
        ("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", .badHost),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999999\r\n\r\n", .badContentLength),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .badTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", .badTransferEncoding),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badTransferEncoding),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            .badTransferEncoding
        ),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
    ]

    @Test("request heads parse into method, target, version, fields and their meaning", arguments: parsed)
    func parsesHeads(_ wire: String, _ expected: String) {
        #expect(parseHeads(wire) == HeadRun(heads: [expected], end: "needMore"))
    }

    @Test("every head parses the same in every chunking, with a trailing byte left over", arguments: parsed)
    func chunkingIndependent(_ wire: String, _ expected: String) {
        // The "G" after the head starts the next request: it must be left over, not swallowed.
        let input = bytes(wire + "G")
        for chunks in chunkings(of: input.count) {
            let run = parseHeads(input, chunks: chunks)
            #expect(run == HeadRun(heads: [expected], end: "needMore"), "chunks \(chunks)")
            #expect(run.maxBuffered <= input.count)
        }
    }

    @Test("malformed heads are refused with the reason and its status", arguments: refused)
    func refuses(_ wire: String, _ error: HTTPHeadError) {
        #expect(parseHeads(wire) == HeadRun(end: "error(\(error))"))
    }

    @Test("refusals are the same in every chunking", arguments: refused)
    func refusalsChunkingIndependent(_ wire: String, _ error: HTTPHeadError) {
        let input = bytes(wire)
        for chunks in chunkings(of: input.count, random: 5) {
            #expect(parseHeads(input, chunks: chunks) == HeadRun(end: "error(\(error))"), "chunks \(chunks)")
        }
    }

    static let statuses: [(HTTPHeadError, Int)] = [
        (.badLineEnding, 400), (.invalidByte, 400), (.badRequestLine, 400), (.badTarget, 400), (.badVersion, 400),
        (.unsupportedVersion, 505), (.badHeaderField, 400), (.obsoleteLineFolding, 400), (.badHost, 400),
        (.badContentLength, 400), (.badTransferEncoding, 400), (.unsupportedTransferCoding, 501), (.uriTooLong, 414),
        (.headTooLarge, 431), (.tooManyHeaders, 431),
    ]

    @Test("each refusal has the status a server answers with", arguments: statuses)
    func status(_ error: HTTPHeadError, _ code: Int) {
        #expect(error.status.code == code)
    }

    @Test("the status table covers every refusal, and the refusal table reaches every one")
    func tablesCoverEveryError() {
        #expect(Set(Self.statuses.map(\.0)) == Set(HTTPHeadError.allCases))
        let reached = Set(Self.refused.map(\.1)).union([.uriTooLong, .headTooLarge, .tooManyHeaders])
        #expect(reached == Set(HTTPHeadError.allCases))
    }

    @Test("bytes after a head are left for the caller, and the next head parses from them")
    func pipelining() {
        let wire = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /c"
        let input = bytes(wire)
        let expected = [
            "GET /a HTTP/1.1 [Host: h] path=/a keep-alive none",
            "GET /b HTTP/1.1 [Host: h] [Connection: close] path=/b close none",
        ]
        for chunks in chunkings(of: input.count) {
            let run = parseHeads(input, chunks: chunks)
            #expect(run.heads == expected, "chunks \(chunks)")
            #expect(run.end == "needMore")
        }
        var parser = HTTPHeadParser()
        let first = input.withUnsafeBytes { parser.parse($0) }
        guard case .head(_, let consumed) = first else {
            Issue.record("no head: \(first)")
            return
        }
        #expect(consumed == 28)
    }

    @Test("a head of exactly the limit is accepted and one byte more is 431")
    func headLengthLimit() {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "
        let padding = 8192 - prefix.utf8.count - 4
        let atLimit = prefix + String(repeating: "p", count: padding) + "\r\n\r\n"
        #expect(atLimit.utf8.count == 8192)
        #expect(parseHeads(atLimit).heads.count == 1)
        let over = prefix + String(repeating: "p", count: padding + 1) + "\r\n\r\n"
        #expect(parseHeads(over).end == "error(headTooLarge)")
        // Leading empty lines count against the limit too.
        #expect(parseHeads("\r\n" + atLimit).end == "error(headTooLarge)")
        #expect(parseHeads(atLimit, limits: HTTPHeadLimits(maxHeadLength: 100)).end == "error(headTooLarge)")
    }

    @Test("a request line over the limit is 414, and is refused before it ends")
    func requestLineLimit() {
        let longTarget = "GET /" + String(repeating: "x", count: 9000)
        #expect(parseHeads(longTarget).end == "error(uriTooLong)")
        #expect(HTTPHeadError.uriTooLong.status == .uriTooLong)
    }

    @Test("100 fields are accepted and 101 are 431")
    func headerCountLimit() {
        let fields = (1...99).map { "X-\($0): v\r\n" }.joined()
        let atLimit = "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n"
        #expect(parseHeads(atLimit).heads.count == 1)
        let over = "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "X-100: v\r\n\r\n"
        #expect(parseHeads(over).end == "error(tooManyHeaders)")
        let small = HTTPHeadLimits(maxHeadLength: 8192, maxHeaderCount: 1)
        #expect(parseHeads("GET / HTTP/1.1\r\nHost: a\r\n\r\n", limits: small).heads.count == 1)
        #expect(parseHeads("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n", limits: small).end == "error(tooManyHeaders)")
    }

    @Test("a head that never ends is refused at the limit, having held no more than the limit")
    func endlessHeadIsBounded() {
        var parser = HTTPHeadParser()
        let chunk = bytes("X-Slow: " + String(repeating: "z", count: 1000) + "\r\n")
        var result = bytes("GET / HTTP/1.1\r\n").withUnsafeBytes { parser.parse($0) }
        var rounds = 0
        while result == .needMore && rounds < 100 {
            result = chunk.withUnsafeBytes { parser.parse($0) }
            #expect(parser.bufferedByteCount <= 8192)
            rounds += 1
        }
        #expect(result == .failure(.headTooLarge))
        #expect(rounds == 9)
    }

    @Test("a failure is sticky until reset")
    func stickyFailure() {
        var parser = HTTPHeadParser()
        #expect(bytes("GET / HTTP/1.1\n").withUnsafeBytes { parser.parse($0) } == .failure(.badLineEnding))
        let good = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(good.withUnsafeBytes { parser.parse($0) } == .failure(.badLineEnding))
        parser.reset()
        #expect(good.withUnsafeBytes { parser.parse($0) }.head?.path == "/")
    }

    @Test("a partway head is reported, so a head timeout knows to run")
    func partway() {
        var parser = HTTPHeadParser()
        #expect(!parser.isPartway)
        _ = bytes("GET / HT").withUnsafeBytes { parser.parse($0) }
        #expect(parser.isPartway)
        #expect(parser.bufferedByteCount == 8)
        _ = bytes("TP/1.1\r\nHost: a\r\n\r\n").withUnsafeBytes { parser.parse($0) }
        #expect(!parser.isPartway)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("field names are looked up ignoring case, and list fields split into tokens")
    func fieldLookup() throws {
        let wire =
            "GET / HTTP/1.1\r\nHost: a\r\nUPGRADE: WebSocket\r\nconnection: keep-alive,  Upgrade \r\n"
            + "Sec-WebSocket-Protocol: a, b\r\nsec-websocket-protocol: c\r\n\r\n"
        var parser = HTTPHeadParser()
        let head = try #require(bytes(wire).withUnsafeBytes { parser.parse($0) }.head)
        #expect(head.headers["upgrade"] == "WebSocket")
        #expect(head.headers["Connection"] == "keep-alive,  Upgrade")
        #expect(head.headers.containsToken("upgrade", inField: "CONNECTION"))
        #expect(head.headers.containsToken("websocket", inField: "Upgrade"))
        #expect(!head.headers.containsToken("close", inField: "Connection"))
        #expect(head.headers.tokens(inField: "Sec-WebSocket-Protocol") == ["a", "b", "c"])
        #expect(head.headers.values(named: "SEC-WEBSOCKET-PROTOCOL") == ["a, b", "c"])
        #expect(head.headers.count(named: "sec-websocket-protocol") == 2)
        #expect(head.headers["Missing"] == nil)
        #expect(head.host == "a")
    }

    @Test(
        "keep-alive follows the version and the Connection field",
        arguments: [
            ("HTTP/1.1", nil, true), ("HTTP/1.1", "close", false), ("HTTP/1.1", "Close", false),
            ("HTTP/1.1", "keep-alive", true), ("HTTP/1.1", "upgrade", true), ("HTTP/1.1", "foo, close", false),
            ("HTTP/1.0", nil, false), ("HTTP/1.0", "keep-alive", true), ("HTTP/1.0", "Keep-Alive", true),
            ("HTTP/1.0", "keep-alive, close", false), ("HTTP/1.0", "closed", false),
        ] as [(String, String?, Bool)])
    func keepAlive(_ version: String, _ connection: String?, _ expected: Bool) throws {
        var wire = "GET / \(version)\r\nHost: a\r\n"
        if let connection { wire += "Connection: \(connection)\r\n" }
        var parser = HTTPHeadParser()
        let head = try #require(bytes(wire + "\r\n").withUnsafeBytes { parser.parse($0) }.head)
        #expect(head.keepAlive == expected)
    }
}
