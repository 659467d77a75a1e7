// ClusterTests: several switchboard nodes on one real redis-server behave as one server: shared
// rooms, private messages, renames and departures across nodes, nicks unique across nodes, a
// node's id refused while it lives, and a dead node's users leaving everywhere.
import Glibc
import TestHarness
import Testing

/// A `redis-server` child on a free loopback port, nothing on disk; killed by its PID.
final class RedisProcess: @unchecked Sendable {
    static let executable: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { access($0, X_OK) == 0 }
    static var isAvailable: Bool { executable != nil }

    private(set) var port = 0
    private var child: ChildProcess?

    init() throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try start(port: try freeTCPPort())
                return
            } catch where attempt < 3 {
                continue
            }
        }
    }

    /// Starts redis-server on `port` (empty: no persistence) and waits until it accepts.
    func start(port: Int) throws {
        guard let executable = Self.executable else { throw HarnessError("redis-server is not installed") }
        let child = try ChildProcess(
            executable,
            ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout: .file("/dev/null"), stderrPath: "/dev/null")
        let ready = waitUntil(timeout: .seconds(10)) {
            child.waitForExit(timeout: .zero) != nil || (try? TestClient(connectingTo: .ipv4(port))) != nil
        }
        guard ready && child.exitStatus == nil else {
            child.kill()
            throw HarnessError("redis-server did not start on port \(port)")
        }
        self.port = port
        self.child = child
    }

    /// SIGSTOP / SIGCONT: Redis stops answering while every connection to it stays up.
    func freeze() { child?.signal(SIGSTOP) }
    func thaw() { child?.signal(SIGCONT) }

    /// SIGKILL: every node loses its bus at once.
    func kill() {
        child?.kill()
        child = nil
    }

    deinit { kill() }
}

/// Nodes of one cluster: each a switchboard with `--redis` and its own `--node-id`.
final class Cluster: @unchecked Sendable {
    let redis: RedisProcess
    private(set) var nodes: [ServerProcess] = []

    init(nodes count: Int, arguments: [String] = []) throws {
        self.redis = try RedisProcess()
        for index in 1...count { nodes.append(try start(node: "node\(index)", arguments: arguments)) }
    }

    func start(node: String, arguments: [String] = []) throws -> ServerProcess {
        try ServerProcess.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", node] + arguments)
    }

    func stop() { for node in nodes { node.stop() } }
}

extension EndToEnd {
    @Suite("Cluster: nodes sharing rooms through Redis", .enabled(if: RedisProcess.isAvailable, "redis-server is not installed (apt-get install redis-server; .ci/run installs it)"))
    struct ClusterTests {
        /// A line client on `node`, renamed to `nick`, in the lobby.
        static func member(_ node: ServerProcess, _ nick: String) throws -> Client {
            let client = try node.connect()
            try client.sync()
            try client.send("/nick \(nick)")
            let guest = client.nick
            // Presence from other nodes may come first: the room's members arrive as they are synced.
            try eventually(client, "its rename") { $0 == "NICK \(guest) \(nick)" }
            client.nick = nick
            return client
        }

        /// Reads lines until one satisfies `matches` (others may come first: presence from a sync);
        /// returns it.
        @discardableResult
        static func eventually(
            _ client: Client, _ what: String, timeout: Duration = .seconds(15), sourceLocation: SourceLocation = #_sourceLocation,
            _ matches: (String) -> Bool
        ) throws -> String {
            var seen: [String] = []
            let deadline = Deadline(timeout)
            while !deadline.hasPassed {
                guard let line = client.readLine(timeout: deadline.remaining) else { break }
                if matches(line) { return line }
                seen.append(line)
            }
            try #require(Bool(false), "\(client.nick): never got \(what); got \(seen)", sourceLocation: sourceLocation)
            return ""
        }

        static func eventually(_ client: Client, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try eventually(client, "\"\(expected)\"", sourceLocation: sourceLocation) { $0 == expected }
        }

        /// Polls `/who` on `client` until it lists every nick in `nicks` (membership converges).
        static func waitForMembers(_ client: Client, _ nicks: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) throws {
            var last: Set<String> = []
            let deadline = Deadline(.seconds(15))
            while !deadline.hasPassed {
                try client.sync()
                last = Set(try client.listing("/who").filter { $0.hasPrefix("USER ") }.map { String($0.dropFirst(5)) })
                if nicks.isSubset(of: last) { return }
                _ = client.readLine(timeout: .milliseconds(100))
            }
            try #require(Bool(false), "\(client.nick): /who shows \(last), not \(nicks)", sourceLocation: sourceLocation)
        }

        /// `first` on the first node and `second` on the second, in rooms of their own: neither
        /// node knows the other's client, only Redis does.
        static func apart(_ cluster: Cluster, _ first: String = "alice", _ second: String = "bob") throws -> (Client, Client) {
            let one = try member(cluster.nodes[0], first)
            try one.join("\(first)-room")
            let two = try member(cluster.nodes[1], second)
            try two.join("\(second)-room")
            return (one, two)
        }

        /// alice on the first node and bob on the second, each seeing both in the lobby.
        static func aliceAndBob(_ cluster: Cluster, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Client, Client) {
            let alice = try member(cluster.nodes[0], "alice")
            let bob = try member(cluster.nodes[1], "bob")
            try waitForMembers(alice, ["alice", "bob"], sourceLocation: sourceLocation)
            try waitForMembers(bob, ["alice", "bob"], sourceLocation: sourceLocation)
            return (alice, bob)
        }

        @Test("clients on two nodes share the lobby: /who, messages both ways, private messages, renames, quits", .timeLimit(.minutes(1)))
        func sharedLobby() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster)
            try alice.send("hello from node 1")
            try Self.eventually(bob, "MSG lobby alice hello from node 1")
            try bob.send("/me waves from node 2")
            try Self.eventually(alice, "ACTION lobby bob waves from node 2")
            try alice.send("/msg bob just between us")
            try Self.eventually(bob, "PRIV alice just between us")
            let stats = try alice.stats()
            #expect(stats["bus_connected"] == 1)
            #expect((stats["bus_published"] ?? 0) > 0 && (stats["bus_received"] ?? 0) > 0, "\(stats)")
            #expect(stats["bus_gaps"] == 0 && stats["bus_duplicates"] == 0 && stats["bus_dropped"] == 0, "\(stats)")
            #expect(stats["bus_remote_clients"] == 1)
            try bob.send("/msg alice same here")
            try Self.eventually(alice, "PRIV bob same here")
            try bob.send("/nick robert")
            try Self.eventually(alice, "NICK bob robert")
            try bob.send("/quit gone for now")
            try Self.eventually(alice, "PART lobby robert") { $0.hasPrefix("PART lobby robert") }
            try Self.waitForMembers(alice, ["alice"])
            #expect(!(try alice.listing("/who")).contains("USER robert"))
        }

        @Test("an IRC client on one node and a line client on another see each other in #lobby", .timeLimit(.minutes(1)))
        func ircAcrossNodes() throws {
            let redis = try RedisProcess()
            let one = try IRCTestServer.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", "irc1"])
            defer { one.stop() }
            let two = try ServerProcess.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", "line2"])
            defer { two.stop() }
            let alice = try one.register("alice")
            try alice.join("#lobby")
            let bob = try Self.member(two, "bob")
            try Self.waitForMembers(bob, ["alice", "bob"])
            // alice hears of bob as a guest who renames, or (if node 2's member list came after
            // the rename) as bob joining: either way she sees bob.
            _ = try alice.expectLine(
                matching: { ($0.command == "NICK" && $0.params.first == "bob") || ($0.command == "JOIN" && $0.raw.hasPrefix(":bob!")) },
                "bob, renamed or joining")
            try alice.send("NAMES #lobby")
            let names = try alice.collect(through: { $0.code == 366 }, "end of NAMES").filter { $0.code == 353 }.flatMap(namesIn)
            #expect(Set(names).isSuperset(of: ["alice", "bob"]), "\(names)")
            try bob.send("hello IRC")
            _ = try alice.expectLine(matching: { $0.command == "PRIVMSG" && $0.text == "hello IRC" }, "bob's message")
            try alice.send("PRIVMSG #lobby :hello line")
            try Self.eventually(bob, "MSG lobby alice hello line")
        }

        @Test("a node id held by a live node is refused at start", .timeLimit(.minutes(1)))
        func nodeIDRefused() throws {
            let cluster = try Cluster(nodes: 1)
            defer { cluster.stop() }
            let outcome = try ServerProcess.run(["--port", "0", "--irc-port", "0", "--http-port", "0",
                "--redis", "127.0.0.1:\(cluster.redis.port)", "--node-id", "node1"])
            #expect(outcome.status == .exited(1))
            #expect(outcome.stderr.contains("--node-id node1: a live node holds this id"), "\(outcome.stderr)")
        }

        @Test("a node that joins but cannot bind its port leaves at once: its --node-id starts again right away", .timeLimit(.minutes(1)))
        func failedStartLeaves() throws {
            let redis = try RedisProcess()
            // Redis's own port: taken.
            let failed = try ServerProcess.run(["--port", String(redis.port), "--irc-port", "0", "--http-port", "0",
                "--redis", "127.0.0.1:\(redis.port)", "--node-id", "again"])
            #expect(failed.status == .exited(1))
            #expect(failed.stderr.contains("Address already in use"), "\(failed.stderr)")
            let raw = try TestClient(connectingTo: .ipv4(redis.port))
            defer { raw.close() }
            #expect(try Self.integer(raw, "EXISTS", "sb:lease:again") == 0)
            #expect(try Self.integer(raw, "SISMEMBER", "sb:nodes", "again") == 0)
            let node = try ServerProcess.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", "again"])
            defer { node.stop() }
            #expect(try Self.integer(raw, "SISMEMBER", "sb:nodes", "again") == 1)
        }

        @Test("a nick held on another node cannot be taken, even by a client that shares no room with it", .timeLimit(.minutes(1)))
        func nicksUniqueAcrossNodes() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.apart(cluster)
            // bob's node has never heard of alice: the rename happens, then Redis refuses the claim.
            try bob.send("/nick Alice")
            try bob.expectLine("NICK bob Alice")
            try Self.eventually(bob, "ERR nick-taken") { $0.hasPrefix("ERR nick-taken") }
            let rename = try Self.eventually(bob, "a rename to a guest nick") { $0.hasPrefix("NICK Alice guest") }
            #expect(rename.hasPrefix("NICK Alice guest2"), "the guest nick comes from bob's node's block: \(rename)")
            // Where alice is known, the local check refuses at once.
            let carol = try Self.member(cluster.nodes[1], "carol")
            try carol.join("alice-room")
            try Self.waitForMembers(carol, ["alice", "carol"])
            try carol.send("/nick alice")
            try Self.eventually(carol, "ERR nick-taken") { $0.hasPrefix("ERR nick-taken") }
            try alice.sync()  // still there, holding the nick
        }

        @Test("with Redis down, local rooms keep working, new clients are told to try again, and all comes back after", .timeLimit(.minutes(1)))
        func redisDown() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let alice = try Self.member(cluster.nodes[0], "alice")
            let carol = try Self.member(cluster.nodes[0], "carol")
            let bob = try Self.member(cluster.nodes[1], "bob")
            try Self.waitForMembers(alice, ["alice", "bob", "carol"])
            try Self.waitForMembers(bob, ["alice", "bob", "carol"])
            let port = cluster.redis.port
            cluster.redis.kill()
            // The bus notices at once (the connections reset); until it is back, no registrations.
            var refusal: String?
            let deadline = Deadline(.seconds(10))
            while refusal == nil && !deadline.hasPassed {
                let client = try Client.connect(cluster.nodes[0].endpoint)
                if let line = client.readLine(), line.hasPrefix("ERR try-again ") { refusal = line }
                client.close()
            }
            #expect(refusal != nil, "new clients are refused with ERR try-again while Redis is down")
            try alice.send("still here, locally")
            try Self.eventually(carol, "MSG lobby alice still here, locally")
            // Redis comes back (empty, as after a crash without persistence): the nodes reconnect
            // with backoff, take their leases and nicks again, and resync their rooms.
            try cluster.redis.start(port: port)
            let back = Deadline(.seconds(20))
            var joined: Client?
            while joined == nil && !back.hasPassed {
                if let client = try? Client.connect(cluster.nodes[1].endpoint), let line = client.readLine() {
                    if line.hasPrefix("WELCOME ") { joined = client } else { client.close() }
                }
                if joined == nil { _ = alice.readLine(timeout: .milliseconds(200)) }
            }
            try #require(joined != nil, "node 2 registers clients again once Redis is back")
            try Self.waitForMembers(bob, ["alice", "bob", "carol"])
            try alice.send("and across nodes again")
            try Self.eventually(bob, "MSG lobby alice and across nodes again")
            try bob.send("/nick Carol")
            try Self.eventually(bob, "ERR nick-taken") { $0.hasPrefix("ERR nick-taken") }
        }

        @Test("with Redis down, IRC and WebSocket clients are refused too: ERROR, and close 1013 on the web", .timeLimit(.minutes(1)))
        func redisDownRefusesEveryFrontEnd() throws {
            let redis = try RedisProcess()
            let server = try IRCTestServer.start(["--redis", "127.0.0.1:\(redis.port)", "--node-id", "node1"], web: true)
            defer { server.stop() }
            let port = try #require(server.httpPort)
            _ = try server.register("alice")
            redis.kill()
            // The bus notices at once (the connections reset); a client that came before is let in.
            var refusal: IRCLine?
            let deadline = Deadline(.seconds(10))
            while refusal == nil && !deadline.hasPassed {
                let client = try server.connect()
                if let line = client.readLine(timeout: .milliseconds(500)), line.command == "ERROR" { refusal = line }
                client.close()
            }
            let ircRefusal = try #require(refusal, "new IRC clients are refused while Redis is down")
            #expect(ircRefusal.raw.contains("try again"), "\(ircRefusal)")
            let web = try WebSocketTestClient(port: port)
            let head = try web.request(
                "/ws", fields: WebSocketTestClient.upgradeFields + ["Sec-WebSocket-Protocol: text.ircv3.net"])
            #expect(head.hasPrefix("HTTP/1.1 101 "), "\(head)")
            let webRefusal = web.next()
            #expect(webRefusal.hasPrefix("text ERROR :") && webRefusal.contains("try again"), "\(webRefusal)")
            let close = web.next()
            #expect(close.hasPrefix("close 1013") && close.contains("cluster bus down"), "\(close)")
            let metrics = Metrics(try HTTPExchange.get(port: port, "/metrics").body)
            #expect(metrics["switchboard_refusals_total{reason=\"bus_down\"}"] == 2)
            #expect(metrics["switchboard_refusals_total{reason=\"server_full\"}"] == 0)
        }

        @Test("a private message reaches a nick on another node that shares no room with the sender, in order; a nick held nowhere gets an error", .timeLimit(.minutes(1)))
        func privateWithoutSharedRoom() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.apart(cluster)
            #expect(waitUntil(timeout: .seconds(10)) { (try? alice.stats()["bus_remote_clients"]) == 0 })
            try alice.send("/msg bob found you")
            try Self.eventually(bob, "PRIV alice found you")
            for n in 1...5 { try alice.send("/msg bob line \(n)") }
            for n in 1...5 {
                let line = try Self.eventually(bob, "line \(n)") { $0.hasPrefix("PRIV alice line") }
                #expect(line == "PRIV alice line \(n)")
            }
            try bob.send("/msg alice and back")
            try Self.eventually(alice, "PRIV bob and back")
            try alice.send("/msg nobody are you there")
            let error = try Self.eventually(alice, "an error for nobody") { $0.hasPrefix("ERR ") }
            #expect(error.hasPrefix("ERR no-such-nick "), "\(error)")
        }

        @Test("IRC: PRIVMSG reaches a nick on another node with no channel in common, echoed, with the sender's mask; 401 for a nick held nowhere, nothing for a NOTICE", .timeLimit(.minutes(1)))
        func ircPrivateWithoutSharedChannel() throws {
            let cluster = try IRCCluster(nodes: 2, web: true)
            defer { cluster.stop() }
            let (one, two) = (cluster.nodes[0], cluster.nodes[1])
            let alice = try one.register("alice", capabilities: ["echo-message"])
            let bob = try two.register("bob")
            // bob's nick is claimed in Redis just after his welcome: wait for it, as a client would
            // have to wait to learn the nick.
            let raw = try TestClient(connectingTo: .ipv4(cluster.redis.port))
            defer { raw.close() }
            #expect(waitUntil(timeout: .seconds(10)) { (try? Self.hget(raw, "sb:nicks", "bob")) == "node2" })
            try alice.send("PRIVMSG bob :psst")
            _ = try alice.expectLine(matching: { $0.command == "PRIVMSG" && $0.params == ["bob", "psst"] }, "the echo")
            let psst = try bob.expectLine(
                matching: { $0.command == "PRIVMSG" && $0.sourceNick == "alice" && $0.params == ["bob", "psst"] }, "alice's line")
            #expect(psst.source == alice.source, "alice's mask, as her own node has it")
            try bob.send("PRIVMSG alice :hi back")
            _ = try alice.expectLine(
                matching: { $0.command == "PRIVMSG" && $0.sourceNick == "bob" && $0.params == ["alice", "hi back"] }, "bob's answer")
            // Answers come in the order asked: a reply to the NOTICE would come before the 401. A
            // line sent nowhere is not echoed.
            try alice.send("NOTICE nobody1 :quiet")
            try alice.send("PRIVMSG nobody2 :anyone?")
            let lines = try alice.collect(through: { $0.code == 401 }, "401")
            #expect(lines.last?.params.dropFirst().first == "nobody2", "\(lines.map(\.raw))")
            #expect(!lines.contains { $0.command == "PRIVMSG" || $0.command == "NOTICE" }, "\(lines.map(\.raw))")
            let metrics = Metrics(try HTTPExchange.get(port: try #require(one.httpPort), "/metrics").body)
            #expect(metrics["switchboard_bus_private_lookups_total{outcome=\"sent\"}"] == 1)
            #expect(metrics["switchboard_bus_private_lookups_total{outcome=\"absent\"}"] == 2)
        }

        @Test("IRC across nodes: a remote user's JOIN, messages and WHOIS show its own user, host and real name", .timeLimit(.minutes(1)))
        func ircIdentityAcrossNodes() throws {
            let cluster = try IRCCluster(nodes: 2)
            defer { cluster.stop() }
            let alice = try cluster.nodes[0].connect()
            try alice.register(nick: "alice", user: "ally", realName: "Alice A. Example")
            let bob = try cluster.nodes[1].connect()
            try bob.register(nick: "bob", user: "bobby", realName: "Bob")
            _ = try bob.join("#den")
            // Node 1 learns of bob from node 2's member list (H), alice's JOIN goes to node 2 (J).
            _ = try alice.join("#den")
            let join = try bob.expectLine(matching: { $0.command == "JOIN" && $0.sourceNick == "alice" }, "alice's JOIN")
            #expect(join.source == alice.source)
            try alice.send("PRIVMSG #den :hello")
            let hello = try bob.expectLine(matching: { $0.command == "PRIVMSG" && $0.text == "hello" }, "alice's line")
            #expect(hello.source == alice.source)
            func whois(_ asker: IRCClient, _ nick: String) throws -> IRCLine {
                try asker.send("WHOIS \(nick)")
                let lines = try asker.collect(through: { $0.code == 318 }, "end of WHOIS")
                return try #require(lines.first { $0.code == 311 }, "311 in \(lines.map(\.raw))")
            }
            let aliceSeen = try whois(bob, "alice")
            #expect(Array(aliceSeen.params.dropFirst()) == ["alice"] + Self.userAndHost(alice) + ["*", "Alice A. Example"], "\(aliceSeen)")
            let bobSeen = try whois(alice, "bob")
            #expect(Array(bobSeen.params.dropFirst()) == ["bob"] + Self.userAndHost(bob) + ["*", "Bob"], "\(bobSeen)")
        }

        /// The user and host of a client's own `nick!user@host`.
        static func userAndHost(_ client: IRCClient) -> [String] {
            let mask = client.source.split(separator: "!", maxSplits: 1).last.map(String.init) ?? ""
            return mask.split(separator: "@", maxSplits: 1).map(String.init)
        }

        @Test("a frozen node's users leave within 5 s and its nicks are free; thawed, it comes back without duplicate nicks", .timeLimit(.minutes(1)))
        func frozenNode() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, bob) = try Self.aliceAndBob(cluster)
            let start = ContinuousClock.now
            cluster.nodes[1].signal(SIGSTOP)
            defer { cluster.nodes[1].signal(SIGCONT) }
            try Self.eventually(alice, "bob's departure") { $0.hasPrefix("PART lobby bob") }
            #expect(ContinuousClock.now - start < .seconds(5), "gone after \(ContinuousClock.now - start)")
            try alice.send("/nick bob")
            try Self.eventually(alice, "NICK alice bob")
            alice.nick = "bob"
            cluster.nodes[1].signal(SIGCONT)
            // The thawed node finds its lease gone, rejoins under a new epoch and re-claims its
            // nicks: "bob" is taken now, so its bob becomes a guest; then it is back in the lobby.
            try Self.eventually(bob, "ERR nick-taken") { $0.hasPrefix("ERR nick-taken") }
            let rename = try Self.eventually(bob, "the rename to a guest") { $0.hasPrefix("NICK bob guest") }
            let guest = String(rename.split(separator: " ")[2])
            bob.nick = guest
            try Self.waitForMembers(alice, ["bob", guest])
            try Self.waitForMembers(bob, ["bob", guest])
            let who = try alice.listing("/who").filter { $0.hasPrefix("USER ") }
            #expect(who.count == Set(who).count && who.count == 2, "no nick twice: \(who)")
        }

        @Test("two nodes racing for the same nick: each round exactly one client ends up with it", .timeLimit(.minutes(2)))
        func nickRace() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (one, two) = try Self.apart(cluster, "one", "two")
            let redis = try TestClient(connectingTo: .ipv4(cluster.redis.port))
            defer { redis.close() }
            for round in 0..<20 {
                let wanted = "race\(round)"
                try one.send("/nick \(wanted)")
                try two.send("/nick \(wanted)")
                var owner = ""
                let deadline = Deadline(.seconds(10))
                while owner.isEmpty && !deadline.hasPassed {
                    owner = try Self.hget(redis, "sb:nicks", wanted)
                }
                let (winner, loser) = owner == "node1" ? (one, two) : (two, one)
                try #require(owner == "node1" || owner == "node2", "round \(round): owner \(owner)")
                try Self.eventually(loser, "the loser's rename to a guest") { $0.hasPrefix("NICK \(wanted) guest") }
                    .split(separator: " ").last.map { loser.nick = String($0) }
                let lines = try winner.sync()
                #expect(!lines.contains { $0.hasPrefix("NICK \(wanted) ") }, "round \(round): the winner kept it: \(lines)")
                winner.nick = wanted
            }
        }

        /// `HGET key field` on a raw connection to Redis: the value, or "" for none.
        static func hget(_ redis: TestClient, _ key: String, _ field: String) throws -> String {
            let header = try send(redis, ["HGET", key, field])
            guard header.hasPrefix("$"), let length = Int(header.dropFirst().dropLast()), length >= 0 else { return "" }
            return String(decoding: try redis.readExactly(length + 2).dropLast(2), as: UTF8.self)
        }

        /// A command whose reply is an integer (`EXISTS`, `SISMEMBER`), on a raw connection to Redis.
        static func integer(_ redis: TestClient, _ parts: String...) throws -> Int? {
            let reply = try send(redis, parts)
            return reply.hasPrefix(":") ? Int(reply.dropFirst().dropLast()) : nil  // ":1\r"
        }

        /// Sends `parts` as one command; returns the first line of the reply.
        private static func send(_ redis: TestClient, _ parts: [String]) throws -> String {
            try redis.send("*\(parts.count)\r\n" + parts.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined())
            return try redis.readLine()
        }

        @Test("a node that dies is reaped: its users leave every other node's rooms within seconds", .timeLimit(.minutes(1)))
        func deadNodeReaped() throws {
            let cluster = try Cluster(nodes: 2)
            defer { cluster.stop() }
            let (alice, _) = try Self.aliceAndBob(cluster)
            let start = ContinuousClock.now
            cluster.nodes[1].signal(SIGKILL)
            _ = cluster.nodes[1].waitForExit(timeout: .seconds(5))
            try Self.eventually(alice, "bob's departure", timeout: .seconds(20)) { $0.hasPrefix("PART lobby bob") }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(10), "reaped after \(elapsed)")
            try Self.waitForMembers(alice, ["alice"])
            // The nick is free again for anyone.
            let newcomer = try Self.member(cluster.nodes[0], "bob")
            try newcomer.sync()
        }
    }
}
