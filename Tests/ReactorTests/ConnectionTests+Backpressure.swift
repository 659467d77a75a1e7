// ConnectionTests+Backpressure: slow consumers, watermarks, the output cap, and paused reading.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// What a ``Flooder`` saw, shared with the test thread.
struct FloodReport: Sendable {
    var written = 0
    var maxQueued = 0
    var writability: [Bool] = []
    var closes: [CloseReason] = []
}

/// Writes `chunk` a few times per millisecond to a peer that may not read. With
/// `respectWritability`, it stops while the connection is not writable, as an embedder should.
final class Flooder: ConnectionHandler {
    let report: Shared<FloodReport>
    let chunk: [UInt8]
    let respectWritability: Bool
    private var timer: Reactor.Timer?

    init(report: Shared<FloodReport>, chunkSize: Int = 16 * 1024, respectWritability: Bool) {
        self.report = report
        self.chunk = [UInt8](repeating: UInt8(ascii: "w"), count: chunkSize)
        self.respectWritability = respectWritability
    }

    func start(_ connection: Connection) {
        self.timer = connection.reactor.scheduleRepeating(everyMilliseconds: 1) { [weak self] in
            self?.tick(connection)
        }
    }

    private func tick(_ connection: Connection) {
        for _ in 0..<4 {
            guard connection.isOpen, !self.respectWritability || connection.isWritable else { return }
            connection.write(self.chunk)
            let queued = connection.outboundBytes
            self.report.withLock {
                $0.written += self.chunk.count
                $0.maxQueued = max($0.maxQueued, queued)
            }
        }
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}

    func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {
        self.report.withLock { $0.writability.append(isWritable) }
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.timer?.cancel()
        self.report.withLock { $0.closes.append(reason) }
    }
}

/// Starts a reactor thread whose accepted connections are flooded; `configure` runs on each first.
func startFlooder(
    report: Shared<FloodReport>, respectWritability: Bool,
    configure: @escaping @Sendable (Connection) -> Void = { _ in }
) throws
    -> (ReactorThread, SocketAddress)
{
    try ReactorThread.start { reactor in
        try reactor.listen(on: loopbackAny) { connection in
            configure(connection)
            let flooder = Flooder(report: report, respectWritability: respectWritability)
            connection.handler = flooder
            flooder.start(connection)
        }.address
    }
}

extension ConnectionTests {
    @Test(
        "a peer that never reads makes the connection non-writable past the high watermark, and writable again once it reads",
        .timeLimit(.minutes(1)))
    func watermarks() throws {
        let report = Shared(FloodReport())
        let (server, address) = try startFlooder(report: report, respectWritability: true)
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address, receiveBuffer: 16 * 1024)
        #expect(report.eventually(timeout: .seconds(20)) { $0.writability == [false] })
        // The flooder stops at `false`: nothing more is written while the peer does not read.
        let stalled = report.value.written
        usleep(100_000)
        #expect(report.value.written == stalled)
        #expect(report.value.maxQueued <= 64 * 1024 + 16 * 1024)
        // The peer reads; the queue drains below the low watermark and the flooder hears `true`.
        let deadline = Deadline(.seconds(20))
        while report.value.writability.count < 2 && !deadline.hasPassed {
            _ = client.readSome(max: 1 << 20, timeout: .milliseconds(10))
        }
        #expect(report.value.writability.prefix(2) == [false, true])
        #expect(report.value.closes.isEmpty)
    }

    @Test(
        "output past maxOutboundBytes to a peer that stopped reading closes the connection with .outputLimitExceeded, and the queue stays bounded",
        .timeLimit(.minutes(1)), arguments: [256 * 1024, 16 * 1024])
    func outputLimit(_ cap: Int) throws {
        let report = Shared(FloodReport())
        let notice = "ERR output-limit-exceeded\n"
        let (server, address) = try startFlooder(report: report, respectWritability: false) { connection in
            connection.maxOutboundBytes = cap
            connection.overflowNotice = Array(notice.utf8)
        }
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address, receiveBuffer: 16 * 1024)
        #expect(report.eventually(timeout: .seconds(20)) { $0.closes == [.outputLimitExceeded] })
        // The documented bound: whatever the peer does, queued output never exceeds four times the
        // cap (a burst may exceed the cap itself while the kernel still takes output).
        #expect(report.value.maxQueued / 4 <= cap, "largest queue \(report.value.maxQueued)")
        let (bytes, end) = client.readToEnd(timeout: .seconds(10))
        #expect(end == .eof || end == .reset)
        // Best effort by design: the notice goes straight to a socket that is likely full.
        let tail = String(decoding: bytes.suffix(notice.utf8.count), as: UTF8.self)
        print(
            "outputLimit(\(cap)): overflow notice \(tail == notice ? "arrived" : "did not arrive") after \(bytes.count) bytes"
        )
    }

    @Test(
        "a paused connection's data is not delivered until it resumes, then all of it arrives in order",
        .timeLimit(.minutes(1)))
    func pauseAndResume() throws {
        let reactor = try Reactor()
        let collector = Collector()
        var accepted: Connection?
        let listener = try reactor.listen(on: loopbackAny) { connection in
            connection.pauseReading()  // before the first read
            connection.handler = collector
            accepted = connection
        }
        let client = try TestClient(connectingTo: listener.address)
        #expect(reactor.spin { accepted != nil })
        let connection = try #require(accepted)
        #expect(connection.isReadingPaused)
        let first = patternBytes(count: 100_000, seed: 1)
        try client.send(first)
        reactor.spin(for: .milliseconds(100))
        #expect(collector.reads == 0)

        connection.resumeReading()
        #expect(!connection.isReadingPaused)
        #expect(reactor.spin { collector.received.count == first.count })
        #expect(firstDifference(collector.received, first) == nil)

        // Pause again from the outside, with more data and then EOF waiting in the kernel.
        connection.pauseReading()
        let second = patternBytes(count: 50_000, seed: 2)
        try client.send(second)
        client.shutdownWrite()
        reactor.spin(for: .milliseconds(100))
        #expect(collector.received.count == first.count)
        #expect(!collector.eof && collector.closes.isEmpty)
        connection.resumeReading()
        #expect(reactor.spin { !collector.closes.isEmpty })
        #expect(firstDifference(collector.received, first + second) == nil)
        #expect(collector.eof)
        #expect(collector.closes == [.peerClosed])
    }
}

@Suite struct OutputBufferTests {
    @Test("a region grows, compacts and is given back; more than 4 GiB less 64 KiB is refused without allocating")
    func growthAndTheLimit() {
        let pool = BufferPool()
        var buffer = OutputBuffer()
        let line = [UInt8](repeating: 65, count: 200)
        for _ in 0..<100 {
            if !buffer.hasRoom(for: line.count) {
                let grown = buffer.makeRoom(line.count, pool: pool)
                #expect(grown)
            }
            line.withUnsafeBytes { buffer.appendAssumingRoom($0) }
        }
        #expect(buffer.count == 20_000 && buffer.capacity >= 20_000)
        buffer.consume(19_900, pool: pool)
        #expect(buffer.count == 100 && Array(buffer.readable) == [UInt8](repeating: 65, count: 100))
        // The queue cannot be counted past the limit: refused, and the buffer is as it was.
        let capacity = buffer.capacity
        let refused = !buffer.makeRoom(OutputBuffer.maxCapacity - 99, pool: pool)
        #expect(refused)
        #expect(buffer.count == 100 && buffer.capacity == capacity)
        let room = buffer.makeRoom(1_000, pool: pool)
        #expect(room)
        buffer.consume(100, pool: pool)
        #expect(buffer.isEmpty && buffer.base == nil)
        #expect(OutputBuffer.maxCapacity == (1 << 32) - (64 << 10))
        #expect(MemoryLayout<OutputBuffer>.size == 24)
    }
}
