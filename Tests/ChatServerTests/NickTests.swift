// NickTests: /nick renames, name validation, and uniqueness ignoring case.
import Testing

extension EndToEnd {
    @Suite("/nick")
    struct Nick {
        // IRC's nick grammar, the same for both protocols: brackets and friends, no leading digit or "-".
        static let validNames = [
            "alice", "A-b_9", "_", "[away]", "a|b{c}", "^_`\\", String(repeating: "n", count: 32), "  padded  ",
        ]

        @Test(
            "a valid nick is announced to the room, the renamer included, and used from then on",
            .timeLimit(.minutes(1)),
            arguments: validNames
        )
        func rename(name: String) throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (renamer, roommate, elsewhere) = (clients[0], clients[1], clients[2])
            try elsewhere.join("elsewhere")
            try renamer.sync()
            try roommate.sync()
            let new = String(name.filter { $0 != " " })
            try renamer.send("/nick \(name)")
            try renamer.expectLine("NICK \(renamer.nick) \(new)")
            try roommate.expectLine("NICK \(renamer.nick) \(new)")
            try renamer.send("hi")
            try roommate.expectLine("MSG lobby \(new) hi")
            try renamer.send("/who")
            for nick in [roommate.nick, new].sorted(by: { $0.lowercased() < $1.lowercased() }) {
                try renamer.expectLine("USER \(nick)")
            }
            try renamer.expectLine("END who")
            try elsewhere.expectNothingQueued()
        }

        static let invalidNames: [String] = [
            "", "bad!", "two words", String(repeating: "n", count: 33), "caf\u{E9}", "a.b", "tab\there", "-", "9lives",
            "-x", "#room",
        ]

        @Test("an invalid nick gets ERR bad-name and changes nothing", .timeLimit(.minutes(1)), arguments: invalidNames)
        func invalidNick(name: String) throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/nick \(name)")
            try clients[0].expectLine(prefix: "ERR bad-name ")
            try clients[0].expectNothingQueued()
            try clients[1].expectNothingQueued()
            try clients[0].send("still me")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) still me")
        }

        @Test("a nick held by someone else, compared ignoring case, gets ERR nick-taken", .timeLimit(.minutes(1)))
        func nickTaken() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (holder, asker) = (clients[0], clients[1])
            try holder.send("/nick Alice")
            try holder.expectLine("NICK \(holder.nick) Alice")
            try asker.expectLine("NICK \(holder.nick) Alice")
            for attempt in ["Alice", "alice", "ALICE", "aLiCe"] {
                try asker.send("/nick \(attempt)")
                try asker.expectLine(prefix: "ERR nick-taken ")
            }
            try holder.expectNothingQueued()
            try asker.send("/who")
            try asker.expectLine("USER Alice")
            try asker.expectLine("USER \(asker.nick)")
            try asker.expectLine("END who")
        }

        @Test("a nick becomes free after its holder renames or disconnects", .timeLimit(.minutes(1)))
        func nickFreed() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (a, b, c) = (clients[0], clients[1], clients[2])
            let old = a.nick
            try a.send("/nick alice")
            try a.expectLine("NICK \(old) alice")
            try b.sync()
            try b.send("/nick \(old.uppercased())")
            try b.expectLine("NICK \(b.nick) \(old.uppercased())")
            try c.sync()
            try a.send("/quit")
            #expect(try a.waitForClose().last == "BYE")
            try c.expectLine("PART lobby alice quit")
            try c.send("/nick ALICE")
            try c.expectLine("NICK \(c.nick) ALICE")
        }

        @Test(
            "renaming to your own nick in another case is a rename; to the same nick, a confirmation to you only",
            .timeLimit(.minutes(1))
        )
        func ownNick() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (a, b) = (clients[0], clients[1])
            try a.send("/nick \(a.nick)")
            try a.expectLine("NICK \(a.nick) \(a.nick)")
            try b.expectNothingQueued()
            try a.send("/nick \(a.nick.uppercased())")
            try a.expectLine("NICK \(a.nick) \(a.nick.uppercased())")
            try b.expectLine("NICK \(a.nick) \(a.nick.uppercased())")
        }

        @Test("a NICK line goes only to the renamer's room", .timeLimit(.minutes(1)))
        func nickStaysInRoom() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            try clients[2].join("den")
            for client in clients[0...1] { try client.sync() }
            try clients[2].send("/nick dweller")
            try clients[2].expectLine("NICK \(clients[2].nick) dweller")
            for client in clients[0...1] { try client.expectNothingQueued() }
        }
    }
}
