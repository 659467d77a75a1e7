// ConnectionTests+Closing: close from inside callbacks, twice, and writes after close: no crash and
// exactly one didClose.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// A handler whose reactions the test supplies, recording every callback.
final class ReactingHandler: ConnectionHandler {
    var onRead: (Connection) -> Void = { _ in }
    var onWritability: (Connection, Bool) -> Void = { _, _ in }
    var onClose: (Connection) -> Void = { _ in }
    var reads = 0
    var writability: [Bool] = []
    var closes: [CloseReason] = []

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.reads += 1
        self.onRead(connection)
    }

    func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {
        self.writability.append(isWritable)
        self.onWritability(connection, isWritable)
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.closes.append(reason)
        self.onClose(connection)
    }
}

extension ConnectionTests {
    /// A test-thread reactor with one accepted connection served by `handler`, and its client.
    static func oneConnection(_ handler: any ConnectionHandler) throws -> (Reactor, Connection, TestClient) {
        let reactor = try Reactor()
        var accepted: Connection?
        let listener = try reactor.listen(on: loopbackAny) { connection in
            connection.handler = handler
            accepted = connection
        }
        let client = try TestClient(connectingTo: listener.address)
        guard reactor.spin(until: { accepted != nil }), let connection = accepted else {
            throw HarnessError("accept timed out")
        }
        listener.close()
        return (reactor, connection, client)
    }

    @Test(
        "close inside didRead, then a write and two more closes: one didClose, nothing sent",
        .timeLimit(.minutes(1)))
    func closeInsideDidRead() throws {
        let handler = ReactingHandler()
        var stateAfterClose: (open: Bool, queued: Int)?
        handler.onRead = { connection in
            connection.close()
            connection.write(string: "written after close\n")
            connection.close()
            connection.close(reason: .reset)
            stateAfterClose = (connection.isOpen, connection.outboundBytes)
        }
        let (reactor, connection, client) = try Self.oneConnection(handler)
        try client.send("hello\n")
        #expect(reactor.spin { !handler.closes.isEmpty })
        reactor.spin(for: .milliseconds(30))
        #expect(handler.closes == [.local])
        #expect(handler.reads == 1)
        #expect(stateAfterClose?.open == false && stateAfterClose?.queued == 0)
        connection.close()  // once more, outside any callback and after delivery
        connection.write(string: "x")
        reactor.spin(for: .milliseconds(10))
        #expect(handler.closes == [.local])
        let (bytes, end) = client.readToEnd()
        #expect(bytes.isEmpty)
        #expect(end == .eof)
    }

    @Test("close inside writabilityChanged(false): one didClose, later writes ignored", .timeLimit(.minutes(1)))
    func closeInsideWritabilityChanged() throws {
        let handler = ReactingHandler()
        handler.onRead = { connection in
            connection.write(patternBytes(count: 150_000))  // past the high watermark at once
            connection.write(string: "after the close\n")
        }
        handler.onWritability = { connection, isWritable in
            if !isWritable { connection.close() }
        }
        let (reactor, connection, client) = try Self.oneConnection(handler)
        try client.send("go\n")
        #expect(reactor.spin { !handler.closes.isEmpty })
        reactor.spin(for: .milliseconds(30))
        #expect(handler.writability == [false])
        #expect(handler.closes == [.local])
        #expect(!connection.isOpen)
        let (bytes, end) = client.readToEnd()
        #expect(bytes.isEmpty, "output queued before a close() is dropped")
        #expect(end == .eof)
    }

    @Test("close and write inside didClose change nothing", .timeLimit(.minutes(1)))
    func closeInsideDidClose() throws {
        let handler = ReactingHandler()
        handler.onClose = { connection in
            connection.write(string: "too late\n")
            connection.close()
            connection.close(reason: .outputLimitExceeded)
        }
        let (reactor, _, client) = try Self.oneConnection(handler)
        client.close()
        #expect(reactor.spin { !handler.closes.isEmpty })
        reactor.spin(for: .milliseconds(30))
        #expect(handler.closes == [.peerClosed])
    }

    @Test(
        "the first close reason wins and the descriptor stays reserved until didClose is delivered",
        .timeLimit(.minutes(1)))
    func firstReasonWins() throws {
        let handler = ReactingHandler()
        let (reactor, connection, _) = try Self.oneConnection(handler)
        let socket = try #require(OpenDescriptor(connection.descriptor))
        var descriptorOpenAtDelivery: Bool?
        handler.onClose = { _ in descriptorOpenAtDelivery = socket.isStillOpen }
        connection.close(reason: .reset)
        connection.close()
        #expect(socket.isStillOpen, "released at the end of the iteration, not inside close()")
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(handler.closes == [.reset])
        #expect(descriptorOpenAtDelivery == false, "didClose comes after the descriptor is released")
        #expect(!socket.isStillOpen)
    }
}
