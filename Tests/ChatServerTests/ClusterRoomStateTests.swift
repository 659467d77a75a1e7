// ClusterRoomStateTests: room state across nodes on one real redis-server, with IRC clients (and
// line clients where the line protocol has the feature) on different nodes: topics, modes and
// their enforcement, operators, bans, keys, limits, invitations, kicks, away messages, a node
// that joins a room late, and concurrent topic changes converging.
import Glibc
import TestHarness
import Testing

/// Nodes of one cluster, each a switchboard with IRC on its own socket (and with `web`, the
/// HTTP listener on a port of its own).
final class IRCCluster: @unchecked Sendable {
    let redis: RedisProcess
    private(set) var nodes: [IRCTestServer] = []

    init(nodes count: Int, web: Bool = false) throws {
        self.redis = try RedisProcess()
        for index in 1...count {
            nodes.append(try IRCTestServer.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", "node\(index)"], web: web))
        }
    }

    func stop() { for node in nodes { node.stop() } }
}

extension IRCLine {
    /// `command` from `nick` (whatever its user and host) with exactly `params`.
    func isFrom(_ nick: String, _ command: String, _ params: [String]) -> Bool {
        sourceNick == nick && self.command == command && self.params == params
    }
}

extension EndToEnd {
    @Suite("Cluster: room state across nodes", .enabled(if: RedisProcess.isAvailable, "redis-server is not installed"))
    struct ClusterRoomStateTests {
        /// Waits until `client` sees `command` from `nick` with `params`; returns that line.
        @discardableResult
        static func sees(
            _ client: IRCClient, _ nick: String, _ command: String, _ params: [String],
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> IRCLine {
            try client.expectLine(
                matching: { $0.isFrom(nick, command, params) }, "\(command) \(params) from \(nick)", timeout: .seconds(10),
                sourceLocation: sourceLocation)
        }

        /// Waits until `client` has heard of the line client `nick` in the lobby: as a guest who
        /// renamed, or (when its node's member list came after the rename) as `nick` joining.
        static func seesLineClient(_ client: IRCClient, _ nick: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try client.expectLine(
                matching: { $0.isFrom(nick, "JOIN", ["#lobby"]) || ($0.command == "NICK" && $0.params == [nick]) },
                "\(nick) joining or renamed", timeout: .seconds(10), sourceLocation: sourceLocation)
        }

        /// The NAMES of `channel` as `client` sees them, prefixes included.
        static func names(_ client: IRCClient, _ channel: String, sourceLocation: SourceLocation = #_sourceLocation) throws
            -> Set<String>
        {
            try client.send("NAMES \(channel)")
            let lines = try client.collect(through: { $0.code == 366 }, "end of NAMES", sourceLocation: sourceLocation)
            return Set(lines.filter { $0.code == 353 }.flatMap { $0.text.split(separator: " ").map(String.init) })
        }

        /// Polls NAMES until it is `expected` (membership and standing arrive with the bus).
        static func waitForNames(
            _ client: IRCClient, _ channel: String, _ expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let deadline = Deadline(.seconds(10))
            var last: Set<String> = []
            while !deadline.hasPassed {
                last = try names(client, channel, sourceLocation: sourceLocation)
                if last == expected { return }
                _ = client.readLine(timeout: .milliseconds(50))
            }
            try #require(Bool(false), "\(client.nick): NAMES \(channel) is \(last), not \(expected)", sourceLocation: sourceLocation)
        }

        /// The 332 and 333 `client` gets for `TOPIC channel`, as (topic, setter, time).
        static func topic(_ client: IRCClient, _ channel: String, sourceLocation: SourceLocation = #_sourceLocation) throws
            -> (String, String, String)
        {
            try client.send("TOPIC \(channel)")
            let text = try client.expect(numeric: 332, [client.nick, channel], sourceLocation: sourceLocation).text
            let stamp = try client.expect(numeric: 333, [client.nick, channel], sourceLocation: sourceLocation)
            return (text, stamp.params[2], stamp.params[3])
        }

        /// alice on the first node creates `channel` (so she is its operator everywhere), and bob on
        /// the second joins it; each has seen the other.
        static func aliceAndBob(_ cluster: IRCCluster, in channel: String, sourceLocation: SourceLocation = #_sourceLocation)
            throws -> (IRCClient, IRCClient)
        {
            let alice = try cluster.nodes[0].register("alice", capabilities: ["away-notify"], sourceLocation: sourceLocation)
            try alice.join(channel, sourceLocation: sourceLocation)
            let bob = try cluster.nodes[1].register("bob", sourceLocation: sourceLocation)
            let joined = try bob.join(channel, sourceLocation: sourceLocation)[0]
            let names = Set(joined.filter { $0.code == 353 }.flatMap { $0.text.split(separator: " ").map(String.init) })
            #expect(names == ["@alice", "bob"], "the room's creator is its operator on every node: \(names)", sourceLocation: sourceLocation)
            try sees(alice, "bob", "JOIN", [channel], sourceLocation: sourceLocation)
            return (alice, bob)
        }

        @Test("a topic set on one node is broadcast on another and shown on later joins there and on a third node", .timeLimit(.minutes(1)))
        func topicAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try alice.send("TOPIC #den :Welcome to the den")
            try alice.expect(":\(alice.source) TOPIC #den :Welcome to the den")
            try Self.sees(bob, "alice", "TOPIC", ["#den", "Welcome to the den"])
            let (text, setter, time) = try Self.topic(alice, "#den")
            #expect(text == "Welcome to the den" && setter == alice.source)
            #expect(try Self.topic(bob, "#den") == (text, setter, time), "the same topic, setter and time on both nodes")
            // A later joiner on the second node, and the first on a third node that had no one there.
            var later: [IRCClient] = []
            for (node, nick) in [(1, "carol"), (2, "dave")] {
                let client = try cluster.nodes[node].register(nick)
                let joined = try client.join("#den")[0]
                let shown = joined.first { $0.isNumeric(332, [nick, "#den"]) }
                #expect(shown?.text == "Welcome to the den", "\(nick) on node \(node + 1): \(joined.map(\.raw))")
                let stamp = joined.first { $0.isNumeric(333, [nick, "#den"]) }
                #expect(stamp.map { Array($0.params.dropFirst(2)) } == [setter, time], "\(joined.map(\.raw))")
                #expect(!joined.contains { $0.code == 353 && $0.text.contains("@\(nick)") }, "\(nick) is no operator")
                later.append(client)
            }
            // Unlocked, the topic may be set by anyone, from the third node too.
            try alice.send("MODE #den -t")
            try Self.sees(later[1], "alice", "MODE", ["#den", "-t"])
            try later[1].send("TOPIC #den :dave was here")
            for client in [alice, bob, later[0]] { try Self.sees(client, "dave", "TOPIC", ["#den", "dave was here"]) }
            #expect(try Self.topic(bob, "#den").0 == "dave was here")
        }

        @Test("+m set on one node silences an unvoiced member on another, IRC and line alike, until +v", .timeLimit(.minutes(1)))
        func moderatedAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#lobby")
            let lena = try ClusterTests.member(cluster.nodes[1].process, "lena")
            try Self.seesLineClient(alice, "lena")
            try alice.send("MODE #lobby +m")
            try Self.sees(bob, "alice", "MODE", ["#lobby", "+m"])
            try bob.send("PRIVMSG #lobby :can anyone hear me?")
            try bob.expect(numeric: 404, ["bob", "#lobby"])
            try lena.send("and me?")
            try ClusterTests.eventually(lena, "ERR cannot-send") { $0.hasPrefix("ERR cannot-send ") }
            try alice.send("MODE #lobby +v bob")
            try Self.sees(bob, "alice", "MODE", ["#lobby", "+v", "bob"])
            try bob.send("PRIVMSG #lobby :now I can speak")
            try Self.sees(alice, "bob", "PRIVMSG", ["#lobby", "now I can speak"])
            try ClusterTests.eventually(lena, "MSG lobby bob now I can speak")
            try alice.expectNothingQueued()
        }

        @Test("operator status given on one node is used on another: modes and topic from there reach the first", .timeLimit(.minutes(1)))
        func opGivenOnOneNodeUsedOnAnother() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#ops")
            try bob.send("MODE #ops +m")
            try bob.expect(numeric: 482, ["bob", "#ops"])
            try alice.send("MODE #ops +o bob")
            try Self.sees(bob, "alice", "MODE", ["#ops", "+o", "bob"])
            try Self.waitForNames(bob, "#ops", ["@alice", "@bob"])
            try Self.waitForNames(alice, "#ops", ["@alice", "@bob"])
            try bob.send("MODE #ops +m")
            try bob.expect(":\(bob.source) MODE #ops +m")
            try Self.sees(alice, "bob", "MODE", ["#ops", "+m"])
            try bob.send("TOPIC #ops :set from node 2")
            try Self.sees(alice, "bob", "TOPIC", ["#ops", "set from node 2"])
            // And kicks from there a member of the first node.
            let carol = try cluster.nodes[0].register("carol")
            try carol.join("#ops")
            try Self.sees(bob, "carol", "JOIN", ["#ops"])
            try bob.send("KICK #ops carol :bob says so")
            try carol.expect(":\(bob.source) KICK #ops carol :bob says so")
            try Self.sees(alice, "bob", "KICK", ["#ops", "carol", "bob says so"])
            try bob.send("MODE #ops -o alice")
            try Self.sees(alice, "bob", "MODE", ["#ops", "-o", "alice"])
            try alice.send("MODE #ops -m")
            try alice.expect(numeric: 482, ["alice", "#ops"])
        }

        @Test("a ban set on one node keeps the mask out on another, for IRC and line clients and on a node new to the room", .timeLimit(.minutes(1)))
        func banAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try alice.send("MODE #den +b mallory*!*@*")
            try Self.sees(bob, "alice", "MODE", ["#den", "+b", "mallory*!*@*"])
            try bob.send("MODE #den b")
            try bob.expect(numeric: 367, ["bob", "#den", "mallory*!*@*"])
            try bob.expect(numeric: 368, ["bob", "#den"])
            let mallory = try cluster.nodes[1].register("mallory")
            try mallory.send("JOIN #den")
            try mallory.expect(numeric: 474, ["mallory", "#den"])
            let far = try cluster.nodes[2].register("mallory2")
            try far.send("JOIN #den")
            try far.expect(numeric: 474, ["mallory2", "#den"])
            let line = try ClusterTests.member(cluster.nodes[1].process, "mallory3")
            try line.sync()
            try line.send("/join den")
            try ClusterTests.eventually(line, "ERR cannot-join") { $0.hasPrefix("ERR cannot-join ") }
            try Self.waitForNames(alice, "#den", ["@alice", "bob"])
            try alice.send("MODE #den -b mallory*!*@*")
            try Self.sees(bob, "alice", "MODE", ["#den", "-b", "mallory*!*@*"])
            try mallory.join("#den")
            try Self.sees(alice, "mallory", "JOIN", ["#den"])
        }

        @Test("+k, +l counting members on both nodes, and +i with an invitation from another node", .timeLimit(.minutes(1)))
        func keyLimitAndInvitation() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let alice = try cluster.nodes[0].register("alice")
            try alice.join("#vault")
            try alice.join("#hall")
            try alice.send("MODE #vault +k sesame")
            try alice.expect(":\(alice.source) MODE #vault +k sesame")
            let bob = try cluster.nodes[1].register("bob")
            try bob.send("JOIN #vault")
            try bob.expect(numeric: 475, ["bob", "#vault"])
            try bob.send("JOIN #vault wrong")
            try bob.expect(numeric: 475, ["bob", "#vault"])
            try bob.send("JOIN #vault sesame")
            try bob.expect(":\(bob.source) JOIN #vault")
            try Self.sees(alice, "bob", "JOIN", ["#vault"])
            try alice.send("MODE #vault +l 2")
            try Self.sees(bob, "alice", "MODE", ["#vault", "+l", "2"])
            let carol = try cluster.nodes[1].register("carol")
            try carol.join("#hall")
            try Self.sees(alice, "carol", "JOIN", ["#hall"])
            try carol.send("JOIN #vault sesame")
            try carol.expect(numeric: 471, ["carol", "#vault"])
            try alice.send("MODE #vault -l+i")
            try Self.sees(bob, "alice", "MODE", ["#vault", "-l+i"])
            try carol.send("JOIN #vault sesame")
            try carol.expect(numeric: 473, ["carol", "#vault"])
            try alice.send("INVITE carol #vault")
            try alice.expect(numeric: 341, ["alice", "carol", "#vault"])
            try Self.sees(carol, "alice", "INVITE", ["carol", "#vault"])
            try carol.send("JOIN #vault sesame")
            try carol.expect(":\(carol.source) JOIN #vault")
            try Self.sees(alice, "carol", "JOIN", ["#vault"])
            try Self.waitForNames(bob, "#vault", ["@alice", "bob", "carol"])
            // Invited to a room her node has never had: the invitation waits there for the room.
            let erin = try cluster.nodes[2].register("erin")
            try erin.join("#hall")
            try Self.sees(alice, "erin", "JOIN", ["#hall"])
            try alice.send("INVITE erin #vault")
            try alice.expect(numeric: 341, ["alice", "erin", "#vault"])
            try Self.sees(erin, "alice", "INVITE", ["erin", "#vault"])
            try erin.send("JOIN #vault sesame")
            try erin.expect(":\(erin.source) JOIN #vault")
            try Self.waitForNames(erin, "#vault", ["@alice", "bob", "carol", "erin"])
        }

        @Test("a kick from one node puts the member out on its own: every node sees the KICK, the kicked one too", .timeLimit(.minutes(1)))
        func kickAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#lobby")
            let dave = try cluster.nodes[1].register("dave")
            try dave.join("#lobby")
            let carol = try cluster.nodes[2].register("carol")
            try carol.join("#lobby")
            try Self.waitForNames(alice, "#lobby", ["@alice", "bob", "carol", "dave"])
            try Self.waitForNames(carol, "#lobby", ["@alice", "bob", "carol", "dave"])
            try alice.send("KICK #lobby bob :take a break")
            try alice.expect(":\(alice.source) KICK #lobby bob :take a break")
            for client in [bob, dave, carol] { try Self.sees(client, "alice", "KICK", ["#lobby", "bob", "take a break"]) }
            for client in [alice, dave, carol] { try Self.waitForNames(client, "#lobby", ["@alice", "carol", "dave"]) }
            try bob.send("PRIVMSG #lobby :still here?")
            try bob.expect(numeric: 404, ["bob", "#lobby"])
            let after = try dave.sync()
            #expect(!after.contains { $0.command == "PART" }, "a KICK, not a PART: \(after.map(\.raw))")
            // A line client kicked from the lobby goes back to it, wherever the kick came from.
            let lena = try ClusterTests.member(cluster.nodes[1].process, "lena")
            try Self.seesLineClient(alice, "lena")
            try alice.send("KICK #lobby lena :you too")
            try ClusterTests.eventually(lena, "PART lobby lena kicked by alice: you too")
            try ClusterTests.eventually(lena, "JOIN lobby lena")
            try Self.sees(carol, "alice", "KICK", ["#lobby", "lena", "you too"])
            try Self.sees(carol, "lena", "JOIN", ["#lobby"])
        }

        @Test("AWAY on one node: away-notify, WHOIS 301 and the PRIVMSG auto-reply on another, and on a node that joins later", .timeLimit(.minutes(1)))
        func awayAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try bob.send("AWAY :gone fishing")
            try bob.expect(numeric: 306, ["bob"])
            try Self.sees(alice, "bob", "AWAY", ["gone fishing"])
            try alice.send("WHOIS bob")
            try alice.expect(numeric: 301, ["alice", "bob", "gone fishing"])
            try alice.expect(numeric: 318, ["alice", "bob"])
            try alice.send("PRIVMSG bob :fancy a pint?")
            try alice.expect(numeric: 301, ["alice", "bob", "gone fishing"])
            let carol = try cluster.nodes[2].register("carol")
            try carol.join("#den")
            try carol.send("WHOIS bob")
            try carol.expect(numeric: 301, ["carol", "bob", "gone fishing"])
            // An away user joining: away-notify members hear the AWAY after the JOIN.
            let dave = try cluster.nodes[1].register("dave")
            try dave.send("AWAY :lurking")
            try dave.expect(numeric: 306, ["dave"])
            try dave.join("#den")
            try Self.sees(alice, "dave", "JOIN", ["#den"])
            try alice.expect(":\(dave.source) AWAY :lurking")
            try bob.send("AWAY")
            try bob.expect(numeric: 305, ["bob"])
            try alice.expectEventually(":\(bob.source) AWAY")
            try alice.send("WHOIS bob")
            let whois = try alice.collect(through: { $0.code == 318 }, "end of WHOIS")
            #expect(!whois.contains { $0.code == 301 }, "\(whois.map(\.raw))")
        }

        @Test("a node whose first member joins late learns everything: topic, modes, key, limit, bans and standing", .timeLimit(.minutes(1)))
        func lateNodeLearnsState() throws {
            let cluster = try IRCCluster(nodes: 3)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try alice.send(lines: ["TOPIC #den :the state of the den", "MODE #den +mkl sesame 10", "MODE #den +bv *!*@evil bob"])
            try Self.sees(bob, "alice", "MODE", ["#den", "+bv", "*!*@evil", "bob"])
            let carol = try cluster.nodes[2].register("carol")
            try carol.send("JOIN #den")
            try carol.expect(numeric: 475, ["carol", "#den"])
            try carol.send("JOIN #den sesame")
            let joined = try carol.collect(through: { $0.isNumeric(366, ["carol", "#den"]) }, "366 for #den")
            #expect(joined.first?.sameMessage(as: IRCLine(":\(carol.source) JOIN #den")) == true, "\(joined.map(\.raw))")
            #expect(joined.contains { $0.isNumeric(332, ["carol", "#den", "the state of the den"]) }, "\(joined.map(\.raw))")
            #expect(joined.contains { $0.isNumeric(333, ["carol", "#den", alice.source]) }, "\(joined.map(\.raw))")
            let names = Set(joined.filter { $0.code == 353 }.flatMap { $0.text.split(separator: " ").map(String.init) })
            #expect(names == ["@alice", "+bob", "carol"], "standing of members on other nodes: \(joined.map(\.raw))")
            try carol.send("MODE #den")
            try carol.expect(numeric: 324, ["carol", "#den", "+klmnt", "sesame", "10"])
            try carol.send("MODE #den b")
            try carol.expect(numeric: 367, ["carol", "#den", "*!*@evil"])
            try carol.expect(numeric: 368, ["carol", "#den"])
            try carol.send("PRIVMSG #den :moderated here too?")
            try carol.expect(numeric: 404, ["carol", "#den"])
            try Self.sees(alice, "carol", "JOIN", ["#den"])
            try bob.send("PRIVMSG #den :voiced, so heard")
            try Self.sees(carol, "bob", "PRIVMSG", ["#den", "voiced, so heard"])
        }

        @Test("a node frozen past its lease comes back to the room's state as it is now", .timeLimit(.minutes(1)))
        func frozenNodeCatchesUp() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try alice.send("TOPIC #den :before the freeze")
            try Self.sees(bob, "alice", "TOPIC", ["#den", "before the freeze"])
            cluster.nodes[1].process.signal(SIGSTOP)
            defer { cluster.nodes[1].process.signal(SIGCONT) }
            try alice.expectLine(matching: { $0.sourceNick == "bob" && $0.command == "QUIT" }, "bob's node given up", timeout: .seconds(10))
            try alice.send(lines: ["TOPIC #den :changed while you slept", "MODE #den +m"])
            try alice.expectEventually(":\(alice.source) MODE #den +m")
            cluster.nodes[1].process.signal(SIGCONT)
            // The thawed node rejoins under a new epoch and adopts the room's state as the others
            // hold it, telling its members what changed.
            try Self.sees(bob, "alice", "TOPIC", ["#den", "changed while you slept"])
            try Self.sees(alice, "bob", "JOIN", ["#den"])
            let deadline = Deadline(.seconds(10))
            var refused = false
            while !refused && !deadline.hasPassed {
                try bob.send("PRIVMSG #den :am I moderated?")
                refused = bob.availableLines(within: .milliseconds(200)).contains { $0.isNumeric(404, ["bob", "#den"]) }
            }
            #expect(refused, "+m set while bob's node was frozen holds there too")
            #expect(try Self.topic(bob, "#den").0 == "changed while you slept")
        }

        @Test("after Redis comes back, a room changed on both sides meanwhile takes the state of the side that changed it most", .timeLimit(.minutes(1)))
        func redisOutageSettles() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#den")
            try alice.send("MODE #den +o bob")
            try Self.sees(bob, "alice", "MODE", ["#den", "+o", "bob"])
            try alice.expectEventually(":\(alice.source) MODE #den +o bob")
            let port = cluster.redis.port
            cluster.redis.kill()
            // Each side changes the room while the bus is down: nothing of it crosses. Node 2
            // makes two changes to node 1's one, so its state is ahead.
            try alice.send("TOPIC #den :node1's outage topic")
            try alice.expect(":\(alice.source) TOPIC #den :node1's outage topic")
            try bob.send(lines: ["TOPIC #den :node2's outage topic", "MODE #den +m"])
            try bob.expect(":\(bob.source) TOPIC #den :node2's outage topic")
            try bob.expect(":\(bob.source) MODE #den +m")
            try cluster.redis.start(port: port)
            // Node 1's members are told what changed: the MODE and then the TOPIC.
            var told = (mode: false, topic: false)
            try alice.expectLine(matching: { line in
                told.mode = told.mode || (line.command == "MODE" && line.params == ["#den", "+m"])
                told.topic = told.topic || line.isFrom("bob", "TOPIC", ["#den", "node2's outage topic"])
                return told.mode && told.topic
            }, "+m and node 2's topic", timeout: .seconds(15))
            #expect(try Self.topic(alice, "#den").0 == "node2's outage topic")
            #expect(try Self.topic(bob, "#den").0 == "node2's outage topic")
            // Both keep their operators: each node speaks for its own clients' standing.
            try Self.waitForNames(alice, "#den", ["@alice", "@bob"])
            try Self.waitForNames(bob, "#den", ["@alice", "@bob"])
            try alice.send("MODE #den")
            try alice.expect(numeric: 324, ["alice", "#den", "+mnt"])
        }

        @Test("two operators on two nodes setting the topic at once end with the same topic everywhere", .timeLimit(.minutes(1)))
        func concurrentTopicsConverge() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster, in: "#race")
            try alice.send("MODE #race +o bob")
            try Self.sees(bob, "alice", "MODE", ["#race", "+o", "bob"])
            for round in 0..<10 {
                try alice.send("TOPIC #race :alice \(round)")
                try bob.send("TOPIC #race :bob \(round)")
                // Each hears the other's change (after or before its own).
                try Self.sees(alice, "bob", "TOPIC", ["#race", "bob \(round)"])
                try Self.sees(bob, "alice", "TOPIC", ["#race", "alice \(round)"])
                let deadline = Deadline(.seconds(5))
                var seen: (String, String) = ("", "")
                while !deadline.hasPassed {
                    seen = (try Self.topic(alice, "#race").0, try Self.topic(bob, "#race").0)
                    if seen.0 == seen.1 { break }
                }
                #expect(seen.0 == seen.1, "round \(round): alice's node says \(seen.0), bob's says \(seen.1)")
                #expect(["alice \(round)", "bob \(round)"].contains(seen.0))
            }
        }
    }
}
