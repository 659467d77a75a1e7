// OutputBudgetTests: the reactor-wide output budget over real sockets. A producer fans out to
// readers that stop reading; the budget pauses the producer (not the bystander), nothing is
// dropped, and everything arrives once the readers read again. All ends run on the test's reactor.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// The server side of a tiny chat room: what a producer sends goes to every reader, what anyone
/// else sends is echoed back to them.
final class Hub: ConnectionHandler {
    var readers: [Connection] = []
    var producers: Set<ObjectIdentifier> = []
    /// The largest reactor-wide total seen right after a read was handled.
    private(set) var peakQueued = 0
    private(set) var closes: [CloseReason] = []

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if self.producers.contains(ObjectIdentifier(connection)) {
            for reader in self.readers { reader.write(bytes) }
        } else {
            connection.write(bytes)
        }
        self.peakQueued = max(self.peakQueued, connection.reactor.queuedOutputBytes)
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) { self.closes.append(reason) }
}

@Suite struct OutputBudgetTests {
    struct End {
        let server: Connection
        let client: Connection
        let collector: Collector
    }

    /// A room on one reactor: `readers` stuck readers (reading paused), a bystander, and a
    /// producer whose client sends `total` pattern bytes as fast as its connection is writable.
    struct Room {
        let reactor: Reactor
        let hub: Hub
        let readers: [End]
        let bystander: End
        let producer: Connection
        let producerClient: Connection
        let source: PatternSource

        var connections: [Connection] {
            self.readers.flatMap { [$0.server, $0.client] }
                + [self.bystander.server, self.bystander.client, self.producer, self.producerClient]
        }

        /// The reactor's O(1) total agrees with the connections' own queues.
        func totalIsExact(plus others: [Connection] = []) -> Bool {
            self.reactor.queuedOutputBytes == (self.connections + others).reduce(0) { $0 + $1.outboundBytes }
        }
    }

    static func room(readers count: Int, total: Int, budget: OutputBudget) throws -> Room {
        let reactor = try Reactor()
        reactor.outputBudget = budget
        let hub = Hub()
        func end() throws -> End {
            let (server, client) = try reactor.connectedPair()
            server.handler = hub
            let collector = Collector()
            client.handler = collector
            return End(server: server, client: client, collector: collector)
        }
        let readers = try (0..<count).map { _ in try end() }
        for reader in readers {
            hub.readers.append(reader.server)
            reader.client.pauseReading()
        }
        let bystander = try end()
        let (producer, producerClient) = try reactor.connectedPair()
        producer.handler = hub
        hub.producers.insert(ObjectIdentifier(producer))
        let source = PatternSource(total: total, chunk: 16 * 1024, chunksPerTick: 4, respectWritability: true)
        source.start(producerClient)
        return Room(
            reactor: reactor, hub: hub, readers: readers, bystander: bystander, producer: producer,
            producerClient: producerClient, source: source)
    }

    @Test(
        "past the high watermark the heaviest producer is no longer read until the output drains; nothing is lost and the bystander is still served",
        .timeLimit(.minutes(2)))
    func budgetPausesTheProducer() throws {
        let budget = OutputBudget(limit: 4 << 20)
        #expect(budget.highWatermark == 3 << 20 && budget.lowWatermark == 2 << 20)
        let room = try Self.room(readers: 8, total: 4 << 20, budget: budget)
        let reactor = room.reactor

        #expect(reactor.spin(timeout: .seconds(20)) { room.producer.isReadingPausedForBudget })
        #expect(room.totalIsExact())
        var statistics = reactor.outputStatistics
        #expect(statistics.isOverBudget)
        #expect(statistics.budgetPauses == 1)
        #expect(statistics.budgetPausedConnections == 1)
        #expect(!room.producer.isReadingPaused, "the owner's pause flag is separate")

        // Someone else still chats: a small producer reads on.
        room.bystander.client.write(string: "still here\n")
        #expect(reactor.spin { room.bystander.collector.text == "still here\n" })
        #expect(!room.bystander.server.isReadingPausedForBudget)

        // Nothing drains while the readers are stuck, so the producer stays paused, and its
        // sender, held back by the full socket, stops sending.
        reactor.spin(for: .milliseconds(200))
        let sentWhilePaused = room.source.sent
        reactor.spin(for: .milliseconds(100))
        #expect(room.producer.isReadingPausedForBudget)
        #expect(room.source.sent == sentWhilePaused)
        #expect(room.totalIsExact())

        // The readers read again: the output drains, the producer is resumed (perhaps paused and
        // resumed a few more times), and every reader gets every byte in order.
        for reader in room.readers { reader.client.resumeReading() }
        let total = room.source.payload.count
        #expect(
            reactor.spin(timeout: .seconds(90)) { room.readers.allSatisfy { $0.collector.received.count >= total } })
        for reader in room.readers {
            #expect(firstDifference(reader.collector.received, room.source.payload) == nil)
        }
        #expect(reactor.spin { !reactor.outputStatistics.isOverBudget })
        #expect(!room.producer.isReadingPausedForBudget)
        #expect(room.hub.closes.isEmpty && room.connections.allSatisfy { $0.isOpen })

        statistics = reactor.outputStatistics
        #expect(statistics.budgetPauses >= 1)
        #expect(statistics.budgetPausedMilliseconds >= 300)
        #expect(statistics.slowConsumerTimeouts == 0 && statistics.outputLimitDrops == 0)
        // The stated bound: the high watermark, plus one read's fan-out to the 8 readers, plus what
        // the producer's own client (unattributed, timer-driven) holds below its high watermark.
        let bound = budget.highWatermark + 8 * Reactor.scratchSize + 128 * 1024
        #expect(statistics.peakQueuedBytes <= bound, "peak \(statistics.peakQueuedBytes), bound \(bound)")
        #expect(room.hub.peakQueued <= bound, "peak \(room.hub.peakQueued), bound \(bound)")
        #expect(statistics.peakQueuedBytes <= budget.limit)
        print(
            "budgetPausesTheProducer: \(statistics.budgetPauses) pauses, \(statistics.budgetPausedMilliseconds) ms, peak \(statistics.peakQueuedBytes) of \(budget.limit)"
        )
    }

    @Test(
        "past the limit itself, any connection whose read queues output is paused too, until the output drains",
        .timeLimit(.minutes(2)))
    func pastTheLimitEveryProducerPauses() throws {
        let budget = OutputBudget(limit: 1 << 20, highWatermark: 1 << 20, lowWatermark: 256 * 1024)
        let room = try Self.room(readers: 4, total: 2 << 20, budget: budget)
        let reactor = room.reactor
        #expect(reactor.spin(timeout: .seconds(20)) { room.producer.isReadingPausedForBudget })
        #expect(reactor.queuedOutputBytes > budget.limit)

        // The read that passed the limit may have passed it only together with the producer's
        // client's queue (its timer's output, credited to no one), and that queue goes on draining
        // into the producer's socket: the total was seen back at the limit, a few hundred bytes
        // under it, by the time the bystander's line was read, which then paused no one. So that
        // the bystander meets a total past the limit whatever that queue does, output nobody reads
        // tops up what cannot drain (the stuck readers' queues and this ballast) until it alone is
        // past the limit, checked after each flush, so what the kernel takes is already taken.
        let (ballast, ballastClient) = try reactor.connectedPair()
        ballast.handler = Collector()
        ballastClient.handler = Collector()
        ballastClient.pauseReading()
        let ballastChunk = [UInt8](repeating: 98, count: 16 * 1024)
        func stuckTotal() -> Int { reactor.queuedOutputBytes - room.producerClient.outboundBytes }
        #expect(
            reactor.spin {
                if stuckTotal() > budget.limit { return true }
                ballast.write(ballastChunk)
                return false
            })
        #expect(reactor.outputStatistics.budgetPausedConnections == 1)

        // The bystander's line is read and answered, and then it is paused as well.
        room.bystander.client.write(string: "one\n")
        #expect(reactor.spin { room.bystander.collector.text == "one\n" })
        #expect(room.bystander.server.isReadingPausedForBudget)
        room.bystander.client.write(string: "two\n")
        reactor.spin(for: .milliseconds(100))
        #expect(room.bystander.collector.text == "one\n")
        #expect(reactor.outputStatistics.budgetPausedConnections == 2)

        for reader in room.readers { reader.client.resumeReading() }
        ballastClient.resumeReading()
        let total = room.source.payload.count
        #expect(
            reactor.spin(timeout: .seconds(90)) { room.readers.allSatisfy { $0.collector.received.count >= total } })
        for reader in room.readers {
            #expect(firstDifference(reader.collector.received, room.source.payload) == nil)
        }
        #expect(reactor.spin { room.bystander.collector.text == "one\ntwo\n" })
        #expect(reactor.spin { !reactor.outputStatistics.isOverBudget })
        #expect(!room.bystander.server.isReadingPausedForBudget && !room.producer.isReadingPausedForBudget)
        #expect(room.hub.closes.isEmpty)
        #expect(room.totalIsExact(plus: [ballast, ballastClient]))
    }

    @Test(
        "output a timer queues inside attributingOutput counts for that connection and pauses it; unattributed output pauses no one",
        .timeLimit(.minutes(1)), arguments: [true, false])
    func attributedOutput(attributed: Bool) throws {
        let reactor = try Reactor()
        reactor.outputBudget = OutputBudget(limit: 1 << 20)
        let (source, sourceClient) = try reactor.connectedPair()
        let (reader, readerClient) = try reactor.connectedPair()
        for connection in [source, sourceClient, reader, readerClient] { connection.handler = Collector() }
        readerClient.pauseReading()
        let chunk = [UInt8](repeating: 120, count: 16 * 1024)
        let timer = reactor.scheduleRepeating(everyMilliseconds: 1) {
            guard !reactor.outputStatistics.isOverBudget else { return }
            if attributed {
                source.attributingOutput { reader.write(chunk) }
            } else {
                reader.write(chunk)
            }
        }
        defer { timer.cancel() }
        #expect(reactor.spin(timeout: .seconds(10)) { reactor.outputStatistics.isOverBudget })
        #expect(reactor.outputStatistics.budgetPauses == 1)
        #expect(source.isReadingPausedForBudget == attributed)
        #expect((source.recentOutputProduced > 0) == attributed)
        #expect(!reader.isReadingPausedForBudget && reader.recentOutputProduced == 0)
        #expect(reactor.outputStatistics.budgetPausedConnections == (attributed ? 1 : 0))

        // Closing the stuck reader frees its queue, the budget is satisfied, and the pause ends.
        reader.close()
        #expect(reactor.spin { !reactor.outputStatistics.isOverBudget })
        #expect(!source.isReadingPausedForBudget)
        #expect(reactor.queuedOutputBytes == 0)
    }
}
