// MessagingTests: connecting, guest nicks, and room messages relayed to everyone but the sender.
import Testing

extension EndToEnd {
    @Suite("Connecting and messaging")
    struct Messaging {
        @Test(
            "every connection gets WELCOME with a unique guest nick in the lobby, and earlier members see it JOIN",
            .timeLimit(.minutes(1))
        )
        func welcome() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let first = try server.connect()
            let later = try (0..<4).map { _ in try server.connect() }
            #expect(([first] + later).map(\.nick) == ["guest1", "guest2", "guest3", "guest4", "guest5"])
            #expect(try first.sync() == later.map { "JOIN lobby \($0.nick)" })
        }

        @Test("guest numbers skip nicks already taken ignoring case and are never reused", .timeLimit(.minutes(1)))
        func guestNumbers() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let first = try server.connect()
            try first.send("/nick Guest2")
            try first.expectLine("NICK guest1 Guest2")
            let second = try server.connect()
            #expect(second.nick == "guest3")
            second.close()
            try first.expectLine(prefix: "JOIN lobby guest3")
            try first.expectLine(prefix: "PART lobby guest3")
            let third = try server.connect()
            #expect(third.nick == "guest4")
        }

        @Test(
            "a message reaches every other member of the room verbatim and is never echoed to its sender",
            .timeLimit(.minutes(1))
        )
        func messageFanOut() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (sender, others) = (clients[0], clients[1...])
            let texts = ["hello, world", "  inner  and trailing spaces  ", "caf\u{E9} \u{2713} \u{1F600}", "   "]
            for text in texts { try sender.send(text) }
            for other in others {
                for text in texts { try other.expectLine("MSG lobby \(sender.nick) \(text)") }
            }
            try sender.expectNothingQueued()
            for other in others { try other.expectNothingQueued() }
        }

        @Test("bytes that are not UTF-8 are relayed unchanged", .timeLimit(.minutes(1)))
        func binaryText() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let text: [UInt8] = [0x68, 0xFF, 0xFE, 0x80, 0x01, 0x7F, 0x69]
            try clients[0].sendRaw(text + [10])
            try clients[0].sync()
            let line = clients[1].readRawLine()
            #expect(line == Array("MSG lobby \(clients[0].nick) ".utf8) + text)
        }

        @Test("//text sends a message whose text starts with a single /", .timeLimit(.minutes(1)))
        func doubleSlash() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("//quit is not a command here")
            try clients[0].send("//")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) /quit is not a command here")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) /")
            try clients[0].expectNothingQueued()
        }

        @Test("an empty line is ignored silently", .timeLimit(.minutes(1)))
        func emptyLine() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].sendRaw(Array("\n\r\n\nafter\n".utf8))
            try clients[1].expectLine("MSG lobby \(clients[0].nick) after")
            try clients[0].expectNothingQueued()
        }

        @Test("messages in one room never reach another room", .timeLimit(.minutes(1)))
        func roomIsolation() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(4)
            let (a, b, c, d) = (clients[0], clients[1], clients[2], clients[3])
            try c.join("other")
            try d.join("other")
            for client in clients { try client.sync() }

            try a.send("for the lobby")
            try a.send("/me waves in the lobby")
            try c.send("for the other room")
            try c.send("/me waves in the other room")
            try b.expectLine("MSG lobby \(a.nick) for the lobby")
            try b.expectLine("ACTION lobby \(a.nick) waves in the lobby")
            try d.expectLine("MSG other \(c.nick) for the other room")
            try d.expectLine("ACTION other \(c.nick) waves in the other room")
            // a's and c's lines are handled before their PONGs, so everything is queued by now.
            try a.expectNothingQueued()
            try c.expectNothingQueued()
            for client in clients { try client.expectNothingQueued() }
        }
    }
}
