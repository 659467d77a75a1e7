// IRCMixedRoomTests: line-protocol and IRC clients in one room: #lobby is the room lobby, and each
// side sees the other's messages, actions, private messages, renames, joins, parts and quits, as
// exact lines of its own protocol.
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC and line clients in one room")
    struct IRCMixedRooms {
        /// A line client in the lobby and alice (IRC) in #lobby, each having seen the other arrive.
        static func lobby(_ server: IRCTestServer) throws -> (Client, IRCClient) {
            let line = try server.connectLine()
            let alice = try server.register("alice")
            let lines = try alice.join("#lobby")[0]
            let names = lines.filter { $0.code == 353 }.flatMap(namesIn)
            #expect(Set(names) == ["alice", line.nick], "the line client is in #lobby's names: \(lines.map(\.raw))")
            try line.expectLine("JOIN lobby alice")
            return (line, alice)
        }

        @Test("messages go both ways between a line client and an IRC client", .timeLimit(.minutes(1)))
        func messages() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            try line.send("hello from the line side")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :hello from the line side")
            try alice.send("PRIVMSG #lobby :hello from IRC")
            try line.expectLine("MSG lobby alice hello from IRC")
            try alice.send("PRIVMSG #lobby :  spaced  out  ")
            try line.expectLine("MSG lobby alice   spaced  out  ")
            try line.send("//slash at the start")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :/slash at the start")
            try alice.send("NOTICE #lobby :a notice")
            try line.expectLine("MSG lobby alice a notice")
            try line.expectNothingQueued()
            try alice.expectNothingQueued()
        }

        @Test("/me arrives as CTCP ACTION, and CTCP ACTION as ACTION", .timeLimit(.minutes(1)))
        func actions() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            try line.send("/me waves")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :\(ctcpAction("waves"))")
            try alice.send("PRIVMSG #lobby :\(ctcpAction("waves back"))")
            try line.expectLine("ACTION lobby alice waves back")
            // A CTCP ACTION without its closing \u{1} is accepted by clients and servers alike.
            try alice.send("PRIVMSG #lobby :\u{1}ACTION bows")
            try line.expectLine("ACTION lobby alice bows")
            try line.expectNothingQueued()
        }

        @Test("private messages go both ways: /msg as PRIVMSG, PRIVMSG as PRIV", .timeLimit(.minutes(1)))
        func privateMessages() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            try line.send("/msg alice just between us")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG alice :just between us")
            try alice.send("PRIVMSG \(line.nick) :between us too")
            try line.expectLine("PRIV alice between us too")
            try alice.send("PRIVMSG \(line.nick) :\(ctcpAction("whispers"))")
            try line.expectLine("PRIV alice whispers")
        }

        @Test("nick changes are seen on both sides", .timeLimit(.minutes(1)))
        func nickChanges() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            let guest = line.nick
            try line.send("/nick lina")
            try line.expectLine("NICK \(guest) lina")
            line.nick = "lina"
            try alice.expect(":\(lineSource(guest)) NICK lina")
            let old = alice.source
            try alice.send("NICK alicia")
            try alice.expect(":\(old) NICK alicia")
            alice.nick = "alicia"
            try line.expectLine("NICK alice alicia")
            try line.send("/msg alicia renamed?")
            try alice.expect(":\(lineSource("lina")) PRIVMSG alicia :renamed?")
            try alice.send("PRIVMSG lina :yes")
            try line.expectLine("PRIV alicia yes")
            // A nick held on one side is taken on the other.
            try line.send("/nick ALICIA")
            try line.expectLine(prefix: "ERR nick-taken ")
            try alice.send("NICK Lina")
            try alice.expect(numeric: 433, ["alicia", "Lina"])
        }

        @Test("IRC nicks with brackets, pipes and carets are nicks on the line side too", .timeLimit(.minutes(1)))
        func ircStyleNicks() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let bot = try server.register("[bot]|x^")
            try bot.join("#lobby")
            try line.expectLine("JOIN lobby [bot]|x^")
            try line.send("/msg [BOT]|X^ hi bot")
            try bot.expect(":\(lineSource(line.nick)) PRIVMSG [bot]|x^ :hi bot")
            try bot.send("PRIVMSG #lobby :beep")
            try line.expectLine("MSG lobby [bot]|x^ beep")
            try line.send("/nick {guest}")
            try line.expectLine("NICK \(line.nick) {guest}")
            try bot.expect(":\(lineSource(line.nick)) NICK {guest}")
        }

        @Test("joins and parts are seen on both sides", .timeLimit(.minutes(1)))
        func joinsAndParts() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            let second = try server.connectLine()
            try alice.expect(":\(lineSource(second.nick)) JOIN #lobby")
            try line.expectLine("JOIN lobby \(second.nick)")
            try second.join("den")
            try alice.expect(":\(lineSource(second.nick)) PART #lobby")
            try line.expectLine("PART lobby \(second.nick)")
            try alice.send("JOIN #den")
            let joined = try alice.collect(through: { $0.code == 366 }, "366")
            #expect(Set(joined.filter { $0.code == 353 }.flatMap(namesIn)) == ["alice", second.nick], "\(joined.map(\.raw))")
            try second.expectLine("JOIN den alice")
            try alice.send("PART #lobby :off to the den")
            try alice.expect(":\(alice.source) PART #lobby :off to the den")
            try line.expectLine("PART lobby alice off to the den")
            try alice.send("PART #den")
            try alice.expect(":\(alice.source) PART #den")
            try second.expectLine("PART den alice")
            try line.expectNothingQueued()
            try second.expectNothingQueued()
        }

        @Test("quits are seen on both sides, with their reasons", .timeLimit(.minutes(1)))
        func quits() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            let second = try server.connectLine()
            try alice.expect(":\(lineSource(second.nick)) JOIN #lobby")
            try line.expectLine("JOIN lobby \(second.nick)")
            try second.send("/quit see you")
            try second.expectLine("BYE see you")
            try second.waitForClose()
            try alice.expect(":\(lineSource(second.nick)) QUIT :Quit: see you")
            try line.expectLine("PART lobby \(second.nick) see you")
            try alice.send("QUIT :bye all")
            #expect(try alice.waitForClose().last?.command == "ERROR")
            try line.expectLine("PART lobby alice bye all")
            try line.expectNothingQueued()
            // A line client that just closes its connection quits too.
            let bob = try server.register("bob")
            try bob.join("#lobby")
            try line.expectLine("JOIN lobby bob")
            line.close()
            let quit = try bob.expectLine(matching: { $0.command == "QUIT" }, "QUIT")
            #expect(quit.source == lineSource(line.nick), "\(quit)")
        }

        @Test("NAMES and WHO list line clients, and /who lists IRC clients", .timeLimit(.minutes(1)))
        func listings() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            try alice.send("WHO #lobby")
            let rows = try alice.collect(through: { $0.code == 315 }, "315").filter { $0.code == 352 }
            #expect(Set(rows.compactMap { $0.params.count > 5 ? $0.params[5] : nil }) == ["alice", line.nick], "\(rows)")
            try alice.send("WHOIS \(line.nick)")
            let whois = try alice.collect(through: { $0.code == 318 }, "318")
            #expect(whois.first?.isNumeric(311, ["alice", line.nick]) == true, "\(whois.map(\.raw))")
            #expect(whois.contains { $0.isNumeric(319, ["alice", line.nick]) && namesIn($0) == ["#lobby"] }, "\(whois.map(\.raw))")
            let who = try line.listing("/who")
            #expect(who == ["USER alice", "USER \(line.nick)", "END who"])
            let rooms = try line.listing("/rooms")
            #expect(rooms == ["ROOM lobby 2", "END rooms"])
        }

        @Test(
            "MODE #lobby, a room the line protocol created, answers 324 and 329 with the room's creation time",
            .timeLimit(.minutes(1)))
        func lobbyCreationTime() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let before = time(nil)
            let (_, alice) = try Self.lobby(server)
            try alice.send("MODE #lobby")
            try alice.expect(numeric: 324, ["alice", "#lobby"])
            let created = try alice.expect(numeric: 329, ["alice", "#lobby"])
            let seconds = created.params.count > 2 ? Int(created.params[2]) : nil
            #expect(seconds.map { abs($0 - before) <= 60 } == true, "329 must give when #lobby was created: \(created)")
        }

        @Test("an IRC client in several channels is in the line client's room only through #lobby", .timeLimit(.minutes(1)))
        func otherChannels() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (line, alice) = try Self.lobby(server)
            try alice.join("#elsewhere")
            try alice.send("PRIVMSG #elsewhere :not for the lobby")
            try line.expectNothingQueued()
            try alice.send("PART #elsewhere")
            try alice.expect(":\(alice.source) PART #elsewhere")
            try line.expectNothingQueued()
            try line.send("still here")
            try alice.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :still here")
        }
    }
}
