// ReactorLoopTests: the Reactor itself: signals as loop events, watched descriptors, deferred work,
// stale events in one batch, stop(), and tearing a reactor down with work still registered.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// Records every callback of the connections it serves, by name.
final class RecordingHandler: ConnectionHandler {
    let name: String
    let log: EventLog
    /// Called after recording a read (to close another connection, say).
    var onRead: ((Connection) -> Void)?

    init(_ name: String, log: EventLog) {
        self.name = name
        self.log = log
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.log.events.append("\(self.name) read \(String(decoding: bytes, as: UTF8.self))")
        self.onRead?(connection)
    }

    func connectionDidReachEOF(_ connection: Connection) {
        self.log.events.append("\(self.name) eof")
        connection.close(reason: .peerClosed)
    }

    func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {
        self.log.events.append("\(self.name) writable \(isWritable)")
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.log.events.append("\(self.name) closed \(reason)")
        self.log.closes.append((self.name, reason))
    }
}

/// What a test's handlers saw, on the thread that drives the reactor.
final class EventLog {
    var events: [String] = []
    var closes: [(String, CloseReason)] = []

    func count(_ prefix: String) -> Int { self.events.filter { $0.hasPrefix(prefix) }.count }
}

@Suite struct ReactorLoopTests {
    /// Accepts `count` clients on a fresh test-thread reactor; returns the clients and the server sides.
    static func acceptClients(_ count: Int, on reactor: Reactor, handler: (Int) -> any ConnectionHandler) throws
        -> ([TestClient], [Connection], Listener)
    {
        var accepted: [Connection] = []
        let listener = try reactor.listen(on: loopbackAny) { accepted.append($0) }
        var clients: [TestClient] = []
        for index in 0..<count {
            clients.append(try TestClient(connectingTo: listener.address))
            guard reactor.spin(until: { accepted.count == index + 1 }) else { throw HarnessError("accept timed out") }
            accepted[index].handler = handler(index)
        }
        return (clients, accepted, listener)
    }

    @Test("a signal sent to the loop thread arrives as a loop callback on that thread", .timeLimit(.minutes(1)))
    func signalsAreLoopEvents() throws {
        let received = Shared([Int32]())
        let offLoop = Shared(0)
        let (thread, loopThread) = try ReactorThread.start { reactor in
            let me = pthread_self()
            let body: (Int32) -> Void = { signal in
                if pthread_equal(pthread_self(), me) == 0 { offLoop.withLock { $0 += 1 } }
                received.withLock { $0.append(signal) }
            }
            try reactor.onSignal(SIGUSR1, body)
            try reactor.onSignal(SIGUSR2, body)  // a second signal updates the same signalfd
            return me
        }
        defer { thread.stopAndJoin() }
        // Thread-directed, so it can only go to the loop thread, which has both signals blocked.
        #expect(pthread_kill(loopThread, SIGUSR1) == 0)
        #expect(received.eventually { $0 == [SIGUSR1] })
        thread.handle.execute { _ in raise(SIGUSR2) }
        #expect(received.eventually { $0 == [SIGUSR1, SIGUSR2] })
        #expect(pthread_kill(loopThread, SIGUSR1) == 0)
        #expect(received.eventually { $0 == [SIGUSR1, SIGUSR2, SIGUSR1] })
        #expect(offLoop.value == 0)
    }

    @Test(
        "a process-directed SIGINT reaches echo-server's onSignal handler and it exits cleanly",
        .timeLimit(.minutes(1)))
    func echoServerStopsOnSIGINT() throws {
        let (server, address) = try startEchoServer()
        let client = try TestClient(connectingTo: address)
        try client.roundTrip("before the signal")
        server.signal(SIGINT)
        #expect(server.waitForExit(timeout: .seconds(5)) == .exited(0))
    }

    @Test("runLater work runs at the end of the same iteration, after expired timers")
    func runLaterAfterTimers() throws {
        let reactor = try Reactor()
        var order: [String] = []
        reactor.schedule(afterMilliseconds: 0) {
            order.append("timer")
            reactor.runLater { order.append("later from timer") }
        }
        reactor.runLater { order.append("later") }
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(order == ["timer", "later", "later from timer"])
    }

    @Test("stop() from a callback makes run() return")
    func stopFromCallback() throws {
        let reactor = try Reactor()
        var ticks = 0
        let timer = reactor.scheduleRepeating(everyMilliseconds: 1) {
            ticks += 1
            if ticks == 3 { reactor.stop() }
        }
        reactor.run()
        timer.cancel()
        #expect(ticks == 3)
        #expect(reactor.iterations > 0)
    }

    @Test("a watched pipe is reported while readable, not after its interest is cleared or it is cancelled")
    func watchedDescriptor() throws {
        let reactor = try Reactor()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        var calls: [IOEvents] = []
        let baseline = reactor.registrationCount
        let watcher = try reactor.watch(fds[0], interest: .readable) { calls.append($0) }
        #expect(reactor.registrationCount == baseline + 1)
        reactor.runOnce(timeoutMilliseconds: 10)
        #expect(calls.isEmpty)
        #expect(write(fds[1], "x", 1) == 1)
        reactor.runOnce(timeoutMilliseconds: 1000)
        reactor.runOnce(timeoutMilliseconds: 1000)
        // Level-triggered: unread data is reported on every iteration.
        #expect(calls == [.readable, .readable])
        watcher.setInterest([])
        reactor.runOnce(timeoutMilliseconds: 10)
        #expect(calls.count == 2)
        watcher.setInterest(.readable)
        reactor.runOnce(timeoutMilliseconds: 1000)
        #expect(calls.count == 3)
        watcher.cancel()
        #expect(reactor.registrationCount == baseline)
        reactor.runOnce(timeoutMilliseconds: 10)
        #expect(calls.count == 3)
        // The descriptor still belongs to the caller and is open.
        var byte: UInt8 = 0
        #expect(read(fds[0], &byte, 1) == 1 && byte == UInt8(ascii: "x"))
    }

    @Test(
        "a connection closed from another's callback in the same iteration gets no read after the close",
        .timeLimit(.minutes(1)))
    func staleEventsAreDropped() throws {
        let reactor = try Reactor()
        let log = EventLog()
        var handlers: [RecordingHandler] = []
        let (clients, servers, _) = try Self.acceptClients(2, on: reactor) { index in
            let handler = RecordingHandler(index == 0 ? "A" : "B", log: log)
            handlers.append(handler)
            return handler
        }
        // Whichever is dispatched first closes the other, which is also ready in the same batch.
        handlers[0].onRead = { _ in servers[1].close() }
        handlers[1].onRead = { _ in servers[0].close() }
        try clients[0].send("a")
        try clients[1].send("b")
        var ready = servers.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        #expect(waitUntil { poll(&ready, 2, 0) == 2 }, "both server sockets readable before the iteration")
        reactor.runOnce(timeoutMilliseconds: 1000)
        #expect(log.count("A read") + log.count("B read") == 1, "\(log.events)")
        let closedName = log.count("A read") == 1 ? "B" : "A"
        #expect(log.events.last == "\(closedName) closed closed locally", "\(log.events)")
        // More data for the closed one (its peer may not have noticed yet) changes nothing.
        let closedClient = closedName == "A" ? clients[0] : clients[1]
        try? closedClient.send("more")
        reactor.spin(for: .milliseconds(30))
        #expect(log.count("\(closedName) read") == 0, "\(log.events)")
        #expect(log.closes.count == 1)
    }

    @Test(
        "dropping a reactor with a listener, open connections and queued output releases every descriptor",
        .timeLimit(.minutes(1)))
    func teardownWithLiveRegistrations() throws {
        let path = temporaryPath("sock")
        var clients: [TestClient] = []
        var sockets: [OpenDescriptor] = []
        let log = EventLog()
        var handle: ReactorHandle?
        var eventsBeforeTeardown = 0
        do {
            let reactor = try Reactor()
            handle = reactor.handle
            var accepted: [Connection] = []
            let listener = try reactor.listen(on: loopbackAny) { accepted.append($0) }
            _ = try reactor.listen(on: SocketAddress(unixPath: path)) { _ in }
            for _ in 0..<3 { clients.append(try TestClient(connectingTo: listener.address)) }
            #expect(reactor.spin { accepted.count == 3 })
            for connection in accepted {
                connection.handler = RecordingHandler("c", log: log)
                connection.write(patternBytes(count: 2 << 20))  // far more than one flush sends
                sockets.append(try #require(OpenDescriptor(connection.descriptor)))
            }
            sockets.append(try #require(OpenDescriptor(listener.fd)))
            reactor.runOnce(timeoutMilliseconds: 0)
            reactor.schedule(afterMilliseconds: 60_000) {}
            #expect(accepted.allSatisfy { $0.outboundBytes > 0 }, "output is still queued at teardown")
            #expect(access(path, F_OK) == 0)
            #expect(log.closes.isEmpty)
            eventsBeforeTeardown = log.events.count
        }
        // The reactor is gone, and its listeners and connections with it, without callbacks.
        #expect(access(path, F_OK) != 0, "the Unix listener's socket file is removed")
        for socket in sockets { #expect(!socket.isStillOpen, "descriptor \(socket.fd) leaked") }
        #expect(handle?.execute { _ in } == false, "the eventfd is closed")
        #expect(log.closes.isEmpty, "no close callbacks during teardown")
        #expect(log.events.count == eventsBeforeTeardown, "no callbacks at all during teardown")
        for client in clients {
            let (_, end) = client.readToEnd(timeout: .seconds(5))
            #expect(end == .eof || end == .reset)
        }
    }
}
