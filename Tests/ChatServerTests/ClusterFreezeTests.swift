// ClusterFreezeTests: a redis-server that stops answering (SIGSTOP) for 10 s while every
// connection to it stays up, the failure a reconnect does not see.
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
}
