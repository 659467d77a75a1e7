// WebSocketConnectionHandlerTests: the handler over real sockets, one scenario per test: the
// handshake and its refusals, echo, ping, both closing handshakes, protocol errors, the head
// timeout, and plain requests kept alive before an upgrade.

import Reactor
import ReactorWebSocket
import TestHarness
import Testing
import WebSocket

@Suite(.timeLimit(.minutes(1))) struct WebSocketConnectionHandlerTests {
    @Test("a handshake gets 101 with the accept value, and messages come back")
    func handshakeAndEcho() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        let head = try client.request("/chat")
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(head.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        try client.send(.text, "hello \u{1F44B}")
        #expect(client.next() == "text hello \u{1F44B}")
        try client.send(.binary, [UInt8](repeating: 9, count: 70_000))
        #expect(client.next() == "binary 70000")
        try client.send(.text, fin: false, "frag")
        try client.send(.ping, "between")
        try client.send(.continuation, "mented")
        #expect(client.next() == "pong between")
        #expect(client.next() == "text fragmented")
        #expect(server.log.eventually { $0.first == "open /chat none" })
    }

    @Test("the client's close is answered with its code and the connection ends")
    func clientCloses() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        _ = try client.request()
        try client.send(.close, [0x03, 0xE8] + bytes("done"))
        #expect(client.next() == "close 1000 ")
        #expect(client.next() == "eof")
        client.socket.close()  // else the server lingers, waiting for our FIN, before it reports the close
        #expect(server.log.eventually { $0.last == "closed 1000" })
    }

    @Test("the server's close waits for the client's answer, then ends the connection")
    func serverCloses() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        _ = try client.request()
        try client.send(.text, "close 1001")
        #expect(client.next() == "close 1001 asked")
        // Messages after the close frame are not delivered or answered.
        try client.send(.text, "late")
        try client.send(.close, [0x03, 0xE9])
        #expect(client.next() == "eof")
        client.socket.close()
        #expect(server.log.eventually { $0.last == "closed 1001" })
        #expect(!server.log.value.contains("text late"))
    }

    @Test("a client that never answers the server's close is closed after the close timeout")
    func closeTimeout() throws {
        let server = try TestServer(WebSocketServerConfiguration(closeTimeoutMilliseconds: 200))
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        _ = try client.request()
        try client.send(.text, "close 1000")
        #expect(client.next() == "close 1000 asked")
        #expect(client.next(timeout: .seconds(3)) == "eof")
        #expect(server.log.eventually { $0.last == "closed 1006" })
    }

    @Test("an unmasked frame fails the connection with 1002")
    func protocolError() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        _ = try client.request()
        try client.socket.send([0x81, 0x02, 0x68, 0x69])
        #expect(client.next() == "close 1002 ")
        #expect(client.next() == "eof")
    }

    @Test("a message over the limit fails the connection with 1009, and bad UTF-8 with 1007")
    func limits() throws {
        let server = try TestServer(WebSocketServerConfiguration(maxMessageSize: 1000))
        defer { server.thread.stopAndJoin() }
        let big = try WebSocketTestClient(port: server.port)
        _ = try big.request()
        try big.send(.binary, [UInt8](repeating: 0, count: 1001))
        #expect(big.next() == "close 1009 ")
        let bad = try WebSocketTestClient(port: server.port)
        _ = try bad.request()
        try bad.send(.text, [0x61, 0xFF])
        #expect(bad.next() == "close 1007 ")
    }

    @Test("the configured subprotocol is chosen in the client's order")
    func subprotocol() throws {
        let server = try TestServer(
            WebSocketServerConfiguration(path: "/ws", subprotocols: ["text.ircv3.net", "binary.ircv3.net"]))
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        let head = try client.request(
            "/ws",
            fields: WebSocketTestClient.upgradeFields + ["Sec-WebSocket-Protocol: binary.ircv3.net, text.ircv3.net"])
        #expect(head.contains("\r\nSec-WebSocket-Protocol: binary.ircv3.net\r\n"))
        #expect(server.log.eventually { $0.first == "open /ws binary.ircv3.net" })
    }

    @Test(
        "bad handshakes are refused with their status and the connection is closed",
        arguments: [
            (
                "/", ["Host: a", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13"],
                "400 Bad Request"
            ),
            ("/", ["Host: a"], "426 Upgrade Required"),
            ("/", WebSocketTestClient.upgradeFields.dropLast() + ["Sec-WebSocket-Version: 8"], "426 Upgrade Required"),
            ("/", WebSocketTestClient.upgradeFields + ["Origin: http://evil.example"], "403 Forbidden"),
            ("/elsewhere", WebSocketTestClient.upgradeFields, "404 Not Found"),
            ("/ws", ["Host: a", "Content-Length: 5"], "413 Content Too Large"),
        ])
    func refusals(_ target: String, _ fields: [String], _ status: String) throws {
        let server = try TestServer(WebSocketServerConfiguration(path: target == "/elsewhere" ? "/ws" : target))
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        let head = try client.request(target, fields: fields)
        #expect(head.hasPrefix("HTTP/1.1 \(status)\r\n"))
        #expect(head.contains("\r\nConnection: close\r\n"))
        let rest = client.socket.readToEnd()
        #expect(rest.end == .eof)
        client.socket.close()
        #expect(server.log.eventually { $0 == ["closed 1006"] })
    }

    @Test("a malformed head is answered 400 at once, without waiting for more")
    func malformedHead() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try TestClient(connectingTo: .ipv4(server.port))
        try client.send("GET / HTTP/1.1\n")
        let (response, end) = client.readToEnd()
        #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(end == .eof)
    }

    @Test("a client that sends no whole head within the timeout gets 408 and is closed")
    func headTimeout() throws {
        let server = try TestServer(WebSocketServerConfiguration(handshakeTimeoutMilliseconds: 200))
        defer { server.thread.stopAndJoin() }
        let client = try TestClient(connectingTo: .ipv4(server.port))
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n")
        let (response, end) = client.readToEnd(timeout: .seconds(3))
        #expect(String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(end == .eof)
    }

    @Test("plain requests are answered and kept alive, and the same connection can then upgrade")
    func plainThenUpgrade() throws {
        let server = try TestServer(WebSocketServerConfiguration(path: "/ws"), plainResponses: true)
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        #expect(try client.request("/", fields: ["Host: a"]).hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"))
        #expect(try client.body(7) == bytes("plain /"))
        #expect(try client.request("/metrics", fields: ["Host: a"]).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(try client.body(14) == bytes("plain /metrics"))
        #expect(try client.request("/ws").hasPrefix("HTTP/1.1 101 "))
        try client.send(.text, "upgraded")
        #expect(client.next() == "text upgraded")
    }

    @Test("a plain request that closes the connection is answered and closed")
    func plainClose() throws {
        let server = try TestServer(plainResponses: true)
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        let head = try client.request("/x", fields: ["Host: a", "Connection: close"])
        #expect(head.contains("\r\nConnection: close\r\n"))
        #expect(try client.body(8) == bytes("plain /x"))
        let end = client.socket.readToEnd().end
        #expect(end == .eof)
    }

    @Test("frames sent right behind the handshake, in the same write, are read")
    func framesBehindHandshake() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        // "hi" masked with the key 01 02 03 04.
        let frame = [0x81, 0x82, 1, 2, 3, 4, UInt8(ascii: "h") ^ 1, UInt8(ascii: "i") ^ 2]
        #expect(try client.request(extra: frame).hasPrefix("HTTP/1.1 101 "))
        #expect(client.next() == "text hi")
    }

    @Test("a connection dropped without a close frame is reported as 1006")
    func abruptDrop() throws {
        let server = try TestServer()
        defer { server.thread.stopAndJoin() }
        let client = try WebSocketTestClient(port: server.port)
        _ = try client.request()
        client.socket.resetAbruptly()
        #expect(server.log.eventually { $0.last == "closed 1006" })
    }
}
