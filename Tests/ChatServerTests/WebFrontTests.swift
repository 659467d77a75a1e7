// WebFrontTests: the HTTP listener end to end: the page, /healthz, /metrics, refusals, and IRC
// over WebSocket at /ws in rooms shared with line and IRC clients.
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("The web front door: HTTP, /metrics, IRC over WebSocket")
    struct WebFront {
        // MARK: Plain HTTP

        @Test("GET / serves the chat page; HEAD the same head without a body", .timeLimit(.minutes(1)))
        func page() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let get = try HTTPExchange.get(port: port, "/")
            #expect(get.status == 200, "\(get.head)")
            #expect(get.head.lowercased().contains("content-type: text/html; charset=utf-8"), "\(get.head)")
            #expect(get.body.lowercased().hasPrefix("<!doctype html>"), "\(get.body.prefix(80))")
            #expect(get.head.contains("Content-Length: \(get.body.utf8.count)\r\n"), "\(get.head)")
            let head = try HTTPExchange.get(port: port, "/", method: "HEAD")
            #expect(head.status == 200 && head.body.isEmpty, "\(head.head)\(head.body.prefix(40))")
            #expect(head.head.contains("Content-Length: \(get.body.utf8.count)\r\n"), "\(head.head)")
        }

        @Test("wrong paths get 404, other methods 405, /ws without an upgrade 426, garbage 400", .timeLimit(.minutes(1)))
        func statuses() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            #expect(try HTTPExchange.get(port: port, "/nowhere").status == 404)
            let post = try HTTPExchange.get(port: port, "/", method: "POST")
            #expect(post.status == 405 && post.head.contains("Allow: GET, HEAD\r\n"), "\(post.head)")
            let ws = try HTTPExchange.get(port: port, "/ws")
            #expect(ws.status == 426 && ws.head.contains("Upgrade: websocket\r\n"), "\(ws.head)")
            let garbage = try TestClient(connectingTo: .ipv4(port))
            defer { garbage.close() }
            try garbage.send("\u{1}\u{2} not http at all\r\n\r\n")
            let (bytes, end) = garbage.readToEnd(timeout: .seconds(10))
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 400 "), "\(bytes.count) bytes")
            #expect(end == .eof)
            // The server kept serving everyone else.
            #expect(try HTTPExchange.get(port: port, "/healthz").body == "ok\n")
        }

        @Test("/healthz is 200 while accepting", .timeLimit(.minutes(1)))
        func health() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let health = try HTTPExchange.get(port: try #require(server.httpPort), "/healthz")
            #expect(health.status == 200 && health.body == "ok\n", "\(health.head)\(health.body)")
        }

        @Test("/healthz turns 503 once SIGTERM arrived, while the server is still finishing", .timeLimit(.minutes(1)))
        func healthDuringShutdown() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            // A keep-alive connection opened before the signal (the listener closes at once), and a
            // WebSocket client that never answers the close frame, so the server lingers.
            let probe = try TestClient(connectingTo: .ipv4(port))
            let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
            try probe.send(request)
            let first = try probe.readLine()
            #expect(first.hasPrefix("HTTP/1.1 200 "), "\(first)")
            while try probe.readLine() != "ok" {}
            let transport = try WebSocketTransport(port: port, subprotocols: ["text.ircv3.net"])
            try IRCClient(transport: transport).register(nick: "lingers")
            server.process.signal(SIGTERM)
            #expect(transport.client.next().hasPrefix("text ERROR "), "the session hears the shutdown first")
            try probe.send(request)
            let second = try probe.readLine()
            #expect(second.hasPrefix("HTTP/1.1 503 "), "\(second)")
            #expect(server.process.waitForExit(timeout: .seconds(10)) == .exited(0))
        }

        @Test("/metrics is Prometheus text with HELP and TYPE, and counts what happened", .timeLimit(.minutes(1)))
        func metrics() throws {
            let server = try IRCTestServer.start(["--max-line", "100"], web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let line = try server.connectLine()
            let alice = try server.register("alice")
            try alice.join("#lobby")
            try line.expectLine("JOIN lobby alice")
            let web = try server.registerWeb("webby")
            try web.join("#lobby")
            try line.expectLine("JOIN lobby webby")
            try alice.expect(":\(web.source) JOIN #lobby")
            try line.send("hello both")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :hello both")
            try web.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :hello both")
            try line.send(String(repeating: "x", count: 200))
            try line.expectLine(prefix: "ERR ")
            _ = try HTTPExchange.get(port: port, "/nowhere", fields: ["Bad Header"])  // a 400

            let exchange = try HTTPExchange.get(port: port, "/metrics")
            #expect(exchange.status == 200)
            #expect(exchange.head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "\(exchange.head)")
            let metrics = Metrics(exchange.body)
            #expect(metrics["switchboard_connections{frontend=\"line\"}"] == 1)
            #expect(metrics["switchboard_connections{frontend=\"irc\"}"] == 1)
            #expect(metrics["switchboard_connections{frontend=\"websocket\"}"] == 1)
            #expect(metrics["switchboard_registered_clients"] == 3)
            #expect(metrics["switchboard_registrations_total"] == 3)
            #expect(metrics["switchboard_rooms"] == 1)
            #expect(metrics["switchboard_messages_in_total"] == 1)
            #expect(metrics["switchboard_deliveries_out_total"] == 2)
            #expect((metrics["switchboard_bytes_in_total"] ?? 0) > 200)
            #expect((metrics["switchboard_bytes_out_total"] ?? 0) > 0)
            #expect(metrics["switchboard_refusals_total{reason=\"line_too_long\"}"] == 1)
            #expect(metrics["switchboard_refusals_total{reason=\"bad_handshake\"}"] == 1)
            #expect(metrics["switchboard_refusals_total{reason=\"server_full\"}"] == 0)
            #expect((metrics["switchboard_loop_iterations_total"] ?? 0) > 0)
            let count = metrics["switchboard_loop_iteration_seconds_count"] ?? 0
            #expect(count > 0 && metrics["switchboard_loop_iteration_seconds_bucket{le=\"+Inf\"}"] == count)
            let onCPU = try #require(metrics["switchboard_loop_iteration_on_cpu_max_seconds"])
            #expect(onCPU > 0 && onCPU <= (metrics["switchboard_loop_iteration_max_seconds"] ?? 0))
            #expect((metrics["process_resident_memory_bytes"] ?? 0) > 1_000_000)
            // Three clients, the listeners, the reactor's own descriptors: a handful, not zero.
            #expect((metrics["process_open_fds"] ?? 0) >= 6)
            for family in metrics.families {
                #expect(exchange.body.contains("# HELP \(family) "), "no HELP for \(family)")
                #expect(exchange.body.contains("# TYPE \(family) "), "no TYPE for \(family)")
            }
        }

        // MARK: IRC over WebSocket

        @Test("a WebSocket client registers and chats with line and IRC clients in #lobby", .timeLimit(.minutes(1)))
        func mixedRoom() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            try alice.join("#lobby")
            try line.expectLine("JOIN lobby alice")
            let web = try server.registerWeb("webby")
            let joined = try web.join("#lobby")[0]
            let names = joined.filter { $0.code == 353 }.flatMap(namesIn)
            #expect(Set(names) == ["alice", "webby", line.nick], "\(joined.map(\.raw))")
            try line.expectLine("JOIN lobby webby")
            try alice.expect(":\(web.source) JOIN #lobby")

            try web.send("PRIVMSG #lobby :hello from the browser")
            try line.expectLine("MSG lobby webby hello from the browser")
            try alice.expect(":\(web.source) PRIVMSG #lobby :hello from the browser")
            try alice.send("PRIVMSG #lobby :hello from IRC")
            try web.expect(":\(alice.source) PRIVMSG #lobby :hello from IRC")
            try line.expectLine("MSG lobby alice hello from IRC")
            try line.send("/me waves")
            try web.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :\(ctcpAction("waves"))")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :\(ctcpAction("waves"))")
            try web.send("PRIVMSG alice :psst")
            try alice.expect(":\(web.source) PRIVMSG alice :psst")
            try line.send("/msg webby hi web")
            try web.expect(":\(lineSource(line.nick)) PRIVMSG webby :hi web")
            let old = web.source
            try web.send("NICK webster")
            try web.expect(":\(old) NICK webster")
            try alice.expect(":\(old) NICK webster")
            try line.expectLine("NICK webby webster")
            web.nick = "webster"
            try web.send("QUIT :bye now")
            try alice.expect(":\(web.source) QUIT :Quit: bye now")
            try line.expectLine("PART lobby webster bye now")
            try line.expectNothingQueued()
            try alice.expectNothingQueued()
        }

        @Test("a message with CR or LF inside is refused whole with FAIL; a trailing CR LF is dropped", .timeLimit(.minutes(1)))
        func oneLinePerMessage() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let web = try server.registerWeb("webby")
            try web.join("#lobby")
            try line.expectLine("JOIN lobby webby")
            try web.sendRaw(Array("PRIVMSG #lobby :two\r\nQUIT :smuggled".utf8))
            try web.expect(":\(IRCTestServer.defaultName) FAIL * INVALID_MESSAGE :A WebSocket message must be one IRC line, without CR or LF")
            try web.sendRaw(Array("PRIVMSG #lobby :one\nPRIVMSG #lobby :two".utf8))
            try web.expectLine(matching: { $0.command == "FAIL" }, "FAIL for a bare LF")
            try web.sendRaw(Array("PRIVMSG #lobby :trailing\r\n".utf8))
            try line.expectLine("MSG lobby webby trailing")
            try line.expectNothingQueued()
            try web.expectNothingQueued()
        }

        @Test("the client's order of subprotocols chooses text or binary frames", .timeLimit(.minutes(1)))
        func subprotocols() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let binary = try WebSocketTransport(port: port, subprotocols: ["binary.ircv3.net", "text.ircv3.net"])
            #expect(binary.opcode == .binary && binary.responseHead.contains("Sec-WebSocket-Protocol: binary.ircv3.net\r\n"))
            let text = try WebSocketTransport(port: port, subprotocols: ["text.ircv3.net", "binary.ircv3.net"])
            #expect(text.opcode == .text && text.responseHead.contains("Sec-WebSocket-Protocol: text.ircv3.net\r\n"))
            // No subprotocol: IRC in text frames, and no Sec-WebSocket-Protocol in the answer.
            let none = try WebSocketTransport(port: port, subprotocols: [])
            #expect(none.opcode == .text && !none.responseHead.contains("Sec-WebSocket-Protocol"))
            let bob = IRCClient(transport: binary)
            try bob.register(nick: "bob")
            let tess = IRCClient(transport: text)
            try tess.register(nick: "tess")
            try bob.join("#room")
            try tess.join("#room")
            try bob.expect(":\(tess.source) JOIN #room")
            try tess.send("PRIVMSG #room :in text")
            try bob.expect(":\(tess.source) PRIVMSG #room :in text")
            try bob.send("PRIVMSG #room :in binary")
            try tess.expect(":\(bob.source) PRIVMSG #room :in binary")
        }

        @Test("WebSocket clients with server-time are their own partition; others get no tags", .timeLimit(.minutes(1)))
        func serverTime() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let timed = try server.registerWeb("timed", capabilities: ["server-time"])
            let plain = try server.registerWeb("plain")
            let irc = try server.register("irc", capabilities: ["server-time"])
            for client in [timed, plain, irc] { try client.join("#lobby") }
            _ = try line.sync()
            _ = try timed.sync()
            _ = try plain.sync()
            _ = try irc.sync()
            try line.send("what time is it")
            let stamped = try timed.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :what time is it")
            #expect(stamped.raw.hasPrefix("@time="), "\(stamped.raw)")
            let bare = try plain.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :what time is it")
            #expect(!bare.raw.hasPrefix("@"), "\(bare.raw)")
            let tcp = try irc.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :what time is it")
            #expect(tcp.raw.hasPrefix("@time="), "\(tcp.raw)")
        }

        @Test("a line that is not UTF-8 reaches text clients with U+FFFD and binary clients as sent", .timeLimit(.minutes(1)))
        func invalidUTF8() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let line = try server.connectLine()
            let text = try server.registerWeb("texty")
            let binary = IRCClient(transport: try WebSocketTransport(port: port, subprotocols: ["binary.ircv3.net"]))
            try binary.register(nick: "binny")
            try text.join("#lobby")
            try binary.join("#lobby")
            try text.expect(":\(binary.source) JOIN #lobby")
            _ = try line.sync()
            try line.sendRaw([0x63, 0x61, 0x66, 0xE9, 0x0A])  // "café" in Latin-1
            try text.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :caf\u{FFFD}")
            let raw = try #require(binary.readLine())
            #expect(Array(raw.raw.utf8.suffix(3)) == Array("caf".utf8).suffix(3) || raw.raw.hasSuffix("\u{FFFD}"), "\(raw.raw)")
            // Both stay connected.
            try text.send("PING :still")
            try text.expect(":\(IRCTestServer.defaultName) PONG \(IRCTestServer.defaultName) :still")
            try binary.send("PING :still")
            try binary.expect(":\(IRCTestServer.defaultName) PONG \(IRCTestServer.defaultName) :still")
        }

        @Test("a message over the IRC limit gets 417 and the client stays; one over 64 KiB closes with 1009", .timeLimit(.minutes(1)))
        func longMessages() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let web = try server.registerWeb("webby")
            try web.send("PRIVMSG #lobby :" + String(repeating: "x", count: 10_000))
            try web.expectLine(matching: { $0.code == 417 }, "417 input line too long")
            try web.send("PING :alive")
            try web.expect(":\(IRCTestServer.defaultName) PONG \(IRCTestServer.defaultName) :alive")
            let transport = try WebSocketTransport(port: port, subprotocols: ["text.ircv3.net"])
            try transport.client.send(.text, String(repeating: "y", count: 70_000))
            #expect(transport.client.next().hasPrefix("close 1009"))
        }

        @Test("a page from another origin is refused with 403 unless --allowed-origin names it", .timeLimit(.minutes(1)))
        func origins() throws {
            let server = try IRCTestServer.start(["--allowed-origin", "https://chat.example.org"], web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let stranger = try WebSocketTestClient(port: port)
            let refused = try stranger.request(
                "/ws", fields: WebSocketTestClient.upgradeFields + ["Origin: https://evil.example.com"])
            #expect(refused.hasPrefix("HTTP/1.1 403 "), "\(refused)")
            let friend = try WebSocketTransport(
                port: port, subprotocols: ["text.ircv3.net"], extraFields: ["Origin: https://chat.example.org"])
            #expect(friend.responseHead.hasPrefix("HTTP/1.1 101 "))
            // The page's own origin: the Host it was served from.
            let own = try WebSocketTransport(
                port: port, subprotocols: ["text.ircv3.net"], extraFields: ["Origin: http://127.0.0.1"])
            #expect(own.responseHead.hasPrefix("HTTP/1.1 101 "))
        }

        @Test("SIGTERM sends the IRC ERROR and then close 1001 to WebSocket clients", .timeLimit(.minutes(1)))
        func shutdown() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let transport = try WebSocketTransport(port: port, subprotocols: ["text.ircv3.net"])
            let web = IRCClient(transport: transport)
            try web.register(nick: "webby")
            server.process.signal(SIGTERM)
            try web.expectLine(matching: { $0.command == "ERROR" }, "ERROR on shutdown")
            #expect(web.readLine() == nil)
            #expect(transport.closeEvent?.hasPrefix("close 1001") == true, "\(transport.closeEvent ?? "no close frame")")
            // Every session closed, the server exits cleanly.
            #expect(server.process.waitForExit(timeout: .seconds(5)) == .exited(0))
        }

        @Test("QUIT over WebSocket ends with ERROR and close 1000", .timeLimit(.minutes(1)))
        func quit() throws {
            let server = try IRCTestServer.start(web: true)
            defer { server.stop() }
            let transport = try WebSocketTransport(port: try #require(server.httpPort), subprotocols: ["text.ircv3.net"])
            let web = IRCClient(transport: transport)
            try web.register(nick: "webby")
            try web.send("QUIT :done")
            try web.expectLine(matching: { $0.command == "ERROR" }, "ERROR after QUIT")
            #expect(web.readLine() == nil)
            #expect(transport.closeEvent?.hasPrefix("close 1000") == true, "\(transport.closeEvent ?? "no close frame")")
        }

        @Test("at --max-connections an upgrade gets ERROR and close 1013; the page and /metrics still answer", .timeLimit(.minutes(1)))
        func serverFull() throws {
            let server = try IRCTestServer.start(["--max-connections", "1"], web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            let first = try server.registerWeb("first")
            #expect(try HTTPExchange.get(port: port, "/").status == 200)
            let early = try WebSocketTestClient(port: port)
            let head = try early.request(
                "/ws", fields: WebSocketTestClient.upgradeFields + ["Sec-WebSocket-Protocol: text.ircv3.net"])
            #expect(head.hasPrefix("HTTP/1.1 101 "), "\(head)")
            let refusal = early.next()
            #expect(refusal.hasPrefix("text ERROR :"), "\(refusal)")
            #expect(early.next().hasPrefix("close 1013"))
            try first.send("PING :ok")
            try first.expect(":\(IRCTestServer.defaultName) PONG \(IRCTestServer.defaultName) :ok")
            let metrics = Metrics(try HTTPExchange.get(port: port, "/metrics").body)
            #expect(metrics["switchboard_refusals_total{reason=\"server_full\"}"] == 1)
        }
    }
}

extension EndToEnd.WebFront {
    @Test("--idle-timeout closes a silent WebSocket client with ERROR and close 1000", .timeLimit(.minutes(1)))
    func idleTimeout() throws {
        let server = try IRCTestServer.start(["--idle-timeout", "1"], web: true)
        defer { server.stop() }
        let transport = try WebSocketTransport(port: try #require(server.httpPort), subprotocols: ["text.ircv3.net"])
        let web = IRCClient(transport: transport)
        try web.register(nick: "quiet")
        try web.expectLine(matching: { $0.command == "ERROR" }, "ERROR for idling", timeout: .seconds(10))
        #expect(web.readLine() == nil)
        #expect(transport.closeEvent?.hasPrefix("close 1000") == true, "\(transport.closeEvent ?? "no close frame")")
        let metrics = Metrics(try HTTPExchange.get(port: try #require(server.httpPort), "/metrics").body)
        #expect(metrics["switchboard_refusals_total{reason=\"idle_timeout\"}"] == 1)
    }

    @Test("--rate slows a WebSocket client's burst down and loses none of it", .timeLimit(.minutes(1)))
    func rateLimit() throws {
        let server = try IRCTestServer.start(["--rate", "4"], web: true)
        defer { server.stop() }
        let web = try server.registerWeb("hasty")
        // Registration spent some of the burst of 4; 12 more lines at 4 a second take over 2 s.
        let start = ContinuousClock.now
        try web.send(lines: (0..<12).map { "PING :n\($0)" })
        for n in 0..<12 {
            try web.expect(":\(IRCTestServer.defaultName) PONG \(IRCTestServer.defaultName) :n\(n)", timeout: .seconds(10))
        }
        #expect(ContinuousClock.now - start >= .seconds(1.5), "12 lines at 4/s answered in \(ContinuousClock.now - start)")
    }

    @Test("a WebSocket client that never reads is dropped at the hard limit; the others go on", .timeLimit(.minutes(1)))
    func slowConsumer() throws {
        let server = try IRCTestServer.start(
            ["--max-outbuf", "65536", "--max-outbuf-hard", "\(1 << 20)", "--slow-consumer-grace", "60"], web: true)
        defer { server.stop() }
        let port = try #require(server.httpPort)
        let flooder = try server.connectLine()
        let stuck = IRCClient(
            transport: try WebSocketTransport(port: port, subprotocols: ["text.ircv3.net"], receiveBuffer: 4096))
        try stuck.register(nick: "stuck")
        try stuck.join("#lobby")
        try flooder.expectLine("JOIN lobby stuck")
        let reader = try server.registerWeb("reader")
        try reader.join("#lobby")
        try flooder.expectLine("JOIN lobby reader")
        // About 4 MB, four times the hard limit, that the stuck client never reads.
        let count = 13_000
        let padding = String(repeating: "w", count: 280)
        let sender = BackgroundThread {
            try flooder.sendRaw((0..<count).flatMap { Array("flood \($0) \(padding)\n".utf8) })
        }
        var seen = 0
        var dropped = false
        while seen < count {
            let line = try #require(reader.readLine(timeout: .seconds(20)), "reader stalled after \(seen) lines")
            if line.command == "PRIVMSG" {
                #expect(line.text == "flood \(seen) \(padding)", "reader lost or reordered a line")
                seen += 1
            } else if line.command == "QUIT" && line.raw.contains("stuck!") {
                dropped = true
            }
        }
        try sender.wait(timeout: .seconds(10))
        if !dropped {
            try reader.expectLine(matching: { $0.command == "QUIT" && $0.raw.contains("stuck!") }, "stuck's QUIT")
        }
        let metrics = Metrics(try HTTPExchange.get(port: port, "/metrics").body)
        #expect(metrics["switchboard_refusals_total{reason=\"slow_consumer\"}"] == 1)
        #expect(metrics["switchboard_connections{frontend=\"websocket\"}"] == 1)
    }
}

/// A Prometheus text exposition, parsed: the samples by series (`name{labels}`), and the families.
struct Metrics {
    private(set) var samples: [String: Int] = [:]
    private(set) var families: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                families.append(String(line.split(separator: " ")[2]))
                continue
            }
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { continue }
            let value = line[line.index(after: space)...]
            // Seconds are fractions: kept in microseconds.
            if let integer = Int(value) {
                samples[String(line[..<space])] = integer
            } else if let seconds = Double(value) {
                samples[String(line[..<space])] = Int((seconds * 1_000_000).rounded())
            }
        }
    }

    subscript(_ series: String) -> Int? { samples[series] }
}
