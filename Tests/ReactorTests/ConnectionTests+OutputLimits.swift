// ConnectionTests+OutputLimits: the slow-consumer policy over real sockets. A soft limit that must
// be exceeded for a whole grace period, a hard limit that drops at once, and what the reactor
// counts. Both ends run on the test's own reactor, so a "stall" is the reader's pauseReading()
// for a stretch of loop time, measured on the same clock as the grace period.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// Writes `total` pattern bytes (``patternBytes(count:seed:)``), `chunk` bytes `chunksPerTick`
/// times per millisecond, and records what the output policy did to its connection. Runs on the
/// thread that drives the reactor.
final class PatternSource: ConnectionHandler {
    let payload: [UInt8]
    let chunk: Int
    let chunksPerTick: Int
    let respectWritability: Bool
    /// Stop writing once the queue is over the soft limit (the reader's grace is then ended by the
    /// reactor's sweep timer, not by a flush).
    let stopWhenOverSoftLimit: Bool
    private(set) var sent = 0
    private(set) var maxQueued = 0
    /// Loop time the queue first went over the soft limit, and how many separate times it did.
    private(set) var firstOverSoftLimit: Int64?
    private(set) var softLimitEpisodes = 0
    private var wasOverSoftLimit = false
    private(set) var closes: [CloseReason] = []
    private(set) var closedAt: Int64?
    private var timer: Reactor.Timer?

    init(
        total: Int, chunk: Int = 4096, chunksPerTick: Int = 1, respectWritability: Bool = false,
        stopWhenOverSoftLimit: Bool = false
    ) {
        self.payload = patternBytes(count: total)
        self.chunk = chunk
        self.chunksPerTick = chunksPerTick
        self.respectWritability = respectWritability
        self.stopWhenOverSoftLimit = stopWhenOverSoftLimit
    }

    var isDone: Bool { self.sent == self.payload.count }

    func start(_ connection: Connection) {
        connection.handler = self
        self.timer = connection.reactor.scheduleRepeating(everyMilliseconds: 1) { [weak self] in
            self?.tick(connection)
        }
    }

    private func tick(_ connection: Connection) {
        for _ in 0..<self.chunksPerTick {
            guard connection.isOpen, !self.isDone, !self.respectWritability || connection.isWritable else { break }
            if self.stopWhenOverSoftLimit && self.firstOverSoftLimit != nil { break }
            let end = min(self.payload.count, self.sent + self.chunk)
            self.payload[self.sent..<end].withUnsafeBytes { connection.write($0) }
            self.sent = end
            self.maxQueued = max(self.maxQueued, connection.outboundBytes)
            self.observe(connection)
        }
        self.observe(connection)
    }

    /// Notes the soft-limit state after a write, and between writes (a flush may have ended it).
    private func observe(_ connection: Connection) {
        let over = connection.softLimitExceededSince != nil
        if over && !self.wasOverSoftLimit {
            self.softLimitEpisodes += 1
            if self.firstOverSoftLimit == nil { self.firstOverSoftLimit = connection.softLimitExceededSince }
        }
        self.wasOverSoftLimit = over
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.timer?.cancel()
        self.closes.append(reason)
        self.closedAt = connection.reactor.now
    }
}

extension ConnectionTests {
    @Test(
        "a reader that stalls for less than the grace period while the peer floods is kept and gets every byte in order",
        .timeLimit(.minutes(1)))
    func briefStallsAreTolerated() throws {
        let reactor = try Reactor()
        let (server, client) = try reactor.connectedPair()
        let softLimit = 128 * 1024
        server.setOutboundLimits(soft: softLimit, graceMilliseconds: 600, hard: 64 << 20)
        let source = PatternSource(total: 3 << 20)
        source.start(server)
        let reader = Collector()
        client.handler = reader

        // Read for 100 ms, stall for 150 ms (a quarter of the grace period), until all arrived.
        let deadline = Deadline(.seconds(40))
        while reader.received.count < source.payload.count && !deadline.hasPassed && server.isOpen {
            client.resumeReading()
            let readUntil = reactor.now + 100
            _ = reactor.spin { reactor.now >= readUntil || reader.received.count == source.payload.count }
            client.pauseReading()
            let stallUntil = reactor.now + 150
            _ = reactor.spin { reactor.now >= stallUntil }
        }
        client.resumeReading()
        _ = reactor.spin(timeout: .seconds(10)) { reader.received.count >= source.payload.count || !server.isOpen }

        #expect(source.closes.isEmpty, "dropped: \(source.closes)")
        print(
            "briefStallsAreTolerated: largest queue \(source.maxQueued), over the soft limit \(source.softLimitEpisodes) times"
        )
        #expect(firstDifference(reader.received, source.payload) == nil)
        // The stalls did put the queue over the soft limit, more than once: under the hard limit
        // alone at this size the reader would have been dropped.
        #expect(source.maxQueued > softLimit, "largest queue \(source.maxQueued)")
        #expect(source.softLimitEpisodes >= 2, "over the soft limit \(source.softLimitEpisodes) times")
        #expect(server.softLimitExceededSince == nil)
        #expect(reactor.outputStatistics.slowConsumerTimeouts == 0)
        #expect(reactor.outputStatistics.outputLimitDrops == 0)
        #expect(reactor.softLimited.isEmpty && reactor.softLimitTimer == nil)
    }

    @Test(
        "a reader that stops reading is dropped with .slowConsumerTimedOut once the grace period has passed, not before",
        .timeLimit(.minutes(1)), arguments: [false, true])
    func stoppedReaderTimesOut(writerStops: Bool) throws {
        let reactor = try Reactor()
        let (server, client) = try reactor.connectedPair()
        let grace = 250
        server.setOutboundLimits(soft: 64 * 1024, graceMilliseconds: grace, hard: 64 << 20)
        let notice = "ERR slow-consumer\n"
        server.overflowNotice = Array(notice.utf8)
        // writerStops: nothing is written (so nothing is flushed) after the queue passes the soft
        // limit, and only the reactor's sweep timer can end the grace period.
        let source = PatternSource(total: 4 << 20, stopWhenOverSoftLimit: writerStops)
        source.start(server)
        let reader = Collector()
        client.handler = reader
        client.pauseReading()

        #expect(reactor.spin(timeout: .seconds(20)) { !source.closes.isEmpty })
        #expect(source.closes == [.slowConsumerTimedOut])
        let overAt = try #require(source.firstOverSoftLimit)
        let closedAt = try #require(source.closedAt)
        #expect(closedAt - overAt >= Int64(grace), "dropped \(closedAt - overAt) ms after passing the soft limit")
        #expect(closedAt - overAt < Int64(grace) + 2000, "dropped \(closedAt - overAt) ms after passing the soft limit")
        #expect(source.softLimitEpisodes == 1)
        let statistics = reactor.outputStatistics
        #expect(statistics.slowConsumerTimeouts == 1)
        #expect(statistics.outputLimitDrops == 0)
        #expect(statistics.queuedBytes == 0)
        #expect(reactor.softLimited.isEmpty && reactor.softLimitTimer == nil)

        // The reader sees the end of the stream (the notice is best effort: the socket was full).
        client.resumeReading()
        #expect(reactor.spin(timeout: .seconds(10)) { !reader.closes.isEmpty })
        let tail = String(decoding: reader.received.suffix(notice.utf8.count), as: UTF8.self)
        print(
            "stoppedReaderTimesOut(writerStops: \(writerStops)): dropped \(closedAt - overAt) ms after passing the soft limit; notice \(tail == notice ? "arrived" : "did not arrive")"
        )
    }

    @Test(
        "a reader far behind is dropped with .outputLimitExceeded at the hard limit, without waiting for the grace period",
        .timeLimit(.minutes(1)))
    func hardLimitDropsAtOnce() throws {
        let reactor = try Reactor()
        let (server, client) = try reactor.connectedPair()
        let hard = 1 << 20
        server.setOutboundLimits(soft: 64 * 1024, graceMilliseconds: 10_000, hard: hard)
        let source = PatternSource(total: 4 << 20, chunk: 16 * 1024, chunksPerTick: 4)
        source.start(server)
        client.handler = Collector()
        client.pauseReading()

        #expect(reactor.spin(timeout: .seconds(20)) { !source.closes.isEmpty })
        #expect(source.closes == [.outputLimitExceeded])
        let overAt = try #require(source.firstOverSoftLimit)
        let closedAt = try #require(source.closedAt)
        #expect(closedAt - overAt < 5000, "took \(closedAt - overAt) ms of a 10,000 ms grace period")
        // The kernel had refused output long before, so the write that passed the cap dropped it.
        #expect(source.maxQueued <= hard, "largest queue \(source.maxQueued)")
        let statistics = reactor.outputStatistics
        #expect(statistics.outputLimitDrops == 1)
        #expect(statistics.slowConsumerTimeouts == 0)
        #expect(statistics.queuedBytes == 0)
        #expect(reactor.softLimited.isEmpty && reactor.softLimitTimer == nil)
    }

    @Test(
        "changing the soft limit or the grace period takes effect on a queue already over it", .timeLimit(.minutes(1)))
    func softLimitSetters() throws {
        let reactor = try Reactor()
        let (server, client) = try reactor.connectedPair()
        let collector = Collector()
        server.handler = collector
        client.handler = Collector()
        client.pauseReading()
        let chunk = [UInt8](repeating: 120, count: 64 * 1024)
        for _ in 0..<8 { server.write(chunk) }
        reactor.spin(for: .milliseconds(20))
        #expect(server.softLimitExceededSince == nil)
        #expect(server.softOutboundLimit == nil)

        server.softOutboundGraceMilliseconds = 60_000
        server.softOutboundLimit = 16 * 1024
        #expect(server.softLimitExceededSince == reactor.now)
        server.softOutboundLimit = 1 << 30
        #expect(server.softLimitExceededSince == nil)
        #expect(reactor.softLimitTimer == nil)
        server.softOutboundLimit = 16 * 1024
        // Shortening the grace period re-arms the sweep for the earlier deadline.
        server.softOutboundGraceMilliseconds = 50
        #expect(reactor.spin(timeout: .seconds(5)) { !collector.closes.isEmpty })
        #expect(collector.closes == [.slowConsumerTimedOut])
        #expect(reactor.outputStatistics.slowConsumerTimeouts == 1)
    }

    @Test(
        "connections with the same output settings share one object, and changing one's leaves the other's alone",
        .timeLimit(.minutes(1)))
    func sharedOutputSettings() throws {
        let reactor = try Reactor()
        let (first, second) = try reactor.connectedPair()
        first.handler = Collector()
        second.handler = Collector()
        #expect(first.settings === second.settings)
        #expect(first.settings === SharedOutputSettings.standard)

        // A notice nobody else in the process uses, so no other test's settings are found.
        let notice = Array("ERR shared-settings-test \(reactor.now)\n".utf8)
        for connection in [first, second] {
            connection.setOutboundLimits(soft: 100_000, graceMilliseconds: 1_234, hard: 200_000)
            connection.overflowNotice = notice
        }
        #expect(first.settings === second.settings)
        #expect(first.settings !== SharedOutputSettings.standard)

        first.setWatermarks(low: 1_000, high: 2_000)
        #expect(first.settings !== second.settings)
        #expect((first.lowWatermark, first.highWatermark) == (1_000, 2_000))
        #expect((second.lowWatermark, second.highWatermark) == (32 * 1024, 64 * 1024))
        for connection in [first, second] {
            #expect(connection.softOutboundLimit == 100_000)
            #expect(connection.softOutboundGraceMilliseconds == 1_234)
            #expect(connection.maxOutboundBytes == 200_000)
            #expect(connection.overflowNotice == notice)
        }
        // The smallest of the high watermark and the limits is what a write compares with.
        #expect(first.checkAbove == 2_000)
        #expect(second.checkAbove == 64 * 1024)

        // Back to the same values: the same object again.
        first.setWatermarks(low: 32 * 1024, high: 64 * 1024)
        #expect(first.settings === second.settings)
        first.close()
        second.close()
    }
}
