// IRCRegistrationTests: the IRC front end over real sockets, from connect to the end of the MOTD:
// NICK/USER, CAP, PASS, 001-005 and ISUPPORT, LUSERS, MOTD, and the errors of registration.
import Foundation
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC registration")
    struct IRCRegistration {
        static let server = IRCTestServer.defaultName

        @Test(
            "NICK then USER registers: 001 to 005, LUSERS numerics, then 422 without a MOTD",
            .timeLimit(.minutes(1)))
        func nickThenUser() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            let burst = try client.register(nick: "alice", realName: "Alice Liddell")
            #expect(client.nick == "alice")
            #expect(client.userHost.hasSuffix("@localhost"), "over a Unix socket the host is localhost: \(client.userHost)")
            for line in burst {
                #expect(line.source == Self.server, "numerics come from the server: \(line)")
                #expect(line.params.first == "alice", "numerics are addressed to the nick: \(line)")
            }
            let codes = burst.compactMap(\.code)
            #expect(Array(codes.prefix(4)) == [1, 2, 3, 4], "\(codes)")
            let isupport = codes.dropFirst(4).prefix { $0 == 5 }
            #expect(!isupport.isEmpty, "no 005 after 004: \(codes)")
            let lusers = Array(codes.dropFirst(4 + isupport.count).dropLast())
            #expect(lusers.first == 251 && lusers.contains(255), "LUSERS must include 251 and 255: \(codes)")
            #expect(lusers == lusers.sorted() && lusers.allSatisfy { (251...255).contains($0) || $0 == 265 || $0 == 266 })
            #expect(codes.last == 422, "no --motd: the burst ends with 422: \(codes)")
            let welcome = try #require(burst.first { $0.code == 1 })
            #expect(welcome.text.hasSuffix(" alice!\(client.userHost)"), "\(welcome)")
            let yourHost = try #require(burst.first { $0.code == 2 })
            #expect(yourHost.text.contains(Self.server), "\(yourHost)")
            let myInfo = try #require(burst.first { $0.code == 4 })
            #expect(myInfo.params.count >= 5 && myInfo.params[1] == Self.server, "004 <nick> <server> <version> <umodes> <cmodes>: \(myInfo)")
            try client.expectNothingQueued()
        }

        @Test("USER before NICK registers just the same", .timeLimit(.minutes(1)))
        func userThenNick() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("USER bob 0 * :Bob Builder")
            try client.expectNothingQueued()
            try client.send("NICK bob")
            let welcome = try client.expect(numeric: 1, ["bob"])
            #expect(welcome.text.hasSuffix(" bob!~bob@localhost"), "\(welcome)")
            try client.expect(numeric: 422, ["bob"])
            try client.send("WHOIS bob")
            try client.expect(numeric: 311, ["bob", "bob"])
        }

        @Test(
            "005 advertises CASEMAPPING=ascii, CHANTYPES=#, CHANMODES, PREFIX, NICKLEN=32, CHANNELLEN, TOPICLEN, NETWORK and LINELEN=512",
            .timeLimit(.minutes(1)))
        func isupport() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            let burst = try client.register(nick: "alice")
            var tokens: [String: String] = [:]
            for line in burst where line.code == 5 {
                #expect(line.raw.utf8.count + 2 <= 512, "005 longer than 512 bytes: \(line)")
                #expect(line.params.count <= 15, "005 with more than 15 parameters: \(line)")
                #expect(line.params.count >= 3, "005 <nick> <tokens…> :<text>: \(line)")
                for token in line.params.dropFirst().dropLast() {
                    let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    tokens[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
            }
            #expect(tokens["CASEMAPPING"] == "ascii")
            #expect(tokens["CHANTYPES"] == "#")
            #expect(tokens["PREFIX"] == "(ov)@+")
            #expect(tokens["NICKLEN"] == "32")
            #expect(tokens["LINELEN"] == "512")
            #expect(tokens["NETWORK"].map { !$0.isEmpty } == true, "NETWORK: \(tokens)")
            #expect(tokens["CHANNELLEN"].flatMap(Int.init).map { $0 >= 33 } == true, "# plus 32 characters: \(tokens)")
            #expect(tokens["TOPICLEN"].flatMap(Int.init).map { $0 > 0 } == true, "TOPICLEN: \(tokens)")
            let chanmodes = tokens["CHANMODES"]?.split(separator: ",", omittingEmptySubsequences: false) ?? []
            #expect(chanmodes.count == 4, "CHANMODES=A,B,C,D: \(tokens)")
            #expect(chanmodes.joined().contains("n") && chanmodes.joined().contains("t"), "+n and +t: \(tokens)")
        }

        @Test(
            "LUSERS counts the users of both protocols, unregistered connections and channels",
            .timeLimit(.minutes(1)))
        func lusers() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            try alice.join("#lobby", "#two")
            let pending = try server.connect()
            try pending.send("PING :here")
            try pending.expect(":\(Self.server) PONG \(Self.server) :here")
            try line.sync()
            try alice.send("LUSERS")
            let lines = try alice.collect(through: { $0.code == 255 }, "255")
            let users = try #require(lines.first { $0.code == 251 }, "\(lines)")
            #expect(users.text.contains("There are 2 users"), "alice and the line client: \(users)")
            #expect(lines.contains { $0.isNumeric(253, ["alice", "1"]) }, "one unregistered connection: \(lines.map(\.raw))")
            #expect(lines.contains { $0.isNumeric(254, ["alice", "2"]) }, "#lobby and #two: \(lines.map(\.raw))")
            #expect(lines.last?.text.contains("I have 2 clients") == true, "\(lines.map(\.raw))")
        }

        @Test("--motd FILE sends 375, a 372 per line and 376, at registration and for MOTD", .timeLimit(.minutes(1)))
        func motdFile() throws {
            let path = temporaryPath("motd")
            try "Welcome to the test server\n\nRules: be nice\n".write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            let server = try IRCTestServer.start(["--motd", path])
            defer { server.stop() }
            let client = try server.connect()
            let burst = try client.register(nick: "alice")
            let expected = [
                ":\(Self.server) 375 alice :- \(Self.server) Message of the day - ",
                ":\(Self.server) 372 alice :- Welcome to the test server",
                ":\(Self.server) 372 alice :- ",
                ":\(Self.server) 372 alice :- Rules: be nice",
                ":\(Self.server) 376 alice :End of /MOTD command.",
            ]
            let motd = burst.filter { [375, 372, 376].contains($0.code ?? 0) }
            #expect(motd.map(\.command) == ["375", "372", "372", "372", "376"], "\(burst.map(\.raw))")
            #expect(motd.dropFirst().dropLast().map(\.text) == ["- Welcome to the test server", "- ", "- Rules: be nice"])
            #expect(!burst.contains { $0.code == 422 })
            try client.send("MOTD")
            let again = try client.collect(through: { $0.code == 376 }, "376")
            #expect(again.map(\.command) == expected.map { IRCLine($0).command })
            #expect(again.dropFirst().dropLast().map(\.text) == motd.dropFirst().dropLast().map(\.text))
        }

        @Test("without --motd, registration and MOTD answer 422", .timeLimit(.minutes(1)))
        func noMotd() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            let burst = try client.register(nick: "alice")
            #expect(burst.last?.isNumeric(422, ["alice"]) == true)
            #expect(!burst.contains { [375, 372, 376].contains($0.code ?? 0) })
            try client.send("MOTD")
            try client.expect(numeric: 422, ["alice"])
            try client.expectNothingQueued()
        }

        @Test("CAP LS 302 lists the capabilities and holds registration until CAP END", .timeLimit(.minutes(1)))
        func capHoldsRegistration() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("CAP LS 302")
            let ls = try client.expectLine(matching: { $0.command == "CAP" }, "CAP LS")
            #expect(ls.source == Self.server)
            #expect(Array(ls.params.prefix(2)) == ["*", "LS"], "\(ls)")
            let offered = Set(ls.text.split(separator: " ").map { String($0.prefix { $0 != "=" }) })
            let wanted: Set = [
                "cap-notify", "multi-prefix", "userhost-in-names", "message-tags", "server-time", "echo-message",
                "away-notify",
            ]
            #expect(wanted.isSubset(of: offered), "missing \(wanted.subtracting(offered)) in \(ls)")
            try client.send(lines: ["NICK alice", "USER alice 0 * :Alice"])
            let held = try client.sync()
            #expect(!held.contains { $0.code == 1 }, "registered before CAP END: \(held.map(\.raw))")
            try client.send("CAP END")
            try client.expect(numeric: 1, ["alice"])
            try client.expect(numeric: 422, ["alice"])
        }

        @Test("CAP REQ of offered capabilities is ACKed and CAP LIST shows them", .timeLimit(.minutes(1)))
        func capReqAck() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("CAP LS 302")
            try client.expectLine(matching: { $0.command == "CAP" }, "CAP LS")
            try client.send("CAP REQ :multi-prefix echo-message")
            try client.expect(":\(Self.server) CAP * ACK :multi-prefix echo-message")
            try client.send("CAP LIST")
            let list = try client.expectLine(matching: { $0.command == "CAP" }, "CAP LIST")
            #expect(Array(list.params.prefix(2)) == ["*", "LIST"], "\(list)")
            #expect(Set(list.text.split(separator: " ")) == ["multi-prefix", "echo-message"], "\(list)")
            try client.send(lines: ["NICK alice", "USER alice 0 * :Alice", "CAP END"])
            try client.expect(numeric: 1, ["alice"])
            try client.expect(numeric: 422)
            try client.send("CAP LIST")
            let after = try client.expectLine(matching: { $0.command == "CAP" }, "CAP LIST")
            #expect(Array(after.params.prefix(2)) == ["alice", "LIST"], "after registration CAP is addressed to the nick: \(after)")
            #expect(Set(after.text.split(separator: " ")) == ["multi-prefix", "echo-message"], "\(after)")
        }

        @Test("CAP REQ naming an unknown capability is NAKed whole and enables nothing", .timeLimit(.minutes(1)))
        func capReqNak() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("CAP LS 302")
            try client.expectLine(matching: { $0.command == "CAP" }, "CAP LS")
            try client.send("CAP REQ :server-time no-such-capability")
            try client.expect(":\(Self.server) CAP * NAK :server-time no-such-capability")
            try client.send("CAP LIST")
            let list = try client.expectLine(matching: { $0.command == "CAP" }, "CAP LIST")
            #expect(list.text.isEmpty, "nothing enabled after a NAK: \(list)")
            try client.send(lines: ["NICK alice", "USER alice 0 * :Alice", "CAP END"])
            try client.expect(numeric: 1, ["alice"])
            try client.expect(numeric: 422)
            let line = try server.connectLine()
            try client.join("#lobby")
            try line.expectLine("JOIN lobby alice")
            try line.send("untagged")
            let message = try client.expect(":\(lineSource(line.nick)) PRIVMSG #lobby :untagged")
            #expect(message.tags.isEmpty, "no server-time after a NAK: \(message)")
        }

        @Test("CAP REQ -capability disables a capability enabled before", .timeLimit(.minutes(1)))
        func capReqRemove() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.register("alice", capabilities: ["multi-prefix", "echo-message"])
            try client.send("CAP REQ :-echo-message")
            try client.expect(":\(Self.server) CAP alice ACK :-echo-message")
            try client.send("CAP LIST")
            try client.expect(":\(Self.server) CAP alice LIST :multi-prefix")
            try client.join("#lobby")
            try client.send("PRIVMSG #lobby :not echoed")
            try client.expectNothingQueued()
        }

        @Test(
            "clients that leave halfway through registration leave nothing behind: the next registers with only what it sent",
            .timeLimit(.minutes(1)))
        func abandonedRegistration() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let watcher = try server.connectLine()
            // Each says USER and starts CAP negotiation, then goes: if the server kept either for
            // the next client on the same slot, that client would register on NICK alone, or never.
            for _ in 0..<3 {
                let ghost = try server.connect()
                try ghost.send(lines: ["CAP LS 302", "USER ghost 0 * :Ghost Writer"])
                try ghost.sync()
                ghost.close()
            }
            let deadline = Deadline(.seconds(10))
            while try watcher.stats()["connections"] != 1 && !deadline.hasPassed {}
            #expect(try watcher.stats()["connections"] == 1, "the ghosts are still connected")

            let client = try server.connect()
            try client.send("NICK bob")
            try client.expectNothingQueued()
            let before = Int(Date().timeIntervalSince1970)
            try client.send("USER bob 0 * :Bob Builder")
            let welcome = try client.expect(numeric: 1, ["bob"])
            #expect(welcome.text.hasSuffix(" bob!~bob@localhost"), "\(welcome)")
            try client.expect(numeric: 422, ["bob"])
            try client.send("WHOIS bob")
            let lines = try client.collect(through: { $0.code == 318 }, "318")
            let after = Int(Date().timeIntervalSince1970)
            #expect(lines.first?.params == ["bob", "bob", "~bob", "localhost", "*", "Bob Builder"], "\(lines.map(\.raw))")
            // 317 <me> <nick> <idle> <signon>: the sign-on time is the wall clock's, in seconds.
            let idle = try #require(lines.first { $0.code == 317 }, "\(lines.map(\.raw))")
            let signon = try #require(idle.params.count > 3 ? Int(idle.params[3]) : nil, "\(idle)")
            #expect((before...after).contains(signon), "signed on at \(signon), not in \(before)...\(after)")
        }

        @Test("PASS with the right --irc-password registers", .timeLimit(.minutes(1)))
        func rightPassword() throws {
            let server = try IRCTestServer.start(["--irc-password", "sekret"])
            defer { server.stop() }
            let client = try server.connect()
            try client.register(nick: "alice", password: "sekret")
            try client.send("PASS sekret")
            try client.expect(numeric: 462, ["alice"])
        }

        static let wrongPasswords: [String?] = ["wrong", "SEKRET", nil]

        @Test(
            "with --irc-password, a wrong or missing PASS gets 464 and ERROR and the connection closes",
            .timeLimit(.minutes(1)), arguments: wrongPasswords)
        func wrongPassword(password: String?) throws {
            let server = try IRCTestServer.start(["--irc-password", "sekret"])
            defer { server.stop() }
            let watcher = try server.connectLine()
            let client = try server.connect()
            var lines = password.map { ["PASS \($0)"] } ?? []
            lines += ["NICK mallory", "USER mallory 0 * :Mallory"]
            try client.send(lines: lines)
            let before = try client.waitForClose()
            #expect(before.contains { $0.code == 464 }, "\(before.map(\.raw))")
            #expect(before.last?.command == "ERROR", "ERROR is the last line: \(before.map(\.raw))")
            #expect(!before.contains { $0.code == 1 }, "registered without the password: \(before.map(\.raw))")
            try watcher.expectNothingQueued()
            // The nick was never admitted, and is free for the next client.
            let next = try server.connect()
            try next.register(nick: "mallory", password: "sekret")
        }

        @Test("commands before registration get 451 and change nothing", .timeLimit(.minutes(1)))
        func notRegistered() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let client = try server.connect()
            for command in ["JOIN #lobby", "PRIVMSG #lobby :early", "NAMES #lobby", "WHO #lobby", "LIST", "AWAY :x"] {
                try client.send(command)
                try client.expect(numeric: 451)
            }
            try client.expectNothingQueued()
            try line.expectNothingQueued()
            try client.register(nick: "alice")
            try client.send("WHOIS alice")
            let whois = try client.collect(through: { $0.code == 318 }, "318")
            #expect(!whois.contains { $0.code == 319 }, "in no channel: \(whois.map(\.raw))")
        }

        @Test("PING before registration is answered with PONG", .timeLimit(.minutes(1)))
        func pingBeforeRegistration() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("PING :early bird")
            try client.expect(":\(Self.server) PONG \(Self.server) :early bird")
            try client.send("NICK alice")
            try client.send("PING token")
            try client.expect(":\(Self.server) PONG \(Self.server) token")
            try client.send("USER alice 0 * :Alice")
            try client.expect(numeric: 1, ["alice"])
        }

        @Test("NICK without a nick gets 431, before and after registration", .timeLimit(.minutes(1)))
        func noNickname() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("NICK")
            try client.expect(numeric: 431, ["*"])
            try client.send("NICK :")
            try client.expect(numeric: 431, ["*"])
            try client.register(nick: "alice")
            try client.send("NICK")
            try client.expect(numeric: 431, ["alice"])
            try client.expectNothingQueued()
        }

        static let erroneousNicks = ["9lives", "-dash", "bad!nick", "a.b", "#chan", "a:b", String(repeating: "n", count: 33)]

        @Test(
            "an erroneous nick gets 432 and registration waits for a valid one", .timeLimit(.minutes(1)),
            arguments: erroneousNicks)
        func erroneousNick(nick: String) throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send(lines: ["NICK \(nick)", "USER someone 0 * :Someone"])
            try client.expect(numeric: 432, ["*", nick])
            try client.expectNothingQueued()
            try client.send("NICK fine")
            try client.expect(numeric: 1, ["fine"])
            try client.send("NICK \(nick)")
            try client.expect(numeric: 432, ["fine", nick])
        }

        @Test(
            "a nick in use, ignoring case, gets 433 with target * and registration completes under another",
            .timeLimit(.minutes(1)))
        func nickInUseWhileRegistering() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("Alice")
            let line = try server.connectLine()
            let client = try server.connect()
            try client.send(lines: ["NICK alice", "USER alice 0 * :Another"])
            try client.expect(numeric: 433, ["*", "alice"])
            try client.send("NICK ALICE")
            try client.expect(numeric: 433, ["*", "ALICE"])
            try client.expectNothingQueued()
            try client.send("NICK alice2")
            try client.expect(numeric: 1, ["alice2"])
            try alice.expectNothingQueued()
            try line.send("/nick alice")
            try line.expectLine(prefix: "ERR nick-taken ")
        }

        @Test("after registration, NICK to a nick in use gets 433 and the nick stays", .timeLimit(.minutes(1)))
        func nickInUseAfterRegistration() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try bob.send("NICK Alice")
            try bob.expect(numeric: 433, ["bob", "Alice"])
            try bob.send("NICK \(line.nick)")
            try bob.expect(numeric: 433, ["bob", line.nick])
            try bob.send("WHOIS bob")
            try bob.expect(numeric: 311, ["bob", "bob"])
            try alice.expectNothingQueued()
        }

        @Test("USER with too few parameters, and commands missing theirs, get 461", .timeLimit(.minutes(1)))
        func needMoreParams() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.connect()
            try client.send("NICK alice")
            for user in ["USER", "USER alice", "USER alice 0 *"] {
                try client.send(user)
                try client.expect(numeric: 461, ["alice", "USER"])
            }
            try client.send("USER alice 0 * :Alice")
            try client.expect(numeric: 1, ["alice"])
            try client.expect(numeric: 422)
            for command in ["JOIN", "PART", "ISON", "USERHOST", "MODE", "TOPIC"] {
                try client.send(command)
                try client.expect(numeric: 461, ["alice", command])
            }
            try client.expectNothingQueued()
        }

        @Test("USER and PASS after registration get 462", .timeLimit(.minutes(1)))
        func alreadyRegistered() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let client = try server.register("alice")
            try client.send("USER other 0 * :Other")
            try client.expect(numeric: 462, ["alice"])
            try client.send("PASS whatever")
            try client.expect(numeric: 462, ["alice"])
            try client.send("WHOIS alice")
            try client.expect(numeric: 311, ["alice", "alice", "~alice"])
        }

        @Test("over TCP on --irc-port, registration works and the mask shows the client's address", .timeLimit(.minutes(1)))
        func overTCP() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            let client = try server.connect()
            try client.register(nick: "alice")
            #expect(client.userHost == "~alice@127.0.0.1")
        }

        @Test("--server-name is the source of every numeric and of PONG", .timeLimit(.minutes(1)))
        func serverName() throws {
            let name = "My.Little.Server"
            let server = try IRCTestServer.start(["--server-name", name])
            defer { server.stop() }
            let client = try server.connect()
            try client.send(lines: ["NICK alice", "USER alice 0 * :Alice"])
            let burst = try client.collect(through: { $0.code == 422 }, "422")
            #expect(burst.allSatisfy { $0.source == name }, "\(burst.map(\.raw))")
            #expect(burst.first { $0.code == 4 }?.params.dropFirst().first == name)
            try client.send("PING x")
            try client.expect(":\(name) PONG \(name) x")
        }

        @Test("every line the server sends ends in CR LF", .timeLimit(.minutes(1)))
        func crlf() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.connect()
            try alice.register(nick: "alice", capabilities: ["server-time", "echo-message"])
            let bob = try server.register("bob")
            try alice.join("#lobby")
            try bob.join("#lobby")
            try line.send("hello")
            try alice.send(lines: ["PRIVMSG #lobby :hi", "NAMES #lobby", "WHO #lobby", "WHOIS bob", "LIST", "FOO"])
            try alice.sync()
            try bob.sync()
            try bob.send("QUIT :bye")
            try bob.waitForClose()
            #expect(alice.received.count > 20)
            #expect(alice.linesWithoutCR.isEmpty, "\(alice.linesWithoutCR)")
            #expect(bob.linesWithoutCR.isEmpty, "\(bob.linesWithoutCR)")
        }
    }
}
