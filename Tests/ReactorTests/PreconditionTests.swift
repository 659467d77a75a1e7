// PreconditionTests: programmer errors trap (exit tests, each run in a child process). Each one is
// paired with a control that does the same setup with valid input and must exit successfully, so a
// setup that throws cannot pass for the trap.

import Glibc
import TestHarness
import Testing

@testable import Reactor

/// A test-thread reactor with one accepted connection, for exit-test bodies (which capture nothing).
func acceptedConnectionForExitTest() throws -> (Reactor, Connection, Int32) {
    let reactor = try Reactor()
    var accepted: Connection?
    let listener = try reactor.listen(on: loopbackAny) { accepted = $0 }
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    let rc = try listener.address.withSockAddr { (pointer, length) throws(ReactorError) in
        Glibc.connect(client, pointer, length)
    }
    guard rc == 0, reactor.spin(until: { accepted != nil }), let connection = accepted else {
        throw HarnessError("no connection")
    }
    return (reactor, connection, client)
}

extension LineFramerTests {
    @Test("a maxLineLength below 1 is a programmer error")
    func nonPositiveLimitTraps() async {
        await #expect(processExitsWith: .failure) { _ = LineFramer(maxLineLength: 0) }
        await #expect(processExitsWith: .success) { _ = LineFramer(maxLineLength: 1) }
    }
}

extension ConnectionTests {
    @Test("watermarks with low above high are a programmer error", .timeLimit(.minutes(1)))
    func invertedWatermarksTrap() async {
        await #expect(processExitsWith: .failure) {
            let (_, connection, _) = try acceptedConnectionForExitTest()
            connection.setWatermarks(low: 2048, high: 1024)
        }
        await #expect(processExitsWith: .success) {
            let (_, connection, _) = try acceptedConnectionForExitTest()
            connection.setWatermarks(low: 1024, high: 1024)
            guard connection.lowWatermark == 1024 && connection.highWatermark == 1024 else { exit(3) }
        }
    }
}

extension ReactorLoopTests {
    @Test("run() called from inside run() is a programmer error")
    func reentrantRunTraps() async {
        await #expect(processExitsWith: .failure) {
            let reactor = try Reactor()
            reactor.runLater { reactor.run() }
            reactor.run()
        }
        await #expect(processExitsWith: .success) {
            let reactor = try Reactor()
            reactor.runLater { reactor.stop() }
            reactor.run()
        }
    }

    @Test("registering a descriptor that is already registered is a programmer error")
    func doubleRegistrationTraps() async {
        await #expect(processExitsWith: .failure) {
            let reactor = try Reactor()
            var fds: [Int32] = [0, 0]
            _ = pipe(&fds)
            _ = try reactor.watch(fds[0], interest: .readable) { _ in }
            _ = try reactor.watch(fds[0], interest: .readable) { _ in }
        }
        await #expect(processExitsWith: .success) {
            let reactor = try Reactor()
            var fds: [Int32] = [0, 0]
            _ = pipe(&fds)
            try reactor.watch(fds[0], interest: .readable) { _ in }.cancel()
            _ = try reactor.watch(fds[0], interest: .readable) { _ in }
        }
    }
}
