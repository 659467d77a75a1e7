// IRCMessagingTests: PRIVMSG and NOTICE over real IRC connections (channels, nicks, several
// targets, CTCP ACTION, the error numerics), AWAY, ISON, USERHOST, server-time, echo-message,
// message tags from clients, line limits and unknown commands.
import Foundation
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC messaging")
    struct IRCMessaging {
        static let server = IRCTestServer.defaultName

        /// alice, bob and carol in #a, and dave registered but in no channel. Keep all four: a client
        /// released early closes its socket, and the others would see it quit.
        static func room(_ server: IRCTestServer) throws -> (IRCClient, IRCClient, IRCClient, IRCClient) {
            let clients = try ["alice", "bob", "carol", "dave"].map { try server.register($0) }
            for client in clients.prefix(3) { try client.join("#a") }
            for client in clients { try client.sync() }
            return (clients[0], clients[1], clients[2], clients[3])
        }

        @Test("PRIVMSG to a channel reaches every other member, and not the sender", .timeLimit(.minutes(1)))
        func channelMessage() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try alice.send("PRIVMSG #a :hello, channel")
            try bob.expect(":\(alice.source) PRIVMSG #a :hello, channel")
            try carol.expect(":\(alice.source) PRIVMSG #a :hello, channel")
            try alice.expectNothingQueued()
            try dave.expectNothingQueued()
            try bob.send("PRIVMSG #a word")
            try alice.expect(":\(bob.source) PRIVMSG #a :word")
        }

        @Test("PRIVMSG to a nick reaches only that nick, wherever it is", .timeLimit(.minutes(1)))
        func privateMessage() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try alice.send("PRIVMSG dave :psst, dave")
            try dave.expect(":\(alice.source) PRIVMSG dave :psst, dave")
            try dave.send("PRIVMSG ALICE :hi")
            try alice.expect(":\(dave.source) PRIVMSG alice :hi")
            try bob.expectNothingQueued()
            try carol.expectNothingQueued()
        }

        @Test("PRIVMSG with several targets reaches each target once", .timeLimit(.minutes(1)))
        func severalTargets() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try alice.send("PRIVMSG #a,bob,dave :to all of you")
            try bob.expect(":\(alice.source) PRIVMSG #a :to all of you")
            try bob.expect(":\(alice.source) PRIVMSG bob :to all of you")
            try carol.expect(":\(alice.source) PRIVMSG #a :to all of you")
            try dave.expect(":\(alice.source) PRIVMSG dave :to all of you")
            for client in [alice, bob, carol, dave] { try client.expectNothingQueued() }
        }

        @Test("NOTICE to a channel and to nicks is relayed, and never answered with an error", .timeLimit(.minutes(1)))
        func notice() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try alice.send("NOTICE #a,dave,nobody,#nowhere :heads up")
            try bob.expect(":\(alice.source) NOTICE #a :heads up")
            try carol.expect(":\(alice.source) NOTICE #a :heads up")
            try dave.expect(":\(alice.source) NOTICE dave :heads up")
            try dave.send(lines: ["NOTICE #a :not a member", "NOTICE", "NOTICE bob", "NOTICE bob :"])
            for client in [alice, bob, carol, dave] { try client.expectNothingQueued() }
        }

        @Test("a CTCP ACTION reaches the channel as sent", .timeLimit(.minutes(1)))
        func action() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try alice.send("PRIVMSG #a :\(ctcpAction("waves to everyone"))")
            try bob.expect(":\(alice.source) PRIVMSG #a :\(ctcpAction("waves to everyone"))")
            try carol.expect(":\(alice.source) PRIVMSG #a :\(ctcpAction("waves to everyone"))")
            try alice.send("PRIVMSG dave :\(ctcpAction("nudges dave"))")
            try dave.expect(":\(alice.source) PRIVMSG dave :\(ctcpAction("nudges dave"))")
        }

        @Test(
            "PRIVMSG errors: 401 unknown nick, 403 unknown channel, 404 channel not joined, 411 no recipient, 412 no text",
            .timeLimit(.minutes(1)))
        func errors() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, carol, dave) = try Self.room(server)
            try dave.send("PRIVMSG nobody :hello?")
            try dave.expect(numeric: 401, ["dave", "nobody"])
            try dave.send("PRIVMSG #nowhere :hello?")
            try dave.expect(numeric: 403, ["dave", "#nowhere"])
            try dave.send("PRIVMSG #a :let me in")
            try dave.expect(numeric: 404, ["dave", "#a"])
            try dave.send("PRIVMSG")
            try dave.expect(numeric: 411, ["dave"])
            try dave.send("PRIVMSG bob")
            try dave.expect(numeric: 412, ["dave"])
            try dave.send("PRIVMSG bob :")
            try dave.expect(numeric: 412, ["dave"])
            try dave.send("PRIVMSG nobody,bob :partly delivered")
            try dave.expect(numeric: 401, ["dave", "nobody"])
            try bob.expect(":\(dave.source) PRIVMSG bob :partly delivered")
            for client in [alice, bob, carol, dave] { try client.expectNothingQueued() }
        }

        @Test(
            "AWAY: 306, then 301 to whoever messages the nick and in WHOIS, G in WHO; AWAY alone: 305",
            .timeLimit(.minutes(1)))
        func away() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, _, _) = try Self.room(server)
            try bob.send("AWAY :gone fishing")
            try bob.expect(numeric: 306, ["bob"])
            try alice.send("PRIVMSG bob :are you there?")
            try alice.expect(numeric: 301, ["alice", "bob", "gone fishing"])
            try bob.expect(":\(alice.source) PRIVMSG bob :are you there?")
            try alice.send("NOTICE bob :no auto-reply for notices")
            try alice.expectNothingQueued()
            try alice.send("WHOIS bob")
            let whois = try alice.collect(through: { $0.code == 318 }, "318")
            #expect(whois.contains { $0.isNumeric(301, ["alice", "bob", "gone fishing"]) }, "\(whois.map(\.raw))")
            try alice.send("WHO bob")
            let row = try alice.expect(numeric: 352, ["alice"])
            #expect(row.params.count > 6 && row.params[6].hasPrefix("G"), "away shows as G: \(row)")
            try alice.expect(numeric: 315)
            try alice.send("USERHOST bob")
            try alice.expect(":\(Self.server) 302 alice :bob=-\(bob.userHost)")
            try bob.send("AWAY")
            try bob.expect(numeric: 305, ["bob"])
            try alice.send("PRIVMSG bob :back?")
            try bob.expect(":\(alice.source) PRIVMSG bob :back?")
            try alice.expectNothingQueued()
        }

        @Test("AWAY is announced to channel peers that asked for away-notify, and only to them", .timeLimit(.minutes(1)))
        func awayNotify() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob", capabilities: ["away-notify"])
            let carol = try server.register("carol")
            for client in [alice, bob, carol] { try client.join("#a") }
            try alice.sync()
            try bob.sync()
            try alice.send("AWAY :lunch")
            try alice.expect(numeric: 306)
            try bob.expect(":\(alice.source) AWAY :lunch")
            try alice.send("AWAY")
            try alice.expect(numeric: 305)
            try bob.expect(":\(alice.source) AWAY")
            try carol.expectNothingQueued()
        }

        @Test("ISON answers the nicks present, as they are spelled", .timeLimit(.minutes(1)))
        func ison() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            _ = try server.register("Bob")
            try alice.send("ISON bob nobody \(line.nick.uppercased())")
            let reply = try alice.expect(numeric: 303, ["alice"])
            #expect(reply.text.split(separator: " ").map(String.init).sorted() == ["Bob", line.nick].sorted(), "\(reply)")
            try alice.send("ISON nobody")
            try alice.expect(":\(Self.server) 303 alice :")
        }

        @Test("USERHOST answers nick=+user@host for each nick present", .timeLimit(.minutes(1)))
        func userhost() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.send("USERHOST bob nobody alice")
            let reply = try alice.expect(numeric: 302, ["alice"])
            #expect(
                reply.text.split(separator: " ").sorted() == ["alice=+\(alice.userHost)", "bob=+\(bob.userHost)"],
                "\(reply)")
        }

        @Test("server-time: the time tag is on the lines of clients that negotiated it, and on no others", .timeLimit(.minutes(1)))
        func serverTime() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let timed = try server.register("timed", capabilities: ["server-time"])
            let plain = try server.register("plain")
            let actor = try server.register("actor")
            try timed.join("#a")
            try plain.join("#a")
            try timed.sync()
            try actor.join("#a")
            try actor.send(lines: [
                "PRIVMSG #a :hello", "NOTICE #a :note", "PRIVMSG timed :private", "PRIVMSG plain :private", "NICK actor2",
                "PART #a :bye",
            ])
            let expected = [
                ":\(actor.source) JOIN #a", ":\(actor.source) PRIVMSG #a :hello", ":\(actor.source) NOTICE #a :note",
                ":\(actor.source) PRIVMSG %@ :private", ":\(actor.source) NICK actor2",
                ":actor2!\(actor.userHost) PART #a :bye",
            ]
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for client in [timed, plain] {
                for line in expected {
                    let got = try client.expect(line.replacingOccurrences(of: "%@", with: client.nick))
                    if client === timed {
                        let stamp = try #require(got.tags["time"], "no time tag: \(got)")
                        #expect(stamp.count == 24 && stamp.hasSuffix("Z"), "YYYY-MM-DDThh:mm:ss.sssZ: \(stamp)")
                        let date = try #require(formatter.date(from: stamp), "not ISO 8601: \(stamp)")
                        #expect(abs(date.timeIntervalSinceNow) < 60, "time tag far from now: \(stamp)")
                    } else {
                        #expect(got.tags.isEmpty && !got.raw.hasPrefix("@"), "untagged client got tags: \(got)")
                    }
                }
            }
        }

        @Test(
            "echo-message returns the sender's own PRIVMSG and NOTICE to channels and nicks; without it nothing",
            .timeLimit(.minutes(1)))
        func echoMessage() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let echoed = try server.register("echoed", capabilities: ["echo-message"])
            let other = try server.register("other")
            try echoed.join("#a")
            try other.join("#a")
            try echoed.sync()
            try echoed.send(lines: [
                "PRIVMSG #a :to the channel", "NOTICE #a :a notice", "PRIVMSG other :to you", "PRIVMSG #a :\(ctcpAction("acts"))",
            ])
            try echoed.expect(":\(echoed.source) PRIVMSG #a :to the channel")
            try echoed.expect(":\(echoed.source) NOTICE #a :a notice")
            try echoed.expect(":\(echoed.source) PRIVMSG other :to you")
            try echoed.expect(":\(echoed.source) PRIVMSG #a :\(ctcpAction("acts"))")
            try other.expect(":\(echoed.source) PRIVMSG #a :to the channel")
            try other.expect(":\(echoed.source) NOTICE #a :a notice")
            try other.expect(":\(echoed.source) PRIVMSG other :to you")
            try other.expect(":\(echoed.source) PRIVMSG #a :\(ctcpAction("acts"))")
            try other.send("PRIVMSG #a :not echoed")
            try echoed.expect(":\(other.source) PRIVMSG #a :not echoed")
            try other.expectNothingQueued()
            try echoed.expectNothingQueued()
        }

        @Test("message tags from a client are accepted and not passed to clients without message-tags", .timeLimit(.minutes(1)))
        func clientTags() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, _, _) = try Self.room(server)
            try alice.send("@+draft/reply=abc;label=123 PRIVMSG #a :tagged")
            let line = try bob.expect(":\(alice.source) PRIVMSG #a :tagged")
            #expect(line.tags.isEmpty, "\(line)")
            try alice.send("@\(String(repeating: "t", count: 4000)) PRIVMSG #a :big tags")
            try bob.expect(":\(alice.source) PRIVMSG #a :big tags")
        }

        @Test(
            "a line of 512 bytes with CR LF is accepted: line clients get it whole, IRC clients within 512 bytes",
            .timeLimit(.minutes(1)))
        func longestLine() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let line = try server.connectLine()
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#lobby")
            try bob.join("#lobby")
            try line.sync()
            try alice.sync()
            let prefix = "PRIVMSG #lobby :"
            let text = (0..<(510 - prefix.utf8.count)).map { String($0 % 10) }.joined()
            try alice.send(prefix + text)
            try line.expectLine("MSG lobby alice \(text)")
            // The source makes the relayed line longer than the one sent: the server cuts the text
            // so that the line still fits IRC's 512 bytes.
            let relayed = try bob.expectLine(matching: { $0.command == "PRIVMSG" }, "the PRIVMSG")
            #expect(relayed.source == alice.source && relayed.params.first == "#lobby", "\(relayed)")
            #expect(relayed.raw.utf8.count + 2 <= 512, "\(relayed.raw.utf8.count + 2) bytes")
            #expect(relayed.text.count > 400 && text.hasPrefix(relayed.text), "\(relayed)")
            try alice.expectNothingQueued()
        }

        static let overlongLengths = [513 - 2, 600, 5000, 70_000]

        @Test(
            "a line over 512 bytes gets 417, is not relayed, and the connection carries on",
            .timeLimit(.minutes(1)), arguments: overlongLengths)
        func overlongLine(length: Int) throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, _, _) = try Self.room(server)
            let prefix = "PRIVMSG #a :"
            try alice.send(prefix + String(repeating: "y", count: length - prefix.utf8.count))
            try alice.expect(numeric: 417, ["alice"])
            try alice.expectNothingQueued()
            try bob.expectNothingQueued()
            try alice.send("PRIVMSG #a :still here")
            try bob.expect(":\(alice.source) PRIVMSG #a :still here")
        }

        @Test("an unknown command gets 421 naming it, and commands are matched ignoring case", .timeLimit(.minutes(1)))
        func unknownCommand() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let (alice, bob, _, _) = try Self.room(server)
            try alice.send("FROBNICATE #a :x")
            try alice.expect(numeric: 421, ["alice", "FROBNICATE"])
            try alice.send("privmsg #a :lower-case command")
            try bob.expect(":\(alice.source) PRIVMSG #a :lower-case command")
            try alice.expectNothingQueued()
        }
    }
}
