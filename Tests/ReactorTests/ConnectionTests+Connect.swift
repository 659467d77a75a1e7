// ConnectionTests+Connect: the client side: connect succeeds, is refused, or times out.

import Glibc
import TestHarness
import Testing

@testable import Reactor

extension ConnectionTests {
    @Test(
        "connect reaches a listener, and bytes written before the handler is set are not lost",
        .timeLimit(.minutes(1)), arguments: Family.allCases)
    func connectSucceeds(_ family: Family) throws {
        let reactor = try Reactor()
        let listener = try reactor.listen(on: family.listenAddress()) { $0.handler = LineEcho() }
        let collector = Collector()
        var result: Result<Connection, ReactorError>?
        reactor.connect(to: listener.address, timeoutMilliseconds: 2000) { outcome in
            result = outcome
            if case .success(let connection) = outcome {
                connection.write(string: "written before the handler\n")
                connection.handler = collector
                connection.write(string: "and after\n")
            }
        }
        #expect(result == nil, "the completion never runs inside connect()")
        #expect(reactor.spin { collector.text == "written before the handler\nand after\n" })
        let connection = try #require(try result?.get())
        #expect(connection.isOpen)
        #expect(connection.remoteAddress == listener.address)
        connection.close()
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(collector.closes == [.local])
        #expect(reactor.timerCount == 0, "the connect timeout is cancelled")
    }

    @Test("connect to a TCP port nobody listens on fails with ECONNREFUSED", .timeLimit(.minutes(1)))
    func connectRefused() throws {
        // A bound socket that does not listen keeps the port ours and answers SYN with RST.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        _ = try loopbackAny.withSockAddr { (pointer, length) throws(ReactorError) in Glibc.bind(fd, pointer, length) }
        let address = try Posix.localAddress(fd)
        let reactor = try Reactor()
        let registrations = reactor.registrationCount
        var result: Result<Connection, ReactorError>?
        reactor.connect(to: address, timeoutMilliseconds: 2000) { result = $0 }
        #expect(reactor.spin { result != nil })
        #expect(throws: ReactorError.self) { try result?.get() }
        if case .failure(let error) = result {
            #expect(error.errno == ECONNREFUSED, "\(error)")
            #expect(error.call == "connect")
        }
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(reactor.registrationCount == registrations)
        #expect(reactor.timerCount == 0)
    }

    @Test("connect to a Unix path with no socket fails with ENOENT", .timeLimit(.minutes(1)))
    func connectMissingUnixPath() throws {
        let reactor = try Reactor()
        var result: Result<Connection, ReactorError>?
        reactor.connect(to: try SocketAddress(unixPath: temporaryPath("missing"))) { result = $0 }
        #expect(result == nil)
        #expect(reactor.spin { result != nil })
        if case .failure(let error) = result {
            #expect(error.errno == ENOENT, "\(error)")
        } else {
            Issue.record("expected a failure, got \(String(describing: result))")
        }
    }

    @Test("connect to a listener whose backlog is full times out with .connectTimeout", .timeLimit(.minutes(1)))
    func connectTimesOut() throws {
        // A listener that never accepts, with a backlog of 1: once its accept queue is full, the
        // kernel drops further SYNs, so the next connect neither succeeds nor fails.
        let (listenFD, port) = try plainListener(backlog: 1)
        defer { close(listenFD) }
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        var fillers: [Int32] = []
        defer { for fd in fillers { close(fd) } }
        for _ in 0..<4 {
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            let fd = socket(AF_INET, type, 0)
            _ = try address.withSockAddr { (pointer, length) throws(ReactorError) in
                Glibc.connect(fd, pointer, length)
            }
            fillers.append(fd)
        }
        // A backlog of 1 queues two connections; once two fillers are connected the queue is
        // full and the kernel drops every SYN after them.
        let connected = {
            fillers.filter { fd in
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLOUT | POLLERR | POLLHUP) == Int16(POLLOUT)
            }.count
        }
        try #require(waitUntil { connected() >= 2 }, "only \(connected()) of the fillers connected")
        let reactor = try Reactor()
        var result: Result<Connection, ReactorError>?
        let took = milliseconds {
            reactor.connect(to: address, timeoutMilliseconds: 200) { result = $0 }
            _ = reactor.spin { result != nil }
        }
        if case .failure(let error) = result {
            #expect(error == .connectTimeout, "\(error)")
        } else {
            Issue.record("expected a timeout, got \(String(describing: result))")
        }
        #expect(took >= 190 && took < 2000, "took \(took) ms")
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(reactor.registrationCount == 0)
    }
}
