// Coalesced output: Connection.enqueue holds bytes until the coalescing delay or the connection's
// next flushed write, whichever comes first, and never reorders them. And the work a burst leaves
// for one iteration (coalesced flushes, close notices) is spread over several.

import Testing

@testable import Reactor

@Suite struct CoalescingTests {
    /// A server connection and the client connection talking to it, on one reactor.
    struct Pair {
        let reactor: Reactor
        let server: Connection
        let client: Collector
    }

    static func pair(coalescingDelay: Int) throws -> Pair {
        let reactor = try Reactor()
        reactor.coalescingDelay = coalescingDelay
        var server: Connection?
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { connection in
            connection.handler = Collector()
            server = connection
        }
        let client = Collector()
        var connected = false
        reactor.connect(to: listener.address) { result in
            if case .success(let connection) = result {
                connection.handler = client
                connected = true
            }
        }
        for _ in 0..<500 where server == nil || !connected { reactor.runOnce(timeoutMilliseconds: 10) }
        return Pair(reactor: reactor, server: try #require(server), client: client)
    }

    /// Runs the loop until `done` or `milliseconds` of loop time pass.
    static func run(_ reactor: Reactor, for milliseconds: Int64, until done: () -> Bool) {
        let start = reactor.now
        while !done() && reactor.now - start < milliseconds { reactor.runOnce(timeoutMilliseconds: 5) }
    }

    /// Runs `reactor` until `done()` reaches `total` (for 5 s at most), one iteration at a time:
    /// how many were done in the end, and the most that one iteration did.
    static func spread(_ reactor: Reactor, total: Int, done: () -> Int) -> (done: Int, mostInOneIteration: Int) {
        var count = done()
        var most = 0
        let start = reactor.now
        while count < total && reactor.now - start < 5000 {
            reactor.runOnce(timeoutMilliseconds: 5)
            let now = done()
            most = max(most, now - count)
            count = now
        }
        return (count, most)
    }

    /// `count` server-side connections, each with the handler `makeHandler` gives it, accepted from
    /// as many connects on `reactor`.
    static func accepted<Handler: ConnectionHandler>(
        _ count: Int, on reactor: Reactor, makeHandler: @escaping () -> Handler
    ) throws -> [(Connection, Handler)] {
        var servers: [(Connection, Handler)] = []
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { connection in
            let handler = makeHandler()
            connection.handler = handler
            servers.append((connection, handler))
        }
        for _ in 0..<count { reactor.connect(to: listener.address) { _ in } }
        run(reactor, for: 5000) { servers.count == count }
        try #require(servers.count == count)
        return servers
    }

    @Test("enqueued bytes wait for the coalescing delay, then arrive", .timeLimit(.minutes(1)))
    func enqueueWaitsForTheDelay() throws {
        let pair = try Self.pair(coalescingDelay: 300)
        let start = pair.reactor.now
        Array("JOIN lobby a\n".utf8).withUnsafeBytes { pair.server.enqueue($0) }
        Array("JOIN lobby b\n".utf8).withUnsafeBytes { pair.server.enqueue($0) }
        Self.run(pair.reactor, for: 100) { false }
        #expect(pair.client.received.isEmpty, "enqueued output left before the delay")
        Self.run(pair.reactor, for: 3000) { pair.client.received.count == 26 }
        #expect(pair.client.text == "JOIN lobby a\nJOIN lobby b\n")
        #expect(pair.reactor.now - start >= 300)
    }

    @Test("a write takes enqueued bytes along at once, in order", .timeLimit(.minutes(1)))
    func writeTakesEnqueuedBytesAlong() throws {
        let pair = try Self.pair(coalescingDelay: 10_000)
        let start = pair.reactor.now
        Array("JOIN lobby a\n".utf8).withUnsafeBytes { pair.server.enqueue($0) }
        pair.server.write(string: "MSG lobby a hi\n")
        Array("PART lobby a\n".utf8).withUnsafeBytes { pair.server.enqueue($0) }
        let expected = "JOIN lobby a\nMSG lobby a hi\nPART lobby a\n"
        Self.run(pair.reactor, for: 3000) { pair.client.received.count == expected.utf8.count }
        #expect(pair.client.text == expected)
        #expect(pair.reactor.now - start < 3000, "the write waited for the coalescing delay")
    }

    @Test("enqueued output counts toward the watermarks and the output cap", .timeLimit(.minutes(1)))
    func enqueueHonoursLimits() throws {
        let pair = try Self.pair(coalescingDelay: 10_000)
        let handler = try #require(pair.server.handler as? Collector)
        pair.server.setWatermarks(low: 1024, high: 4096)
        let chunk = [UInt8](repeating: 120, count: 1000)
        for _ in 0..<5 { chunk.withUnsafeBytes { pair.server.enqueue($0) } }
        #expect(handler.writability == [false])
        pair.server.maxOutboundBytes = 8000
        // The peer is reading fine, so the cap alone does not drop it, but four times the cap does.
        for _ in 0..<30 { chunk.withUnsafeBytes { pair.server.enqueue($0) } }
        #expect(!pair.server.isOpen)
        Self.run(pair.reactor, for: 1000) { !handler.closes.isEmpty }
        #expect(handler.closes == [.outputLimitExceeded])
    }

    @Test(
        "coalesced output for more connections than lazyFlushesPerIteration, or past the iteration's time budget, leaves over several iterations, all of it",
        .timeLimit(.minutes(1)), arguments: [(3, 1_000_000_000), (64, 0)] as [(Int, UInt64)])
    func lazyFlushesAreSpread(limit: Int, budget: UInt64) throws {
        let reactor = try Reactor()
        reactor.coalescingDelay = 20
        reactor.lazyFlushesPerIteration = limit
        // A spent budget still writes one per iteration.
        let most = budget == 0 ? 1 : limit
        var servers: [Connection] = []
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { connection in
            connection.handler = Collector()
            servers.append(connection)
        }
        var clients: [Collector] = []
        for _ in 0..<10 {
            let client = Collector()
            clients.append(client)
            reactor.connect(to: listener.address) { result in
                if case .success(let connection) = result { connection.handler = client }
            }
        }
        Self.run(reactor, for: 5000) { servers.count == 10 }
        try #require(servers.count == 10)
        reactor.iterationBudgetNanoseconds = budget
        for server in servers { Array("JOIN lobby x\n".utf8).withUnsafeBytes { server.enqueue($0) } }
        // Each iteration after the delay flushes at most `most` of the 10 queues, and every one empties.
        let (flushed, mostInOneIteration) = Self.spread(reactor, total: servers.count) {
            servers.filter { $0.output.isEmpty }.count
        }
        let queued = servers.count - flushed
        #expect(queued == 0, "\(queued) connections still hold their coalesced output")
        #expect(mostInOneIteration == most, "at most \(most) per iteration, and \(most) when due; saw \(mostInOneIteration)")
        Self.run(reactor, for: 3000) { clients.allSatisfy { $0.text == "JOIN lobby x\n" } }
        #expect(clients.allSatisfy { $0.text == "JOIN lobby x\n" })
    }

    @Test(
        "closes past closeNoticesPerIteration, or past the iteration's time budget, are told over several iterations, every one",
        .timeLimit(.minutes(1)), arguments: [(3, 1_000_000_000), (0, 1_000_000_000), (64, 0)] as [(Int, UInt64)])
    func closeNoticesAreSpread(limit: Int, budget: UInt64) throws {
        let reactor = try Reactor()
        reactor.closeNoticesPerIteration = limit
        reactor.iterationBudgetNanoseconds = budget
        // A limit of 0 or a spent budget still tells one per iteration.
        let most = budget == 0 ? 1 : max(1, limit)
        let servers = try Self.accepted(10, on: reactor) { Collector() }
        for (connection, _) in servers { connection.close(reason: .local) }
        let (told, mostInOneIteration) = Self.spread(reactor, total: 10) { servers.filter { !$0.1.closes.isEmpty }.count }
        #expect(told == 10, "\(10 - told) closes never told")
        #expect(mostInOneIteration == min(most, 10), "at most \(most) per iteration; saw \(mostInOneIteration)")
        #expect(servers.allSatisfy { $0.1.closes == [.local] })
    }

    /// Notes when its connection's close is told, on the monotonic clock the pace reads. (It holds
    /// no reactor: the listener's closure that makes it would close a cycle through the reactor.)
    final class CloseClock: ConnectionHandler {
        var toldAt: UInt64?
        func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
        func connection(_ connection: Connection, didCloseWith reason: CloseReason) { toldAt = Posix.monotonicNanoseconds() }
    }

    @Test(
        "closes past closesPerMillisecond wait for the pace: a burst at once, then one per interval, the loop asleep in between",
        .timeLimit(.minutes(1)))
    func closesArePaced() throws {
        let reactor = try Reactor()
        reactor.closesPerMillisecond = 1
        reactor.closeNoticesPerIteration = 4
        let servers = try Self.accepted(12, on: reactor) { CloseClock() }
        for (connection, _) in servers { connection.close(reason: .local) }
        let iterationsBefore = reactor.iterations
        // Waits of up to 2 s, for 1.5 s in all (8 ms are needed): were the loop not woken when the
        // next close is due, its second wait would end past that with 4 closes still untold.
        let start = reactor.now
        var toldInFirst = -1
        while servers.contains(where: { $0.1.toldAt == nil }) && reactor.now - start < 1500 {
            reactor.runOnce(timeoutMilliseconds: 2000)
            if toldInFirst < 0 { toldInFirst = servers.filter { $0.1.toldAt != nil }.count }
        }
        let told = servers.compactMap(\.1.toldAt).sorted()
        try #require(told.count == 12, "\(12 - told.count) closes never told")
        #expect(toldInFirst == 4, "a burst of 4 at once; saw \(toldInFirst)")
        // The 12th goes 8 intervals after the burst's first, whatever the loop's speed.
        let spreadMilliseconds = Double(told[11] - told[0]) / 1e6
        #expect(spreadMilliseconds >= 7.9, "12 closes told within \(spreadMilliseconds) ms")
        // A loop spinning until each is due runs thousands of iterations in 8 ms.
        let iterations = reactor.iterations - iterationsBefore
        #expect(iterations <= 40, "\(iterations) iterations to tell 12 closes")
    }

    @Test("events past the iteration's time budget wait for the next iteration, and every one is handled", .timeLimit(.minutes(1)))
    func dispatchIsSpread() throws {
        let reactor = try Reactor()
        var servers: [Collector] = []
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { connection in
            let collector = Collector()
            connection.handler = collector
            servers.append(collector)
        }
        var clients: [Connection] = []
        for _ in 0..<6 {
            reactor.connect(to: listener.address) { result in
                if case .success(let connection) = result { clients.append(connection) }
            }
        }
        Self.run(reactor, for: 5000) { servers.count == 6 && clients.count == 6 }
        try #require(servers.count == 6 && clients.count == 6)
        // Spent before it starts: each iteration handles its first event only. On loopback all six
        // server sockets are readable as soon as the writes return, so one wait reports them together.
        reactor.iterationBudgetNanoseconds = 0
        for client in clients { client.write(string: "x\n") }
        let (heard, mostInOneIteration) = Self.spread(reactor, total: 6) { servers.filter { !$0.received.isEmpty }.count }
        #expect(heard == 6, "\(6 - heard) reads never handled")
        #expect(mostInOneIteration == 1, "one event per iteration; saw \(mostInOneIteration)")
        #expect(servers.allSatisfy { $0.text == "x\n" })
    }

    @Test("a Backlog gives back what it was given in order, across its compactions and appends while taking")
    func backlogOrder() {
        var backlog = Backlog<Int>()
        var next = 0
        var taken: [Int] = []
        // Appends between takes keep it from emptying, so only the compaction bounds its storage.
        for round in 0..<100 {
            for _ in 0..<(round % 7 == 0 ? 300 : 40) {
                backlog.append(next)
                next += 1
            }
            for _ in 0..<50 {
                guard let element = backlog.popFirst() else { break }
                taken.append(element)
            }
            #expect(backlog.count == next - taken.count)
        }
        taken += backlog.takeAll()
        #expect(backlog.isEmpty && backlog.popFirst() == nil)
        #expect(taken == Array(0..<next))
    }
}

