// ClusterFailureTests: what a cluster loses when Redis fails under chat, and that the nodes count
// it, and that no node spins meanwhile: Redis killed and restarted, gone for 5 s, and stopped
// (SIGSTOP) for 10 s with every connection to it up, the failure a reconnect does not see.
import Glibc
import TestHarness
import Testing

/// Alice and carol on the first node and bob on the second, in the lobby: alice talks, carol
/// must get every line at once (her node loses nothing locally), and bob's reads pace the talk.
private final class Chat {
    let alice: Client
    let carol: Client
    let bob: Client
    private(set) var sent: [String] = []
    private(set) var bobSaw: [String] = []

    init(_ cluster: Cluster) throws {
        alice = try EndToEnd.ClusterTests.member(cluster.nodes[0], "alice")
        carol = try EndToEnd.ClusterTests.member(cluster.nodes[0], "carol")
        bob = try EndToEnd.ClusterTests.member(cluster.nodes[1], "bob")
        try EndToEnd.ClusterTests.waitForMembers(alice, ["alice", "bob", "carol"])
        try EndToEnd.ClusterTests.waitForMembers(bob, ["alice", "bob", "carol"])
    }

    /// Alice says the next numbered line; carol gets it; bob reads for up to `bobWait`.
    func say(bobWait: Duration) throws {
        let text = "line \(sent.count + 1)"
        try alice.send(text)
        sent.append(text)
        try EndToEnd.ClusterTests.eventually(carol, "MSG lobby alice \(text)")
        if let line = bob.readLine(timeout: bobWait) { bobSaw.append(line) }
    }

    /// Reads what bob has for up to `timeout`, stopping at `until`.
    func bobReads(for timeout: Duration, until: (String) -> Bool) -> Bool {
        let deadline = Deadline(timeout)
        while !deadline.hasPassed, let line = bob.readLine(timeout: deadline.remaining) {
            bobSaw.append(line)
            if until(line) { return true }
        }
        return false
    }

    /// Alice's lines bob did not get.
    var lost: Int {
        let heard = Set(bobSaw.compactMap { $0.hasPrefix("MSG lobby alice ") ? String($0.dropFirst(16)) : nil })
        return sent.filter { !heard.contains($0) }.count
    }
}

extension EndToEnd.ClusterTests {
    @Test(
        "Redis frozen for 10 s: the nodes do not spin, local chat loses nothing, and afterwards every line the other node missed is counted",
        .timeLimit(.minutes(2))
    )
    func redisFrozen() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let chat = try Chat(cluster)
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        let cpuBefore = try cluster.nodes.map { try $0.cpuTicks() }

        cluster.redis.freeze()
        defer { cluster.redis.thaw() }
        // Alice talks all through the freeze (nothing reaches bob while Redis is stopped).
        let freeze = Deadline(.seconds(10))
        while !freeze.hasPassed { try chat.say(bobWait: .milliseconds(250)) }
        let cpuDuring = try zip(cluster.nodes, cpuBefore).map { try $0.cpuTicks() - $1 }
        cluster.redis.thaw()
        for (index, ticks) in cpuDuring.enumerated() {
            #expect(ticks < ticksPerSecond, "node \(index + 1) used \(ticks) ticks of CPU in 10 s with Redis frozen")
        }

        // After the thaw the cross-node path works again: a line alice sends now reaches bob.
        let back = Deadline(.seconds(20))
        var resumed = false
        while !resumed && !back.hasPassed {
            try chat.say(bobWait: .zero)
            let last = "MSG lobby alice \(chat.sent.last ?? "")"
            resumed = chat.bobSaw.last == last || chat.bobReads(for: .seconds(1)) { $0 == last }
        }
        try #require(resumed, "bob never heard alice again; he saw \(chat.bobSaw)")
        try Self.waitForMembers(chat.bob, ["alice", "bob", "carol"])
        try Self.waitForMembers(chat.alice, ["alice", "bob", "carol"])

        // What bob missed is what his node says it missed (gaps in the sequence of alice's node's
        // lines on the room's channel).
        let sender = try chat.alice.stats()
        let receiver = try chat.bob.stats()
        #expect(chat.lost == receiver["bus_missed"], "bob missed \(chat.lost) of \(chat.sent.count); his node counted \(receiver["bus_missed"] ?? -1)")
        // And a freeze this short loses nothing: alice's lines waited in her node's output to Redis.
        #expect(chat.lost == 0 && sender["bus_dropped"] == 0, "lost \(chat.lost) of \(chat.sent.count)")
        #expect(receiver["bus_duplicates"] == 0)
    }

    @Test(
        "Redis killed and restarted under chat: local chat loses nothing, and every line the other node missed is one it counted",
        .timeLimit(.minutes(1))
    )
    func redisRestartedUnderChat() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let chat = try Chat(cluster)
        for _ in 1...20 { try chat.say(bobWait: .milliseconds(20)) }
        let port = cluster.redis.port
        cluster.redis.kill()
        let down = Deadline(.seconds(1))
        while !down.hasPassed { try chat.say(bobWait: .milliseconds(50)) }
        try cluster.redis.start(port: port)
        // Alice keeps talking until bob hears her again; what he heard then shows every gap.
        let back = Deadline(.seconds(20))
        var resumed = false
        while !resumed && !back.hasPassed {
            try chat.say(bobWait: .zero)
            let last = "MSG lobby alice \(chat.sent.last ?? "")"
            resumed = chat.bobSaw.last == last || chat.bobReads(for: .milliseconds(200)) { $0 == last }
        }
        try #require(resumed, "bob never heard alice again; he saw \(chat.bobSaw)")
        let receiver = try chat.bob.stats()
        #expect(chat.lost > 0, "nothing was lost: the test did not catch Redis down")
        #expect(chat.lost == receiver["bus_missed"], "bob missed \(chat.lost) of \(chat.sent.count) lines; his node counted \(receiver["bus_missed"] ?? -1)")
        #expect(receiver["bus_duplicates"] == 0)
    }

    @Test("a member who left while Redis was down is gone from the other nodes' rooms once it is back", .timeLimit(.minutes(1)))
    func leftWhileRedisDown() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let alice = try Self.member(cluster.nodes[0], "alice")
        let bob = try Self.member(cluster.nodes[1], "bob")
        let dave = try Self.member(cluster.nodes[1], "dave")
        try Self.waitForMembers(alice, ["alice", "bob", "dave"])
        let port = cluster.redis.port
        cluster.redis.kill()
        // Dave leaves while no node can tell the others: alice's node still lists him.
        try dave.send("/join elsewhere")
        try Self.eventually(bob, "PART lobby dave") { $0.hasPrefix("PART lobby dave") }
        #expect(Set(try alice.listing("/who").filter { $0.hasPrefix("USER ") }) == ["USER alice", "USER bob", "USER dave"])
        try cluster.redis.start(port: port)
        // Back, bob's node says who it has in the lobby: dave is not on its list, so he goes.
        try Self.eventually(alice, "dave leaving the lobby") { $0.hasPrefix("PART lobby dave") }
        #expect(Set(try alice.listing("/who").filter { $0.hasPrefix("USER ") }) == ["USER alice", "USER bob"])
    }

    @Test("Redis gone for 5 s: the nodes retry with backoff rather than spin, and take clients again once it is back", .timeLimit(.minutes(1)))
    func redisGoneNoSpin() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let chat = try Chat(cluster)
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        let port = cluster.redis.port
        cluster.redis.kill()
        let cpuBefore = try cluster.nodes.map { try $0.cpuTicks() }
        // Five seconds of retrying (100 ms doubling to 5 s, jittered), local chat going on.
        let down = Deadline(.seconds(5))
        while !down.hasPassed { try chat.say(bobWait: .milliseconds(250)) }
        let cpuDuring = try zip(cluster.nodes, cpuBefore).map { try $0.cpuTicks() - $1 }
        for (index, ticks) in cpuDuring.enumerated() {
            #expect(ticks < ticksPerSecond / 2, "node \(index + 1) used \(ticks) ticks of CPU in 5 s with Redis gone")
        }
        try cluster.redis.start(port: port)
        let back = Deadline(.seconds(20))
        var welcomed = false
        while !welcomed && !back.hasPassed {
            if let client = try? Client.connect(cluster.nodes[1].endpoint), let line = client.readLine() {
                welcomed = line.hasPrefix("WELCOME ")
                client.close()
            }
            if !welcomed { _ = chat.bob.readLine(timeout: .milliseconds(200)) }
        }
        #expect(welcomed, "node 2 never took a client again after Redis came back")
    }
}

