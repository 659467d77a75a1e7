// IRCConformanceTests: what the irctest conformance suite found, pinned over real IRC connections:
// client input quoted in replies, message tags (msgid, client-only tags, TAGMSG), WHO masks and +i,
// WHOX, LUSERS 265/266, silent no-op NICK, KICK's default comment, mode parameters, TIME and VERSION.
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC conformance")
    struct IRCConformance {
        @Test(
            "client input quoted as a middle parameter (421, 403, 441, 315, mode arguments) never crashes the server",
            .timeLimit(.minutes(1)))
        func quotedInput() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let early = try server.connect()
            try early.send(":a :b")
            try early.expect(numeric: 421, ["*", "b"])
            let alice = try server.register("alice")
            try alice.join("#ok")
            try alice.send("JOIN :#a b")
            try alice.expect(numeric: 403, ["alice", "#a_b"])
            try alice.send("KICK #ok :x y")
            try alice.expect(numeric: 441, ["alice", "x_y", "#ok"])
            try alice.send("WHO :a b")
            try alice.expect(numeric: 315, ["alice", "a_b"])
            try alice.send("MODE #ok +k :a b")
            try alice.expect(numeric: 696, ["alice", "#ok", "k", "*"])
            try alice.send("MODE #ok +b ::x")
            try alice.expect(numeric: 696, ["alice", "#ok", "b", "*"])
            try alice.send("MODE #ok +o nobody")
            try alice.expect(numeric: 401, ["alice", "nobody"])
            try alice.expectNothingQueued()
        }

        @Test(
            "message-tags clients get msgid and the sender's client-only tags; server-time clients only time; others none",
            .timeLimit(.minutes(1)))
        func messageTags() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice", capabilities: ["message-tags", "echo-message"])
            let bob = try server.register("bob", capabilities: ["message-tags"])
            let carol = try server.register("carol")
            let dave = try server.register("dave", capabilities: ["server-time"])
            for client in [alice, bob, carol, dave] { try client.join("#t") }
            for client in [alice, bob, carol, dave] { try client.sync() }
            try alice.send("@+baz=bat;fizz=buzz PRIVMSG #t :hi")
            let echo = try alice.expect(":\(alice.source) PRIVMSG #t :hi")
            let relayed = try bob.expect(":\(alice.source) PRIVMSG #t :hi")
            #expect(relayed.tags["+baz"] == "bat" && relayed.tags["fizz"] == nil, "\(relayed)")
            #expect(relayed.tags["msgid"].map { !$0.isEmpty } == true && relayed.tags["time"] != nil, "\(relayed)")
            #expect(echo.tags["msgid"] == relayed.tags["msgid"], "echo \(echo), relay \(relayed)")
            let plain = try carol.expect(":\(alice.source) PRIVMSG #t :hi")
            #expect(plain.raw.hasPrefix(":"), "\(plain)")
            let timed = try dave.expect(":\(alice.source) PRIVMSG #t :hi")
            #expect(timed.tags["time"] != nil && timed.tags["+baz"] == nil && timed.tags["msgid"] == nil, "\(timed)")

            // TAGMSG reaches message-tags clients only, escaped tags intact.
            try alice.send(#"@+typing=active;+x=a\:b TAGMSG #t"#)
            let tagEcho = try alice.expect(":\(alice.source) TAGMSG #t")
            let tagRelay = try bob.expect(":\(alice.source) TAGMSG #t")
            #expect(tagRelay.tags["+typing"] == "active" && tagRelay.tags["+x"] == #"a\:b"#, "\(tagRelay)")
            #expect(tagEcho.tags["msgid"] == tagRelay.tags["msgid"], "\(tagEcho) \(tagRelay)")
            try carol.expectNothingQueued()
            try dave.expectNothingQueued()

            // Private messages carry tags too.
            try carol.send("PRIVMSG bob :psst")
            let fromCarol = try bob.expect(":\(carol.source) PRIVMSG bob :psst")
            #expect(fromCarol.tags["msgid"] != nil, "\(fromCarol)")
        }

        @Test("WHO: nick queries answer channel *, masks match, +i hides a client from masks unless a channel is shared", .timeLimit(.minutes(1)))
        func whoMasks() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let evan = try server.register("evan")
            let shiv = try server.register("shiv")
            try evan.send("MODE evan +i")
            try evan.expect(":\(evan.source) MODE evan :+i")
            try evan.send("MODE evan")
            try evan.expect(numeric: 221, ["evan", "+i"])
            try shiv.send("WHO eva*")
            try shiv.expect(numeric: 315, ["shiv", "eva*"])
            try shiv.expectNothingQueued()
            try shiv.send("WHO evan")
            let row = try shiv.expect(numeric: 352, ["shiv", "*"])
            #expect(row.params.count > 6 && row.params[5] == "evan" && row.params[6] == "H", "\(row)")
            try shiv.expect(numeric: 315, ["shiv", "evan"])
            try evan.join("#s")
            try shiv.join("#s")
            try shiv.send("WHO eva*")
            try shiv.expect(numeric: 352, ["shiv", "*"])
            try shiv.expect(numeric: 315, ["shiv", "eva*"])
            // WHOX: the fields asked for, in the fixed order, with the token.
            try shiv.send("WHO evan %tnf,42")
            try shiv.expect(numeric: 354, ["shiv", "42", "evan", "H"])
            try shiv.expect(numeric: 315, ["shiv", "evan"])
        }

        @Test("LUSERS sends 265 and 266; a NICK to the nick held is silent; JOIN sends no 331", .timeLimit(.minutes(1)))
        func registrationDetails() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.send("LUSERS")
            try alice.expect(numeric: 251, ["alice", "There are 2 users and 0 invisible on 1 servers"])
            try alice.expect(numeric: 265, ["alice"])
            try alice.expect(numeric: 266, ["alice"])
            let joined = try alice.join("#x")[0]
            #expect(!joined.contains { $0.code == 331 }, "\(joined.map(\.raw))")
            try bob.join("#x")
            try alice.sync()
            try alice.send("NICK alice")
            try alice.expectNothingQueued()
            try bob.expectNothingQueued()
            try alice.send("NICK Alice")
            try bob.expect(":\(alice.source) NICK :Alice")
        }

        @Test("KICK without a comment gives the kicker's nick; away-notify hears an away user join", .timeLimit(.minutes(1)))
        func kickAndAwayOnJoin() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let op = try server.register("op", capabilities: ["away-notify"])
            let bob = try server.register("bob")
            try op.join("#k")
            try bob.send("AWAY :out")
            try bob.expect(numeric: 306)
            try bob.join("#k")
            try op.expect(":\(bob.source) JOIN #k")
            try op.expect(":\(bob.source) AWAY :out")
            try op.send("KICK #k bob")
            try op.expect(":\(op.source) KICK #k bob :op")
            try bob.expectEventually(":\(op.source) KICK #k bob :op")
        }

        @Test("TIME answers 391; VERSION 351 and the 005s; NAMES of several channels ends with one 366", .timeLimit(.minutes(1)))
        func serverQueries() throws {
            let server = try IRCTestServer.start(["--server-name", "irc.test.example"])
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.send("TIME")
            try alice.expect(numeric: 391, ["alice", "irc.test.example"])
            try alice.send("VERSION")
            try alice.expect(numeric: 351, ["alice"])
            try alice.expect(numeric: 5, ["alice"])
            try alice.sync()
            try alice.join("#a", "#b")
            try alice.sync()
            try alice.send("NAMES #a,#b")
            let lines = try alice.collect(through: { $0.code == 366 }, "366")
            #expect(lines.map(\.code) == [353, 353, 366], "\(lines.map(\.raw))")
            #expect(lines.last?.isNumeric(366, ["alice", "#a,#b"]) == true, "\(lines.map(\.raw))")
        }
    }
}
