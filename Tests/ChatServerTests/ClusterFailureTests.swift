// ClusterFailureTests: what a cluster loses when Redis fails under chat, and that the nodes count
// it: Redis killed and restarted, and Redis stopped (SIGSTOP) for 10 s with every connection to it
// up, the failure a reconnect does not see.
import Glibc
import TestHarness
import Testing

extension EndToEnd.ClusterTests {
    @Test(
        "Redis frozen for 10 s: the nodes do not spin, local chat loses nothing, and afterwards every line the other node missed is counted",
        .timeLimit(.minutes(2))
    )
    func redisFrozen() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let alice = try Self.member(cluster.nodes[0], "alice")
        let carol = try Self.member(cluster.nodes[0], "carol")
        let bob = try Self.member(cluster.nodes[1], "bob")
        try Self.waitForMembers(alice, ["alice", "bob", "carol"])
        try Self.waitForMembers(bob, ["alice", "bob", "carol"])
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        let cpuBefore = try cluster.nodes.map { try $0.cpuTicks() }

        cluster.redis.freeze()
        defer { cluster.redis.thaw() }
        // Alice talks all through the freeze; carol, on her node, must get every line at once.
        // Bob's reads pace the loop (nothing reaches him while Redis is stopped).
        var sent: [String] = []
        var bobSaw: [String] = []
        let freeze = Deadline(.seconds(10))
        while !freeze.hasPassed {
            let text = "frozen \(sent.count + 1)"
            try alice.send(text)
            sent.append(text)
            try Self.eventually(carol, "MSG lobby alice \(text)")
            if let line = bob.readLine(timeout: .milliseconds(250)) { bobSaw.append(line) }
        }
        let cpuDuring = try zip(cluster.nodes, cpuBefore).map { try $0.cpuTicks() - $1 }
        cluster.redis.thaw()
        for (index, ticks) in cpuDuring.enumerated() {
            #expect(ticks < ticksPerSecond, "node \(index + 1) used \(ticks) ticks of CPU in 10 s with Redis frozen")
        }

        // After the thaw the cross-node path works again: a line alice sends now reaches bob.
        let back = Deadline(.seconds(20))
        var resumed = false
        var probe = 0
        while !resumed && !back.hasPassed {
            probe += 1
            try alice.send("after the thaw \(probe)")
            let wait = Deadline(.seconds(1))
            while !resumed && !wait.hasPassed, let line = bob.readLine(timeout: wait.remaining) {
                bobSaw.append(line)
                if line.hasPrefix("MSG lobby alice after the thaw ") { resumed = true }
            }
        }
        try #require(resumed, "bob never heard alice again; he saw \(bobSaw)")
        try Self.waitForMembers(bob, ["alice", "bob", "carol"])
        try Self.waitForMembers(alice, ["alice", "bob", "carol"])

        // What bob missed of the freeze is what the nodes say was lost: the sender's drops and the
        // receiver's missed messages (gaps in alice's node's sequence on the room's channel).
        let heard = Set(bobSaw.compactMap { $0.hasPrefix("MSG lobby alice frozen ") ? String($0.dropFirst(16)) : nil })
        let lost = sent.filter { !heard.contains($0) }.count
        let sender = try alice.stats()
        let receiver = try bob.stats()
        #expect(lost == (receiver["bus_missed"] ?? -1), "bob missed \(lost) of \(sent.count); node 2 counted \(receiver["bus_missed"] ?? -1)")
        // And a freeze this short loses nothing: alice's lines waited in her node's output to Redis.
        #expect(lost == 0 && sender["bus_dropped"] == 0, "lost \(lost) of \(sent.count)")
        #expect(receiver["bus_duplicates"] == 0)
    }

    @Test(
        "Redis killed and restarted under chat: local chat loses nothing, and every line the other node missed is one it counted",
        .timeLimit(.minutes(1))
    )
    func redisRestartedUnderChat() throws {
        let cluster = try Cluster(nodes: 2)
        defer { cluster.stop() }
        let alice = try Self.member(cluster.nodes[0], "alice")
        let carol = try Self.member(cluster.nodes[0], "carol")
        let bob = try Self.member(cluster.nodes[1], "bob")
        try Self.waitForMembers(alice, ["alice", "bob", "carol"])
        try Self.waitForMembers(bob, ["alice", "bob", "carol"])
        var sent: [String] = []
        var bobSaw: [String] = []
        func say(_ text: String, wait: Duration) throws {
            try alice.send(text)
            sent.append(text)
            try Self.eventually(carol, "MSG lobby alice \(text)")
            if let line = bob.readLine(timeout: wait) { bobSaw.append(line) }
        }
        for index in 1...20 { try say("line \(index)", wait: .milliseconds(20)) }
        let port = cluster.redis.port
        cluster.redis.kill()
        let down = Deadline(.seconds(1))
        while !down.hasPassed { try say("line \(sent.count + 1)", wait: .milliseconds(50)) }
        try cluster.redis.start(port: port)
        // Alice keeps talking until bob hears her again; what he heard then shows every gap.
        let back = Deadline(.seconds(20))
        while !back.hasPassed && !bobSaw.contains(where: { $0 == "MSG lobby alice \(sent.last ?? "")" }) {
            try say("line \(sent.count + 1)", wait: .milliseconds(200))
        }
        let heard = Set(bobSaw.compactMap { $0.hasPrefix("MSG lobby alice ") ? String($0.dropFirst(16)) : nil })
        try #require(heard.contains(sent.last ?? ""), "bob never heard alice again; he saw \(bobSaw)")
        let lost = sent.filter { !heard.contains($0) }.count
        let receiver = try bob.stats()
        #expect(lost > 0, "nothing was lost: the test did not catch Redis down")
        #expect(lost == receiver["bus_missed"], "bob missed \(lost) of \(sent.count) lines; his node counted \(receiver["bus_missed"] ?? -1)")
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
}

