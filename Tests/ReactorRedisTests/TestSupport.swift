// TestSupport: a real redis-server per test (a free TCP port or a Unix socket in /tmp, no
// persistence), killed, frozen and restarted by its PID; loop-driving helpers; the thread's write
// count. Test code only: it blocks, allocates and calls Glibc freely.

import Foundation
import Glibc
import RESP
@testable import Reactor
import ReactorRedis
import TestHarness
import Testing

// MARK: redis-server

/// A `redis-server` child process this test owns, on a TCP port of loopback or a Unix socket.
///
/// Started with `--save '' --appendonly no` (nothing on disk) and killed by its PID on deinit;
/// ``restart()`` starts a new one on the same port or socket path.
final class RedisServer {
    /// Where `redis-server` is, or nil when it is not installed.
    static let executable: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
        .first { access($0, X_OK) == 0 }

    /// Whether the tests that need Redis can run (`.enabled(if:)`).
    static var isAvailable: Bool { executable != nil }

    static let unavailableMessage: Comment =
        "redis-server is not installed (apt-get install redis-server; .ci/run installs it): Redis tests skipped"

    enum Transport: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case tcp, unix
        var testDescription: String { self.rawValue }
    }

    let transport: Transport
    let port: Int
    let unixPath: String
    private(set) var child: ChildProcess?
    private var frozen = false

    /// The address clients connect to.
    var address: SocketAddress {
        switch self.transport {
        case .tcp: try! SocketAddress(host: "127.0.0.1", port: self.port)
        case .unix: try! SocketAddress(unixPath: self.unixPath)
        }
    }

    var pid: pid_t? { self.child?.pid }

    init(_ transport: Transport = .tcp, port: Int? = nil) throws {
        self.transport = transport
        self.port = try port ?? freePort()
        self.unixPath = temporaryPath("redis.sock")
        try self.start()
    }

    deinit {
        self.kill()
        unlink(self.unixPath)
    }

    /// Starts redis-server and waits until it accepts connections.
    func start() throws {
        guard let executable = Self.executable else { throw HarnessError("redis-server is not installed") }
        precondition(self.child == nil, "redis-server already running")
        var arguments = ["--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", "--loglevel", "warning"]
        switch self.transport {
        case .tcp: arguments += ["--port", String(self.port), "--bind", "127.0.0.1"]
        case .unix: arguments += ["--port", "0", "--unixsocket", self.unixPath, "--unixsocketperm", "700"]
        }
        let child = try ChildProcess(executable, arguments, stdout: .file("/dev/null"), stderrPath: "/dev/null")
        self.child = child
        let ready = waitUntil(timeout: .seconds(10)) {
            if child.waitForExit(timeout: .zero) != nil { return true }
            return self.accepts()
        }
        if let status = child.waitForExit(timeout: .zero) {
            self.child = nil
            throw HarnessError("redis-server exited at start: \(status)")
        }
        guard ready else { throw HarnessError("redis-server did not accept connections within 10 s") }
    }

    /// Whether a plain blocking connect to the server succeeds now.
    private func accepts() -> Bool {
        let address = self.address
        let fd = socket(address.port == nil ? AF_UNIX : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let result = (try? address.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in
            Glibc.connect(fd, pointer, length)
        }) ?? -1
        return result == 0
    }

    /// SIGKILL, reaped. The port or socket is free for ``restart()`` at once.
    func kill() {
        guard let child = self.child else { return }
        if self.frozen { child.signal(SIGCONT) }
        self.frozen = false
        child.kill()
        self.child = nil
    }

    func restart() throws {
        self.kill()
        if self.transport == .unix { unlink(self.unixPath) }
        try self.start()
    }

    /// SIGSTOP: the server keeps its sockets but reads nothing. Undone by ``thaw()`` (and by deinit).
    func freeze() {
        self.child?.signal(SIGSTOP)
        self.frozen = true
    }

    func thaw() {
        self.child?.signal(SIGCONT)
        self.frozen = false
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw HarnessError.system("socket") }
    defer { close(fd) }
    let any = try SocketAddress(host: "127.0.0.1", port: 0)
    let bound = try any.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in Glibc.bind(fd, pointer, length) }
    guard bound == 0 else { throw HarnessError.system("bind") }
    var storage = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: storage.sin_port))
}

// MARK: Driving the loop

extension Reactor {
    /// Runs iterations until `condition` holds or `timeout` passes; returns whether it held.
    func spin(timeout: Duration = .seconds(10), until condition: () -> Bool) -> Bool {
        let deadline = Deadline(timeout)
        while !condition() {
            if deadline.hasPassed { return false }
            self.runOnce(timeoutMilliseconds: 5)
        }
        return true
    }
}

/// A started connection, waited for until ready.
func readyConnection(
    _ reactor: Reactor, _ server: RedisServer, _ configuration: RedisConfiguration = RedisConfiguration()
) throws -> RedisConnection {
    let redis = RedisConnection(reactor: reactor, address: server.address, configuration: configuration)
    redis.start()
    try #require(reactor.spin { redis.state == .ready }, "connection to redis-server not ready: \(redis.state)")
    return redis
}

/// What a reply callback saw, copied out.
enum Outcome: Equatable, CustomStringConvertible {
    case value(RESPValue)
    case failure(RedisError.Kind)

    init(_ result: Result<RESPReply, RedisError>) {
        switch result {
        case .success(let reply): self = .value(reply.value)
        case .failure(let error): self = .failure(error.kind)
        }
    }

    var description: String {
        switch self {
        case .value(let value): "\(value)"
        case .failure(let kind): "failure \(kind)"
        }
    }
}

/// Sends `arguments` and runs the loop until the reply comes.
func roundTrip(_ reactor: Reactor, _ redis: RedisConnection, _ arguments: [String]) throws -> Outcome {
    var outcome: Outcome?
    redis.send(arguments) { outcome = Outcome($0) }
    try #require(reactor.spin { outcome != nil }, "no reply to \(arguments)")
    return outcome!
}

// MARK: The kernel's count

/// Write-type system calls made by the calling thread so far (`syscw` in /proc/thread-self/io):
/// how many writes a burst of commands really took.
func threadWriteCalls() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/thread-self/io", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("syscw:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
    }
    return nil
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
