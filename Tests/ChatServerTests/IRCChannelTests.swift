// IRCChannelTests: channels over real IRC connections: JOIN (several at once, 0, bad names), PART,
// NAMES, WHO, WHOIS, LIST, and the burst irssi sends after every JOIN.
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC channels")
    struct IRCChannels {
        static let server = IRCTestServer.defaultName

        @Test("JOIN of several channels sends, for each, the JOIN, its names and 366", .timeLimit(.minutes(1)))
        func joinSeveral() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let groups = try alice.join("#a", "#b", "#c")
            for (channel, lines) in zip(["#a", "#b", "#c"], groups) {
                #expect(lines.map(\.command) == ["JOIN", "353", "366"], "\(channel): \(lines.map(\.raw))")
                #expect(lines[1].isNumeric(353, ["alice", "=", channel]), "\(lines[1])")
                #expect(lines[1].text == "@alice", "the creator of a channel is its operator: \(lines[1])")
            }
            let bob = try server.register("bob")
            let bobs = try bob.join("#a", "#b")
            for lines in bobs {
                let names = lines.filter { $0.code == 353 }.flatMap(namesIn)
                #expect(Set(names) == ["alice", "bob"], "\(lines.map(\.raw))")
            }
            try alice.expect(":\(bob.source) JOIN #a")
            try alice.expect(":\(bob.source) JOIN #b")
            try alice.expectNothingQueued()
        }

        @Test("JOIN of a channel already joined changes nothing", .timeLimit(.minutes(1)))
        func joinAgain() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a")
            try bob.join("#a")
            try alice.expect(":\(bob.source) JOIN #a")
            try bob.send("JOIN #a")
            let lines = try bob.sync()
            #expect(!lines.contains { $0.command == "JOIN" }, "\(lines.map(\.raw))")
            try alice.expectNothingQueued()
        }

        @Test("channel names ignore case and keep the spelling of the channel's creator", .timeLimit(.minutes(1)))
        func channelCase() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.join("#Den")
            let bob = try server.register("bob")
            try bob.send("JOIN #DEN")
            try bob.expect(":\(bob.source) JOIN #Den")
            try bob.expect(numeric: 366, ["bob", "#Den"])
            try alice.expect(":\(bob.source) JOIN #Den")
            try bob.send("PRIVMSG #den :hello")
            try alice.expect(":\(bob.source) PRIVMSG #Den :hello")
        }

        @Test("JOIN of a name that is not a channel gets 403 and the valid ones are still joined", .timeLimit(.minutes(1)))
        func joinBadNames() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.send("JOIN #ok,nohash,#bad!name,#,#ok2")
            try alice.expect(":\(alice.source) JOIN #ok")
            try alice.expect(numeric: 366, ["alice", "#ok"])
            for bad in ["nohash", "#bad!name", "#"] {
                let line = try #require(alice.readLine(), "no reply for \(bad)")
                #expect(line.isNumeric(403, ["alice", bad]) || line.isNumeric(476, ["alice", bad]), "\(bad): \(line)")
            }
            try alice.expect(":\(alice.source) JOIN #ok2")
            try alice.expect(numeric: 366, ["alice", "#ok2"])
            try alice.send("LIST")
            let list = try alice.collect(through: { $0.code == 323 }, "323")
            #expect(Set(list.filter { $0.code == 322 }.map { $0.params[1] }) == ["#ok", "#ok2"], "\(list.map(\.raw))")
        }

        @Test("JOIN 0 leaves every channel", .timeLimit(.minutes(1)))
        func joinZero() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a", "#b")
            try bob.join("#a")
            try alice.expect(":\(bob.source) JOIN #a")
            try alice.send("JOIN 0")
            let parts = try alice.sync()
            #expect(Set(parts.map(\.raw)) == [":\(alice.source) PART #a", ":\(alice.source) PART #b"], "\(parts.map(\.raw))")
            try bob.expect(":\(alice.source) PART #a")
            try alice.send("WHOIS alice")
            let whois = try alice.collect(through: { $0.code == 318 }, "318")
            #expect(!whois.contains { $0.code == 319 }, "\(whois.map(\.raw))")
        }

        @Test("PART with and without a reason is seen by the channel and leaves only that channel", .timeLimit(.minutes(1)))
        func part() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a", "#b")
            try bob.join("#a", "#b")
            try alice.sync()
            try alice.send("PART #a :see you later")
            try alice.expect(":\(alice.source) PART #a :see you later")
            try bob.expect(":\(alice.source) PART #a :see you later")
            try bob.send("PRIVMSG #a :only bob here")
            try bob.send("PRIVMSG #b :both here")
            try alice.expect(":\(bob.source) PRIVMSG #b :both here")
            try alice.send("PART #b")
            try alice.expect(":\(alice.source) PART #b")
            try bob.expect(":\(alice.source) PART #b")
            try bob.send("NAMES #b")
            let names = try bob.expect(numeric: 353, ["bob", "=", "#b"])
            #expect(namesIn(names) == ["bob"], "\(names)")
        }

        @Test("PART of several channels at once leaves each", .timeLimit(.minutes(1)))
        func partSeveral() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.join("#a", "#b", "#c")
            try alice.send("PART #a,#c :bye")
            try alice.expect(":\(alice.source) PART #a :bye")
            try alice.expect(":\(alice.source) PART #c :bye")
            try alice.expectNothingQueued()
        }

        @Test("PART of an unknown channel gets 403, of a channel not joined 442", .timeLimit(.minutes(1)))
        func partErrors() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try bob.join("#bobs")
            try alice.send("PART #nowhere")
            try alice.expect(numeric: 403, ["alice", "#nowhere"])
            try alice.send("PART #bobs")
            try alice.expect(numeric: 442, ["alice", "#bobs"])
            try alice.expectNothingQueued()
            try bob.expectNothingQueued()
        }

        @Test("NAMES lists each channel's members, and only 366 for a channel that does not exist", .timeLimit(.minutes(1)))
        func names() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            let carol = try server.register("carol")
            try alice.join("#a")
            try bob.join("#a")
            try carol.join("#c")
            try carol.send("NAMES #a")
            let lines = try carol.collect(through: { $0.code == 366 }, "366")
            #expect(lines.map(\.command) == ["353", "366"], "\(lines.map(\.raw))")
            #expect(lines[0].isNumeric(353, ["carol", "=", "#a"]), "\(lines[0])")
            #expect(lines[0].text.split(separator: " ").sorted() == ["@alice", "bob"], "\(lines[0])")
            #expect(lines[1].isNumeric(366, ["carol", "#a"]))
            try carol.send("NAMES #nope")
            try carol.expect(numeric: 366, ["carol", "#nope"])
            try carol.expectNothingQueued()
            // Several at once: the names of each channel that exists, and the end (one 366 per
            // channel, or one naming the list: servers differ).
            try carol.send("NAMES #a,#nope,#c")
            let several = try carol.sync()
            let names = several.filter { $0.code == 353 }
            #expect(names.map { $0.params[2] } == ["#a", "#c"], "\(several.map(\.raw))")
            #expect(several.last?.code == 366, "\(several.map(\.raw))")
            #expect(several.allSatisfy { $0.code == 353 || $0.code == 366 }, "\(several.map(\.raw))")
        }

        @Test("with userhost-in-names, 353 lists nick!user@host", .timeLimit(.minutes(1)))
        func userhostInNames() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.join("#a")
            let bob = try server.register("bob", capabilities: ["userhost-in-names"])
            let lines = try bob.join("#a")[0]
            let names = lines.filter { $0.code == 353 }.flatMap { $0.text.split(separator: " ").map(String.init) }
            #expect(names.sorted() == ["@\(alice.source)", bob.source], "\(lines.map(\.raw))")
        }

        @Test("WHO #channel answers a 352 per member and 315; WHO nick answers one 352", .timeLimit(.minutes(1)))
        func who() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.connect()
            try bob.register(nick: "bob", realName: "Bob the Builder")
            try alice.join("#a")
            try bob.join("#a")
            try alice.sync()
            try alice.send("WHO #a")
            let lines = try alice.collect(through: { $0.code == 315 }, "315")
            #expect(lines.last?.isNumeric(315, ["alice", "#a"]) == true, "\(lines.map(\.raw))")
            let rows = lines.filter { $0.code == 352 }
            #expect(rows.count == 2 && lines.count == 3, "\(lines.map(\.raw))")
            let bobRow = try #require(rows.first { $0.params.count > 5 && $0.params[5] == "bob" }, "\(rows)")
            // 352 <client> <channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>
            #expect(bobRow.params == ["alice", "#a", "~bob", "localhost", Self.server, "bob", "H", "0 Bob the Builder"], "\(bobRow)")
            let aliceRow = try #require(rows.first { $0.params.count > 6 && $0.params[5] == "alice" }, "\(rows)")
            #expect(aliceRow.params[6] == "H@", "here, and operator of #a: \(aliceRow)")
            try alice.send("WHO bob")
            let single = try alice.collect(through: { $0.code == 315 }, "315")
            #expect(single.map(\.command) == ["352", "315"], "\(single.map(\.raw))")
            #expect(single[0].params.count > 5 && single[0].params[5] == "bob")
            #expect(single[1].isNumeric(315, ["alice", "bob"]))
        }

        @Test("WHOIS answers 311, 319, 312 and 318; an unknown nick gets 401 and 318", .timeLimit(.minutes(1)))
        func whois() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.connect()
            try bob.register(nick: "bob", realName: "Bob the Builder")
            try bob.join("#a", "#b")
            try alice.send("WHOIS bob")
            let lines = try alice.collect(through: { $0.code == 318 }, "318")
            // 311 first and 318 last; in between 319 and 312 (and others a server may add, as 317).
            #expect(lines.first?.params == ["alice", "bob", "~bob", "localhost", "*", "Bob the Builder"], "\(lines.map(\.raw))")
            #expect(lines.last?.isNumeric(318, ["alice", "bob"]) == true)
            let channels = try #require(lines.first { $0.code == 319 }, "\(lines.map(\.raw))")
            #expect(channels.isNumeric(319, ["alice", "bob"]) && Set(channels.text.split(separator: " ")) == ["@#a", "@#b"], "\(channels)")
            #expect(lines.contains { $0.isNumeric(312, ["alice", "bob", Self.server]) }, "\(lines.map(\.raw))")
            #expect(!lines.contains { $0.code == 301 }, "bob is not away: \(lines.map(\.raw))")
            try alice.send("WHOIS nobody")
            try alice.expect(numeric: 401, ["alice", "nobody"])
            try alice.expect(numeric: 318, ["alice", "nobody"])
            try alice.expectNothingQueued()
        }

        @Test("LIST answers 321, a 322 per channel with its member count, and 323", .timeLimit(.minutes(1)))
        func list() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            let bob = try server.register("bob")
            try alice.join("#a", "#b")
            try bob.join("#a")
            try alice.sync()
            try alice.send("LIST")
            let lines = try alice.collect(through: { $0.code == 323 }, "323")
            let entries = lines.filter { $0.code == 322 }
            #expect(lines.first?.code == 321 || lines.first?.code == 322, "\(lines.map(\.raw))")
            #expect(lines.filter { ![321, 322, 323].contains($0.code ?? 0) }.isEmpty, "\(lines.map(\.raw))")
            let counts = Dictionary(uniqueKeysWithValues: entries.map { ($0.params[1], $0.params[2]) })
            #expect(counts == ["#a": "2", "#b": "1"], "\(lines.map(\.raw))")
        }

        @Test(
            "irssi's post-JOIN burst MODE #c, WHO #c, MODE #c b is answered with 324 and 329, 352 and 315, 368",
            .timeLimit(.minutes(1)))
        func irssiBurst() throws {
            let server = try IRCTestServer.start()
            defer { server.stop() }
            let alice = try server.register("alice")
            try alice.join("#c")
            let before = time(nil)
            try alice.send(lines: ["MODE #c", "WHO #c", "MODE #c b"])
            let lines = try alice.collect(through: { $0.code == 368 }, "368")
            #expect(lines.map(\.code) == [324, 329, 352, 315, 368], "\(lines.map(\.raw))")
            guard lines.count == 5 else { return }
            #expect(lines[0].isNumeric(324, ["alice", "#c"]), "\(lines[0])")
            let modes = lines[0].params.count > 2 ? lines[0].params[2] : ""
            #expect(modes.hasPrefix("+") && modes.contains("n") && modes.contains("t"), "+nt by default: \(lines[0])")
            #expect(lines[1].isNumeric(329, ["alice", "#c"]), "\(lines[1])")
            let created = lines[1].params.count > 2 ? Int(lines[1].params[2]) : nil
            #expect(created.map { abs($0 - before) <= 60 } == true, "329 gives the creation time: \(lines[1])")
            #expect(lines[2].isNumeric(352, ["alice", "#c"]))
            #expect(lines[3].isNumeric(315, ["alice", "#c"]))
            #expect(lines[4].isNumeric(368, ["alice", "#c"]))
            try alice.expectNothingQueued()
        }
    }
}
