// ConnectionTests: resets, --max-connections, --idle-timeout, and 10,000 clients held at once.
import TestHarness
import Testing

extension EndToEnd {
    @Suite("Connections")
    struct Connections {
        @Test(
            "clients that reset their connections leave with PART and the others keep chatting",
            .timeLimit(.minutes(1))
        )
        func abruptResets() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(7)
            let observers = Array(clients[0..<2])
            let victims = Array(clients[2...])
            for victim in victims { victim.resetAbruptly() }
            for observer in observers {
                let parts = observer.readLines(victims.count)
                let nicks = Set(
                    parts.compactMap { line -> String? in
                        let words = line.split(separator: " ")
                        return words.count >= 3 && words[0] == "PART" && words[1] == "lobby" ? String(words[2]) : nil
                    }
                )
                #expect(parts.count == victims.count, "\(observer.nick) saw \(parts)")
                #expect(nicks == Set(victims.map(\.nick)))
            }
            try observers[0].send("still chatting")
            try observers[1].expectLine("MSG lobby \(observers[0].nick) still chatting")
            try observers[1].send("me too")
            try observers[0].expectLine("MSG lobby \(observers[1].nick) me too")
            let stats = try observers[0].stats()
            #expect(stats["connections"] == 2)
        }

        @Test(
            "a client that half-closes after its lines gets every reply before the server closes",
            .timeLimit(.minutes(1))
        )
        func halfClose() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (watcher, client) = (clients[0], clients[1])
            try client.sendRaw(Array("/ping x\n/who\nparting words\n".utf8))
            client.shutdownWrite()
            #expect(
                try client.waitForClose() == [
                    "PONG x", "USER \(watcher.nick)", "USER \(client.nick)", "END who",
                ]
            )
            try watcher.expectLine("MSG lobby \(client.nick) parting words")
            try watcher.expectLine(prefix: "PART lobby \(client.nick) ")
        }

        @Test(
            "with --max-connections 3 a fourth client gets ERR server-full and is closed; a slot frees on leave",
            .timeLimit(.minutes(1))
        )
        func serverFull() throws {
            let server = try ServerProcess.start(["--max-connections", "3"])
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let rejected = try Client.connect(server.endpoint)
            let lines = try rejected.waitForClose()
            #expect(lines.count == 1 && lines.first?.hasPrefix("ERR server-full ") == true, "got \(lines)")
            // A rejection is no connection: nobody saw it join or leave, and the three still chat.
            try clients[0].send("all three of us")
            for client in clients[1...] { try client.expectLine("MSG lobby \(clients[0].nick) all three of us") }
            for client in clients { try client.expectNothingQueued() }
            #expect(try clients[0].stats()["connections"] == 3)

            try clients[2].send("/quit")
            try clients[2].waitForClose()
            try clients[0].expectLine("PART lobby \(clients[2].nick) quit")
            let late = try server.connect()
            try late.send("made it")
            try clients[0].expectLine("JOIN lobby \(late.nick)")
            try clients[0].expectLine("MSG lobby \(late.nick) made it")
        }

        @Test(
            "with --idle-timeout 1 a silent client gets ERR idle-timeout and is closed after 1 to 2.5 s",
            .timeLimit(.minutes(1))
        )
        func idleTimeout() throws {
            let server = try ServerProcess.start(["--idle-timeout", "1"])
            defer { server.stop() }
            let start = ContinuousClock.now
            let silent = try server.connect()
            let lines = try silent.waitForClose(timeout: .seconds(4))
            let elapsed = ContinuousClock.now - start
            #expect(lines.count == 1 && lines.first?.hasPrefix("ERR idle-timeout ") == true, "got \(lines)")
            #expect(elapsed >= .milliseconds(900) && elapsed <= .milliseconds(2500), "closed after \(elapsed)")
        }

        @Test(
            "with --idle-timeout 1 a client sending a line every 300 ms stays past 2 s and sees the silent one leave",
            .timeLimit(.minutes(1))
        )
        func activeClientStays() throws {
            let server = try ServerProcess.start(["--idle-timeout", "1"])
            defer { server.stop() }
            let active = try server.connect()
            let silent = try server.connect()
            try active.expectLine("JOIN lobby \(silent.nick)")
            let start = ContinuousClock.now
            var seen: [String] = []
            var silentLines: [String] = []
            var beat = 0
            while ContinuousClock.now - start < .milliseconds(2400) {
                beat += 1
                try active.send("/ping beat-\(beat)")
                seen += active.availableLines(within: .milliseconds(300))
                // Reading sends nothing, so the silent client stays silent; it closes on EOF.
                silentLines += silent.availableLines()
            }
            #expect(ContinuousClock.now - start >= .seconds(2))
            // The sync's PONG proves the connection is still open.
            seen += try active.sync()
            #expect(seen.contains("PART lobby \(silent.nick) idle-timeout"), "got \(seen)")
            #expect(seen.filter { $0.hasPrefix("PONG beat-") }.count == beat)
            #expect(!seen.contains { $0.hasPrefix("ERR") }, "got \(seen)")
            #expect(silent.sawEOF)
            #expect(
                silentLines.count == 1 && silentLines.first?.hasPrefix("ERR idle-timeout ") == true,
                "got \(silentLines)"
            )
        }

        @Test(
            "10,000 clients connect and stay, /stats counts them, and a small room still chats promptly",
            .timeLimit(.minutes(1))
        )
        func tenThousandClients() throws {
            let limit = raiseOpenFilesLimit()
            let total = 10_000
            try #require(limit >= total + 200, "open-files limit \(limit) is too low")
            let server = try ServerProcess.start(["--presence-limit", "10"])
            defer { server.stop() }
            let start = ContinuousClock.now
            var clients: [Client] = []
            clients.reserveCapacity(total)
            let batch = 500
            while clients.count < total {
                let connected = try (0..<batch).map { _ in try Client.connect(server.endpoint) }
                for client in connected { try client.expectLine(prefix: "WELCOME ", timeout: .seconds(10)) }
                clients += connected
                try #require(ContinuousClock.now - start < .seconds(20), "only \(clients.count) welcomed in 20 s")
            }
            let connectTime = ContinuousClock.now - start

            let talker = try server.connect()
            let listener = try server.connect()
            try talker.join("side")
            try listener.join("side")
            try talker.expectLine("JOIN side \(listener.nick)")
            let stats = try talker.stats()
            #expect((stats["connections"] ?? 0) >= total + 2)
            let sentAt = ContinuousClock.now
            try talker.send("still snappy")
            try listener.expectLine("MSG side \(talker.nick) still snappy", timeout: .seconds(1))
            let latency = ContinuousClock.now - sentAt
            #expect(latency < .seconds(1))
            #expect(connectTime < .seconds(20))

            for client in clients { client.close() }
            clients.removeAll()
            // The server notices all 10,000 closes and is responsive throughout.
            var connections = Int.max
            let deadline = ContinuousClock.now + .seconds(20)
            while connections > 2 && ContinuousClock.now < deadline {
                connections = try talker.stats()["connections"] ?? Int.max
                if connections > 2 { sleep(for: .milliseconds(100)) }
            }
            #expect(connections == 2)
        }
    }
}
