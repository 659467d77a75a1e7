// ShutdownTests: SIGTERM says BYE to everyone and exits 0; a second signal exits at once.
import Glibc
import Testing

extension EndToEnd {
    @Suite("Shutdown")
    struct Shutdown {
        @Test(
            "SIGTERM sends every client BYE shutting-down, closes them, and exits with status 0",
            .timeLimit(.minutes(1))
        )
        func gracefulShutdown() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            try clients[1].join("other")
            for client in clients { try client.sync() }
            let start = ContinuousClock.now
            server.signal(SIGTERM)
            for client in clients {
                #expect(try client.waitForClose() == ["BYE shutting-down"])
            }
            let status = server.waitForExit(timeout: .seconds(5))
            #expect(status == .exited(0))
            #expect(ContinuousClock.now - start < .seconds(3), "shutdown with attentive clients took too long")
        }

        @Test("SIGINT shuts down gracefully too", .timeLimit(.minutes(1)))
        func interrupt() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let client = try server.connect()
            server.signal(SIGINT)
            #expect(try client.waitForClose() == ["BYE shutting-down"])
            #expect(server.waitForExit(timeout: .seconds(5)) == .exited(0))
        }

        /// Starts a server with a client that never reads and megabytes queued for it, so a graceful
        /// shutdown has to wait for its grace period.
        private func serverWithStuckClient() throws -> (ServerProcess, attentive: Client, stuck: Client) {
            let server = try ServerProcess.start(["--max-outbuf", "\(256 << 20)"])
            let flooder = try server.connect()
            let stuck = try server.connect(receiveBuffer: 4096)
            try flooder.sync()
            try stuck.sync()
            let line = Array(String(repeating: "s", count: 4000).utf8) + [10]
            let batch = Array([[UInt8]](repeating: line, count: 64).joined())
            for _ in 0..<40 { try flooder.sendRaw(batch) }  // 10 MB: more than any socket buffers hold
            #expect(try flooder.sync(timeout: .seconds(20)).isEmpty)
            return (server, flooder, stuck)
        }

        @Test(
            "a client that never reads delays shutdown by the grace period at most, and the exit status is 0",
            .timeLimit(.minutes(1))
        )
        func gracePeriod() throws {
            let (server, attentive, stuck) = try serverWithStuckClient()
            defer { server.stop() }
            defer { withExtendedLifetime(stuck) {} }  // it must stay connected, unread, to the end
            let start = ContinuousClock.now
            server.signal(SIGTERM)
            #expect(try attentive.waitForClose() == ["BYE shutting-down"])
            let status = server.waitForExit(timeout: .seconds(8))
            let elapsed = ContinuousClock.now - start
            #expect(status == .exited(0))
            #expect(elapsed < .seconds(6), "exited only after \(elapsed)")
        }

        @Test("a second signal during a slow shutdown makes the server exit at once", .timeLimit(.minutes(1)))
        func secondSignal() throws {
            let (server, attentive, stuck) = try serverWithStuckClient()
            defer { server.stop() }
            defer { withExtendedLifetime(stuck) {} }  // it must stay connected, unread, to the end
            server.signal(SIGTERM)
            #expect(try attentive.waitForClose() == ["BYE shutting-down"])
            #expect(server.waitForExit(timeout: .milliseconds(300)) == nil, "still flushing to the stuck client")
            let start = ContinuousClock.now
            server.signal(SIGINT)
            let status = server.waitForExit(timeout: .seconds(2))
            let elapsed = ContinuousClock.now - start
            #expect(status != nil)
            #expect(
                elapsed < .milliseconds(1000),
                "took \(elapsed) to exit after the second signal (\(String(describing: status)))"
            )
        }
    }
}
