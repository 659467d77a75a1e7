// CommandTests: /msg, /me, /ping, /stats, /help, /quit, and unknown commands.
import Testing

extension EndToEnd {
    @Suite("Commands")
    struct Commands {
        @Test(
            "/msg delivers PRIV to its target only, in any room, with the nick matched ignoring case",
            .timeLimit(.minutes(1))
        )
        func privateMessage() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (sender, bystander, target) = (clients[0], clients[1], clients[2])
            try target.join("far")
            try sender.sync()
            try bystander.sync()
            try sender.send("/msg \(target.nick) psst,  a secret ")
            try sender.send("/msg   \(target.nick.uppercased())   second")
            try target.expectLine("PRIV \(sender.nick) psst,  a secret ")
            try target.expectLine("PRIV \(sender.nick) second")
            try sender.expectNothingQueued()
            try bystander.expectNothingQueued()
            try target.expectNothingQueued()
        }

        @Test("/msg to yourself is delivered to you", .timeLimit(.minutes(1)))
        func privateMessageToSelf() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("/msg \(client.nick) note to self")
            try client.expectLine("PRIV \(client.nick) note to self")
        }

        static let badPrivateMessages: [(String, String)] = [
            ("/msg", "ERR bad-name "),
            ("/msg bad! hello", "ERR bad-name "),
            ("/msg \(String(repeating: "x", count: 33)) hello", "ERR bad-name "),
            ("/msg guest1", "ERR bad-line "),
            ("/msg guest1   ", "ERR bad-line "),
            ("/msg nobody hello", "ERR no-such-nick "),
            ("/msg bad!", "ERR bad-name "),
            ("/msg nobody", "ERR bad-line "),
        ]

        @Test(
            "a /msg without a valid nick, without text, or to nobody gets the documented ERR",
            .timeLimit(.minutes(1)),
            arguments: badPrivateMessages
        )
        func badPrivateMessage(line: String, reply: String) throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[1].send(line)
            try clients[1].expectLine(prefix: reply)
            try clients[1].expectNothingQueued()
            try clients[0].expectNothingQueued()
        }

        @Test("/me sends ACTION to the others in the room and not to the actor", .timeLimit(.minutes(1)))
        func action() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            try clients[0].send("/me waves  at everyone")
            for other in clients[1...] { try other.expectLine("ACTION lobby \(clients[0].nick) waves  at everyone") }
            try clients[0].expectNothingQueued()
            try clients[0].send("/me")
            try clients[0].expectLine(prefix: "ERR bad-line ")
        }

        @Test("/ping answers PONG with the token verbatim, or a bare PONG", .timeLimit(.minutes(1)))
        func ping() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let client = try server.connect()
            for (line, reply) in [
                ("/ping", "PONG"), ("/ping 42", "PONG 42"), ("/ping a b  c ", "PONG a b  c "), ("/PiNg x", "PONG x"),
            ] {
                try client.send(line)
                try client.expectLine(reply)
            }
        }

        @Test("command words are matched ignoring case", .timeLimit(.minutes(1)))
        func commandCase() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/NICK Loud")
            try clients[0].expectLine("NICK \(clients[0].nick) Loud")
            #expect(try clients[0].listing("/Who") == ["USER \(clients[1].nick)", "USER Loud", "END who"])
        }

        @Test("/stats reports every counter in order, then END stats, with plausible values", .timeLimit(.minutes(1)))
        func stats() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            try clients[2].join("side")
            try clients[0].send("one")
            try clients[0].send("/me two")
            try clients[0].send("/msg \(clients[2].nick) three")
            try clients[0].sync()

            try clients[0].send("/stats")
            let lines = clients[0].readLines(18)
            // The first eight in the order docs/PROTOCOL.md promises, the later additions after them.
            let names = [
                "connections", "rooms", "messages_in", "deliveries_out", "bytes_in", "bytes_out",
                "slow_consumer_drops", "uptime_seconds",
                "slow_consumer_drops_soft_limit", "slow_consumer_drops_hard_limit", "output_queued_bytes",
                "output_queued_peak_bytes", "output_budget_pauses", "output_budget_paused_connections",
                "output_budget_paused_ms", "loop_iteration_max_us", "loop_iteration_max_on_cpu_us",
            ]
            #expect(lines.count == 18)
            #expect(lines.dropLast().map { String($0.split(separator: " ")[1]) } == names)
            #expect(lines.last == "END stats")
            let stats = try clients[0].stats()
            #expect(stats["connections"] == 3)
            #expect(stats["rooms"] == 2)
            #expect(stats["messages_in"] == 3)
            // "one" and "two" reach the one other lobby member, "three" its target.
            #expect(stats["deliveries_out"] == 3)
            #expect((stats["bytes_in"] ?? 0) > 50)
            #expect((stats["bytes_out"] ?? 0) > 200)
            #expect(stats["slow_consumer_drops"] == 0)
            #expect((0...30).contains(stats["uptime_seconds"] ?? -1))
            #expect(stats["slow_consumer_drops_soft_limit"] == 0)
            #expect(stats["slow_consumer_drops_hard_limit"] == 0)
            // Everything queued has gone out by now: the replies before this /stats were read.
            #expect(stats["output_queued_bytes"] == 0)
            #expect((1..<(1 << 20)).contains(stats["output_queued_peak_bytes"] ?? -1))
            #expect(stats["output_budget_pauses"] == 0)
            #expect(stats["output_budget_paused_connections"] == 0)
            #expect(stats["output_budget_paused_ms"] == 0)

            clients[1].close()
            try clients[0].expectLine(prefix: "PART lobby \(clients[1].nick)")
            #expect(try clients[0].stats()["connections"] == 2)
        }

        @Test("/help sends INFO lines naming every command, then END help", .timeLimit(.minutes(1)))
        func help() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("/help")
            var info: [String] = []
            while let line = client.readLine(), line != "END help" {
                try #require(line.hasPrefix("INFO "), "unexpected line in /help: \(line)")
                info.append(line)
            }
            #expect(!info.isEmpty)
            let text = info.joined(separator: "\n")
            for command in [
                "/nick", "/join", "/rooms", "/who", "/msg", "/me", "/ping", "/stats", "/help", "/quit", "//",
            ] {
                #expect(text.contains(command), "/help does not mention \(command)")
            }
            try client.expectNothingQueued()
        }

        @Test(
            "an unknown command gets ERR unknown-command quoting it, and the connection stays usable",
            .timeLimit(.minutes(1))
        )
        func unknownCommand() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/frobnicate the widgets")
            let error = try clients[0].expectLine(prefix: "ERR unknown-command ")
            #expect(error.contains("/frobnicate"))
            try clients[0].send("/")
            try clients[0].expectLine(prefix: "ERR unknown-command ")
            try clients[1].expectNothingQueued()
            try clients[0].send("still here")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) still here")
        }

        @Test(
            "/quit REASON gets BYE REASON, then the server closes and the room sees PART with the reason",
            .timeLimit(.minutes(1))
        )
        func quitWithReason() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            // Lines after /quit are ignored, even in the same write.
            try clients[0].sendRaw(Array("/quit gone  fishing\nignored message\n".utf8))
            #expect(try clients[0].waitForClose() == ["BYE gone  fishing"])
            try clients[1].expectLine("PART lobby \(clients[0].nick) gone  fishing")
            try clients[1].expectNothingQueued()
        }

        @Test(
            "/quit without a reason gets a bare BYE, and the room sees PART with reason quit",
            .timeLimit(.minutes(1))
        )
        func quitWithoutReason() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/quit")
            #expect(try clients[0].waitForClose() == ["BYE"])
            try clients[1].expectLine("PART lobby \(clients[0].nick) quit")
        }

        @Test("a client that closes its connection leaves with a PART carrying a reason", .timeLimit(.minutes(1)))
        func closeLeaves() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            clients[0].close()
            let part = try clients[1].expectLine(prefix: "PART lobby \(clients[0].nick) ")
            #expect(part.count > "PART lobby \(clients[0].nick) ".count)
        }
    }
}
