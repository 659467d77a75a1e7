// ListenerTests+Load: the echo-server executable as a child process under descriptor exhaustion
// and a mass disconnect, watched from outside through /proc.

import Glibc
import TestHarness
import Testing

@testable import Reactor

extension ListenerTests {
    /// Connects and reports how the server answered one line within `timeout`: echoed, closed, or silent.
    enum Fate: Equatable { case served, closed, hung }

    static func probe(_ address: SocketAddress, timeout: Duration = .seconds(1)) throws -> (TestClient, Fate) {
        let client = try TestClient(connectingTo: address)
        try client.send("ping\n")
        switch client.readSome(timeout: timeout) {
        case .bytes(let bytes) where bytes == Array("ping\n".utf8): return (client, .served)
        case .eof, .reset: return (client, .closed)
        case .timeout: return (client, .hung)
        case let other: throw HarnessError("unexpected answer: \(other)")
        }
    }

    @Test(
        "at the descriptor limit, extra peers are closed promptly, the server does not spin, and it serves again once descriptors free up",
        .timeLimit(.minutes(1)))
    func acceptAtDescriptorLimit() throws {
        let (server, address) = try startEchoServer(descriptorLimit: 40)
        var served: [TestClient] = []
        var closedCount = 0
        // More peers than 40 descriptors can hold (the server also has stdio, epoll, eventfd,
        // signalfd, its listener and a reserve descriptor).
        for _ in 0..<60 {
            let (client, fate) = try Self.probe(address)
            #expect(fate != .hung, "a peer over the limit must be closed, not left hanging")
            if fate == .served { served.append(client) } else { closedCount += 1 }
        }
        #expect(served.count >= 20 && served.count <= 36, "served \(served.count)")
        #expect(closedCount == 60 - served.count)

        // Excess connects keep coming for a second; an EMFILE busy loop would burn a whole CPU.
        let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
        let before = try server.cpuTicks()
        let start = ContinuousClock.now
        var excess = 0
        while ContinuousClock.now - start < .seconds(1) {
            let (_, fate) = try Self.probe(address, timeout: .milliseconds(500))
            #expect(fate == .closed)
            excess += 1
            usleep(10_000)
        }
        let used = try server.cpuTicks() - before
        print(
            "acceptAtDescriptorLimit: \(served.count) served, \(closedCount) + \(excess) closed at once; server CPU \(used)/\(ticksPerSecond) ticks in ~1 s"
        )
        #expect(excess >= 20)
        #expect(used * 100 < ticksPerSecond * 30, "server used \(used) ticks of CPU in ~1 s (\(ticksPerSecond)/s)")

        // Established peers were never disturbed.
        for client in served.prefix(5) { try client.roundTrip("still served") }
        // Free some descriptors: new peers are served again.
        for client in served.suffix(10) { client.close() }
        served.removeLast(10)
        var servedAgain = 0
        let deadline = Deadline(.seconds(5))
        while servedAgain < 5 && !deadline.hasPassed {
            let (client, fate) = try Self.probe(address)
            if fate == .served {
                servedAgain += 1
                served.append(client)
            }
        }
        #expect(servedAgain == 5)
    }

    @Test(
        "10,000 peers closing at once do not stall another client, and the server ends with no connections",
        .timeLimit(.minutes(1)))
    func massClose() throws {
        let count = 10_000
        descriptorHeavyTest.lock()
        defer { descriptorHeavyTest.unlock() }
        // The clients live here (10,000 descriptors); the server is a child process, which inherits
        // the raised limit for its 10,000.
        try #require(raiseOpenFilesLimit() >= count + 200, "needs a descriptor limit above 10,200")
        let (server, address) = try startEchoServer()
        let idle = try #require(server.descriptorCount)
        let probe = try TestClient(connectingTo: address)
        try probe.roundTrip("warm up")
        var clients: [TestClient] = []
        clients.reserveCapacity(count)
        for _ in 0..<count { clients.append(try TestClient(connectingTo: address)) }
        // Every connection is accepted and served before the storm.
        #expect(waitUntil(timeout: .seconds(20)) { server.descriptorCount == idle + count + 1 })
        for client in clients.suffix(100) { try client.roundTrip("ready") }

        // Close all of them as fast as possible, probing the server's latency in between.
        var worst = 0.0
        for batch in stride(from: 0, to: count, by: 1000) {
            for client in clients[batch..<batch + 1000] { client.close() }
            worst = max(worst, try milliseconds { try probe.roundTrip("during batch \(batch)") })
        }
        let after = try milliseconds { try probe.roundTrip("after the storm") }
        worst = max(worst, after)
        print("massClose: slowest echo during the storm \(worst) ms, right after it \(after) ms")
        // SwiftNIO issue #894 saw 10-30 s stalls here; a debug build of echo-server stays near 10 ms
        // on a quiet machine, and 132 ms was seen with both cores busy compiling: the bound catches
        // a stall, not a slow machine (make bench-storm measures the loop's own iteration times).
        #expect(worst < 1_000, "slowest echo round trip \(worst) ms")
        #expect(
            waitUntil(timeout: .seconds(10)) { server.descriptorCount == idle + 1 },
            "server still holds \(String(describing: server.descriptorCount)) descriptors, idle \(idle)")
        probe.close()
        #expect(waitUntil(timeout: .seconds(5)) { server.descriptorCount == idle })
    }
}
