// ListenerTests: binding errors, Unix socket files, and accept under descriptor exhaustion and
// connection storms (against the echo-server executable run as a child process).

import Glibc
import TestHarness
import Testing

@testable import Reactor

@Suite struct ListenerTests {
    @Test(
        "listening on a port in use fails in bind with EADDRINUSE; with reusePort both may share it",
        .timeLimit(.minutes(1)))
    func portInUse() throws {
        let reactor = try Reactor()
        let first = try reactor.listen(on: loopbackAny) { _ in }
        let taken = try SocketAddress(host: "127.0.0.1", port: try #require(first.address.port))
        do {
            try reactor.listen(on: taken) { _ in }
            Issue.record("a second listener bound a port in use")
        } catch {
            #expect(error.errno == EADDRINUSE)
            #expect(error.call == "bind")
        }
        // The port is released on close.
        first.close()
        first.close()
        let again = try reactor.listen(on: taken) { _ in }
        again.close()

        let shared = ListenOptions(reusePort: true)
        let one = try reactor.listen(on: loopbackAny, options: shared) { _ in }
        let sameAddress = try SocketAddress(host: "127.0.0.1", port: try #require(one.address.port))
        let two = try reactor.listen(on: sameAddress, options: shared) { _ in }
        #expect(two.address == one.address)
    }

    @Test("ReactorThread.start rethrows what setup threw, such as a port in use", .timeLimit(.minutes(1)))
    func setupErrorsSurface() throws {
        let (server, address) = try startServer(on: loopbackAny)
        defer { server.stopAndJoin() }
        do {
            _ = try startServer(on: address)
            Issue.record("a second server started on \(address)")
        } catch let error as ReactorError {
            #expect(error.errno == EADDRINUSE)
        }
    }

    @Test("an IPv6 listener takes only IPv6, so IPv4 can listen on the same port number", .timeLimit(.minutes(1)))
    func ipv6Only() throws {
        let reactor = try Reactor()
        let v6 = try reactor.listen(on: try SocketAddress(host: "::", port: 0)) { _ in }
        let port = try #require(v6.address.port)
        let v4 = try reactor.listen(on: try SocketAddress(host: "127.0.0.1", port: port)) { _ in }
        #expect(v4.address.port == port)
    }

    @Test("a stale Unix socket file is replaced, and closing the listener removes its file", .timeLimit(.minutes(1)))
    func staleUnixSocket() throws {
        let path = temporaryPath("sock")
        let address = try SocketAddress(unixPath: path)
        // Leave a socket file behind the way a crashed server would: bound, then closed, not unlinked.
        let orphan = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = try address.withSockAddr { (pointer, length) throws(ReactorError) in Glibc.bind(orphan, pointer, length) }
        close(orphan)
        #expect(access(path, F_OK) == 0)

        let reactor = try Reactor()
        var accepted = 0
        let listener = try reactor.listen(on: address) { connection in
            accepted += 1
            connection.handler = LineEcho()
        }
        let client = try TestClient(connectingTo: address)
        #expect(reactor.spin { accepted == 1 })
        try client.send("over unix\n")
        #expect(reactor.spin { (try? client.readLine(timeout: .milliseconds(1))) == "over unix" })
        listener.close()
        #expect(access(path, F_OK) != 0, "the socket file is removed on close")
    }

    @Test("a live Unix listener's path is not taken over", .timeLimit(.minutes(1)))
    func liveUnixSocketIsKept() throws {
        let path = temporaryPath("sock")
        let address = try SocketAddress(unixPath: path)
        let reactor = try Reactor()
        let live = try reactor.listen(on: address) { $0.handler = LineEcho() }
        do {
            try reactor.listen(on: address) { _ in }
            Issue.record("a second listener took over a live socket path")
        } catch {
            #expect(error.errno == EADDRINUSE)
        }
        let client = try TestClient(connectingTo: address)
        try client.send("still the first\n")
        #expect(reactor.spin { (try? client.readLine(timeout: .milliseconds(1))) == "still the first" })
        live.close()
    }

    @Test("a regular file at the socket path is neither removed nor replaced", .timeLimit(.minutes(1)))
    func regularFileIsKept() throws {
        let path = temporaryPath("txt")
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(write(fd, "precious", 8) == 8)
        close(fd)
        defer { unlink(path) }
        let reactor = try Reactor()
        do {
            try reactor.listen(on: try SocketAddress(unixPath: path)) { _ in }
            Issue.record("listen replaced a regular file")
        } catch {
            #expect(error.errno == EADDRINUSE)
        }
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_size == 8, "the file is untouched")
    }
}
