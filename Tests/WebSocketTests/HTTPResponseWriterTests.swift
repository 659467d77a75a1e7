// HTTPResponseWriterTests: golden bytes for response heads, whole responses, refusals, and dates.

import Testing
import WebSocket

@Suite struct HTTPResponseWriterTests {
    @Test("a whole response has its status line, fields, length and body")
    func wholeResponse() {
        let wire = renderedText {
            HTTPResponseWriter.writeResponse(
                status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8"], body: "ok\n", keepAlive: true,
                into: &$0)
        }
        #expect(wire == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\nok\n")
    }

    @Test("a response that ends the connection says so")
    func closing() {
        let wire = renderedText {
            HTTPResponseWriter.writeResponse(status: .notFound, body: "", keepAlive: false, into: &$0)
        }
        #expect(wire == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test("an HTTP/1.0 client kept alive is told keep-alive")
    func keepAliveForHTTP10() {
        let wire = renderedText {
            HTTPResponseWriter.writeResponse(
                status: .ok, body: "x", keepAlive: true, requestVersion: .http1_0, into: &$0)
        }
        #expect(wire == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx")
    }

    @Test("the answer to HEAD has the length of the body it leaves out")
    func headResponse() {
        let wire = renderedText {
            HTTPResponseWriter.writeResponse(status: .ok, body: "hello", keepAlive: true, includeBody: false, into: &$0)
        }
        #expect(wire == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    @Test("a bare head has only the status line and the fields given")
    func bareHead() {
        let wire = renderedText {
            HTTPResponseWriter.writeHead(status: .switchingProtocols, headers: ["Upgrade": "websocket"], into: &$0)
        }
        #expect(wire == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
    }

    @Test("a refusal is a one-line text body and closes the connection")
    func refusal() {
        let wire = renderedText {
            HTTPResponseWriter.writeError(HTTPHeadError.tooManyHeaders.status, into: &$0)
        }
        #expect(
            wire == "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 36\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large\n")
        let methodNotAllowed = renderedText {
            HTTPResponseWriter.writeError(.methodNotAllowed, headers: ["Allow": "GET, HEAD"], into: &$0)
        }
        #expect(methodNotAllowed.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"))
    }

    @Test("a body of bytes is written as given")
    func binaryBody() {
        let body: [UInt8] = [0, 1, 2, 0xFF]
        let wire = body.withUnsafeBytes { raw in
            rendered { HTTPResponseWriter.writeResponse(status: .ok, body: raw, keepAlive: true, into: &$0) }
        }
        #expect(Array(wire.suffix(4)) == body)
        #expect(String(decoding: wire.dropLast(4), as: UTF8.self) == "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
    }

    @Test(
        "dates are IMF-fixdates in GMT",
        arguments: [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"), (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ])
    func dates(_ seconds: Int, _ expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }
}
