// ConnectionTests: echo round trips over every family, large payloads, thousands of peers, and how
// connections end: reset, EOF, half-close, and close from inside callbacks.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// Collects what a connection receives and how it ends, on the thread that drives the reactor.
final class Collector: ConnectionHandler {
    var received: [UInt8] = []
    var reads = 0
    var eof = false
    var closes: [CloseReason] = []
    var writability: [Bool] = []

    var text: String { String(decoding: self.received, as: UTF8.self) }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.reads += 1
        self.received += bytes
    }

    func connectionDidReachEOF(_ connection: Connection) {
        self.eof = true
        connection.close(reason: .peerClosed)
    }

    func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {
        self.writability.append(isWritable)
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) { self.closes.append(reason) }
}

/// Echoes lines; at EOF sends `farewell` and closes after flushing it (a half-close).
final class FarewellEcho: ConnectionHandler {
    var framer = LineFramer(maxLineLength: 1024)
    let farewell: [UInt8]
    let closes: Shared<[CloseReason]>

    init(farewell: [UInt8], closes: Shared<[CloseReason]>) {
        self.farewell = farewell
        self.closes = closes
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.framer.process(bytes) { frame in
            if case .line(let line) = frame {
                connection.write(line)
                connection.write(string: "\n")
            }
        }
    }

    func connectionDidReachEOF(_ connection: Connection) {
        connection.write(self.farewell)
        connection.closeAfterFlush()
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.closes.withLock { $0.append(reason) }
    }
}

/// Answers the first line with `farewell` and closes after flushing, with more input still arriving.
final class QuitOnFirstLine: ConnectionHandler {
    var framer = LineFramer(maxLineLength: 1 << 20)
    let farewell: [UInt8]
    let closes: Shared<[CloseReason]>
    /// Set once the farewell is queued and the close asked for, so a test can wait for that.
    let quitting: Shared<Bool>

    init(farewell: [UInt8], closes: Shared<[CloseReason]>, quitting: Shared<Bool>) {
        self.farewell = farewell
        self.closes = closes
        self.quitting = quitting
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.framer.process(bytes) { frame in
            guard case .line = frame else { return }
            connection.write(self.farewell)  // ignored for later lines: the connection is closing
            connection.closeAfterFlush()
            self.quitting.withLock { $0 = true }
        }
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.closes.withLock { $0.append(reason) }
    }
}

@Suite struct ConnectionTests {
    @Test(
        "lines echo back over TCP/IPv4, TCP/IPv6 and a Unix-domain socket", .timeLimit(.minutes(1)),
        arguments: Family.allCases)
    func lineEcho(_ family: Family) throws {
        let stats = Shared(EchoStats())
        let (server, address) = try startServer(on: family.listenAddress(), stats: stats)
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address)
        let lines = (0..<200).map { index in String(repeating: "\(index % 10)", count: index * 7) }
        for line in lines { try client.roundTrip(line) }
        // Pipelined: all lines in one send, then all echoes.
        try client.send(lines.map { $0 + "\n" }.joined())
        for line in lines { #expect(try client.readLine() == line) }
        #expect(stats.value.lines == 400)
        client.close()
        #expect(stats.eventually { $0.closes == [.peerClosed] })
        #expect(stats.value.accepted == 1 && stats.value.open == 0)
    }

    @Test(
        "the connection reports the peer's and its own address", .timeLimit(.minutes(1)),
        arguments: [Family.ipv4, .ipv6])
    func addresses(_ family: Family) throws {
        let reactor = try Reactor()
        var accepted: Connection?
        let listener = try reactor.listen(on: family.listenAddress()) { accepted = $0 }
        let client = try TestClient(connectingTo: listener.address)
        #expect(reactor.spin { accepted != nil })
        let connection = try #require(accepted)
        let clientLocal = try Posix.localAddress(client.fd)
        #expect(connection.remoteAddress == clientLocal)
        #expect(connection.localAddress == listener.address)
        #expect(connection.remoteAddress?.isLoopback == true)
        connection.close()
    }

    @Test(
        "a payload of several megabytes echoes back intact, with reads paused while output backs up",
        .timeLimit(.minutes(1)), arguments: Family.allCases)
    func largePayloadWithBackpressure(_ family: Family) throws {
        let maxQueued = Shared(0)
        let (server, address) = try startServer(on: family.listenAddress()) { RawEcho(maxQueued: maxQueued) }
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address)
        let payload = patternBytes(count: 8 << 20, seed: 7)
        let echoed = try client.exchange(payload, expecting: payload.count)
        #expect(firstDifference(echoed, payload) == nil)
        // Paused at the high watermark (64 KiB), so at most one read (64 KiB) past it is ever queued.
        #expect(maxQueued.value <= 64 * 1024 + Reactor.scratchSize)
    }

    @Test(
        "an echo that ignores backpressure queues the whole payload and still delivers it in order",
        .timeLimit(.minutes(1)))
    func largePayloadQueued() throws {
        final class Echo: ConnectionHandler {
            func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) { connection.write(bytes) }
        }
        let (server, address) = try startServer(on: loopbackAny) { Echo() }
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address)
        let payload = patternBytes(count: 6 << 20, seed: 3)
        try client.send(payload)  // the client reads nothing until everything is sent
        let echoed = try client.readExactly(payload.count, timeout: .seconds(30))
        #expect(firstDifference(echoed, payload) == nil)
    }

    @Test("5,000 concurrent connections each get their echo", .timeLimit(.minutes(1)))
    func fiveThousandConnections() throws {
        let count = 5000
        descriptorHeavyTest.lock()
        defer { descriptorHeavyTest.unlock() }
        // Both ends live in this process: 10,000 descriptors plus the test's own.
        try #require(raiseOpenFilesLimit() >= 2 * count + 100, "needs a descriptor limit above 10,100")
        let stats = Shared(EchoStats())
        let (server, address) = try startServer(on: loopbackAny, stats: stats)
        defer { server.stopAndJoin() }
        var clients: [TestClient] = []
        clients.reserveCapacity(count)
        for _ in 0..<count { clients.append(try TestClient(connectingTo: address)) }
        #expect(stats.eventually(timeout: .seconds(20)) { $0.accepted == count })
        for (index, client) in clients.enumerated() { try client.send("client \(index)\n") }
        let served = clients.indices.filter { (try? clients[$0].readLine(timeout: .seconds(10))) == "client \($0)" }
        #expect(served.count == count)
        #expect(stats.value.lines == count)
        for client in clients { client.close() }
        #expect(stats.eventually(timeout: .seconds(20)) { $0.open == 0 })
        #expect(stats.value.closes.count == count)
        #expect(stats.value.closes.allSatisfy { $0 == .peerClosed })
    }

    @Test("a peer that resets is closed with .reset and other connections carry on", .timeLimit(.minutes(1)))
    func peerReset() throws {
        let stats = Shared(EchoStats())
        let (server, address) = try startServer(on: loopbackAny, stats: stats)
        defer { server.stopAndJoin() }
        let resetter = try TestClient(connectingTo: address)
        let bystander = try TestClient(connectingTo: address)
        try resetter.roundTrip("about to reset")
        try bystander.roundTrip("watching")
        resetter.setLingerZero()
        resetter.close()
        #expect(stats.eventually { $0.closes == [.reset] })
        try bystander.roundTrip("still here")
        #expect(stats.value.open == 1)
        bystander.close()
        #expect(stats.eventually { $0.closes == [.reset, .peerClosed] })
    }

    @Test(
        "a peer's EOF closes the connection with .peerClosed after its last line is echoed",
        .timeLimit(.minutes(1)))
    func eofClosesByDefault() throws {
        let stats = Shared(EchoStats())
        let (server, address) = try startServer(on: loopbackAny, stats: stats)
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address)
        try client.send("last words\n")
        client.shutdownWrite()
        let (bytes, end) = client.readToEnd()
        #expect(String(decoding: bytes, as: UTF8.self) == "last words\n")
        #expect(end == .eof)
        #expect(stats.eventually { $0.closes == [.peerClosed] })
    }

    @Test(
        "a handler that answers EOF with closeAfterFlush delivers its final bytes to the half-closed peer",
        .timeLimit(.minutes(1)), arguments: [4, 3 << 20])
    func halfCloseDeliversFinalBytes(_ farewellSize: Int) throws {
        let closes = Shared([CloseReason]())
        let farewell = patternBytes(count: farewellSize - 4) + Array("bye\n".utf8)
        let (server, address) = try startServer(on: loopbackAny) { FarewellEcho(farewell: farewell, closes: closes) }
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address)
        try client.send("a\nb\n")
        client.shutdownWrite()
        let (bytes, end) = client.readToEnd(timeout: .seconds(20))
        #expect(firstDifference(bytes, Array("a\nb\n".utf8) + farewell) == nil)
        #expect(end == .eof)
        #expect(closes.eventually { $0 == [.local] })
    }

    @Test(
        "closeAfterFlush with the peer still sending delivers the last bytes rather than a reset",
        .timeLimit(.minutes(1)))
    func closeAfterFlushLingers() throws {
        let closes = Shared([CloseReason]())
        // Far more than the client's small receive buffer: most of it is still in the server's send
        // queue when the server is done, which a reset would throw away.
        let farewell = patternBytes(count: 2 << 20, seed: 9) + Array("bye\n".utf8)
        let quitting = Shared(false)
        let (server, address) = try startServer(on: loopbackAny) {
            QuitOnFirstLine(farewell: farewell, closes: closes, quitting: quitting)
        }
        defer { server.stopAndJoin() }
        let client = try TestClient(connectingTo: address, receiveBuffer: 16 * 1024)
        // Input the server will never read as lines: closing a socket over unread input sends RST.
        try client.send("quit\n" + String(repeating: "unread input\n", count: 20_000))
        // Read only once the server has queued the farewell and is closing, with the input still coming.
        #expect(quitting.eventually { $0 })
        let (bytes, end) = client.readToEnd(timeout: .seconds(10))
        #expect(firstDifference(bytes, farewell) == nil)
        #expect(end == .eof)
        #expect(closes.value.isEmpty, "lingering until the peer's EOF")
        client.close()
        #expect(closes.eventually { $0 == [.local] })
    }
}
