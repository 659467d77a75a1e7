// IRCPresenceTests: QUIT, NICK changes and vanished clients over real IRC connections: who hears
// about them, exactly once, and how soon a nick is free again.
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC presence")
    struct IRCPresence {
        @Test(
            "QUIT reaches everyone sharing a channel once, even sharing two, and the quitter gets ERROR",
            .timeLimit(.minutes(1)))
        func quit() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            let carol = try server.register("carol")
            let dave = try server.register("dave")
            try alice.join("#a", "#b")
            try bob.join("#a", "#b")
            try carol.join("#b")
            try dave.join("#d")
            for client in [alice, bob, carol, dave] { try client.sync() }
            let source = alice.source
            try alice.send("QUIT :gone for today")
            let last = try alice.waitForClose()
            #expect(last.last?.command == "ERROR", "the quitter's last line is ERROR: \(last.map(\.raw))")
            #expect(!last.contains { $0.command == "QUIT" }, "\(last.map(\.raw))")
            try bob.expect(":\(source) QUIT :Quit: gone for today")
            try carol.expect(":\(source) QUIT :Quit: gone for today")
            for client in [bob, carol, dave] { try client.expectNothingQueued() }
            try bob.send("NAMES #a")
            let names = try bob.expect(numeric: 353, ["bob", "=", "#a"])
            #expect(namesIn(names) == ["bob"], "\(names)")
        }

        @Test("QUIT reaches the peers at once, before the quitter has closed its socket", .timeLimit(.minutes(1)))
        func quitBeforeClose() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a")
            try bob.join("#a")
            try alice.sync()
            try alice.send("QUIT :not waiting")
            try alice.expectEventually("ERROR :Closing link: (not waiting)", timeout: .seconds(1))
            // alice keeps her socket open: the server must not wait for it (nor linger) to tell bob.
            try bob.expect(":\(alice.source) QUIT :Quit: not waiting", timeout: .seconds(1))
        }

        @Test("QUIT without a reason still reaches the peers, and ERROR the quitter", .timeLimit(.minutes(1)))
        func quitWithoutReason() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a")
            try bob.join("#a")
            try alice.sync()
            let source = alice.source
            try alice.send("QUIT")
            #expect(try alice.waitForClose().last?.command == "ERROR")
            let quit = try bob.expectLine(matching: { $0.command == "QUIT" }, "QUIT")
            #expect(quit.source == source && quit.params.count <= 1, "\(quit)")
            try bob.expectNothingQueued()
        }

        @Test(
            "a NICK change is seen once by a peer sharing two channels, by the renamer, and by no stranger",
            .timeLimit(.minutes(1)))
        func nickChange() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            let carol = try server.register("carol")
            try alice.join("#a", "#b")
            try bob.join("#a", "#b")
            try carol.join("#c")
            try alice.sync()
            let old = alice.source
            try alice.send("NICK Alicia")
            try alice.expect(":\(old) NICK Alicia")
            try bob.expect(":\(old) NICK Alicia")
            alice.nick = "Alicia"
            try bob.expectNothingQueued()
            try carol.expectNothingQueued()
            try alice.expectNothingQueued()
            try bob.send("PRIVMSG alicia :found you")
            try alice.expect(":\(bob.source) PRIVMSG Alicia :found you")
            try alice.send("PRIVMSG #a :new name")
            try bob.expect(":Alicia!\(alice.userHost) PRIVMSG #a :new name")
            // Only the case changes: still a rename, and nobody else may take the nick meanwhile.
            try alice.rename(to: "ALICIA")
            try bob.expect(":Alicia!\(alice.userHost) NICK ALICIA")
            let other = try server.connect()
            try other.send(lines: ["NICK alice", "USER other 0 * :Other"])
            try other.expect(numeric: 1, ["alice"])
        }

        static let vanishings = ["reset", "close"]

        @Test(
            "a client that vanishes without QUIT frees its nick at once and its peers see it quit",
            .timeLimit(.minutes(1)), arguments: vanishings)
        func vanished(how: String) throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a")
            try alice.send("JOIN #lobby")
            try alice.expect(numeric: 366)
            try line.expectLine("JOIN lobby alice")
            try bob.join("#a")
            try alice.sync()
            let source = alice.source
            if how == "reset" { alice.resetAbruptly() } else { alice.close() }
            let again = try server.connect()
            try again.send(lines: ["NICK alice", "USER again 0 * :Again"])
            try again.expect(numeric: 1, ["alice"])
            let quit = try bob.expectLine(matching: { $0.command == "QUIT" }, "QUIT")
            #expect(quit.source == source, "\(quit)")
            try bob.expectNothingQueued()
            try line.expectLine(prefix: "PART lobby alice")
            try line.expectNothingQueued()
        }

        @Test("the nick a client renamed away from is free at once", .timeLimit(.minutes(1)))
        func oldNickFreed() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.rename(to: "alicia")
            let other = try server.connect()
            try other.send(lines: ["NICK alice", "USER other 0 * :Other"])
            try other.expect(numeric: 1, ["alice"])
        }
    }
}
