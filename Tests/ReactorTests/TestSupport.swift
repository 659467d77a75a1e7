// TestSupport: what the Reactor tests add to TestHarness: clients and listeners on the Reactor's
// SocketAddress, the echo-server child, threads, handlers and loop-driving helpers. Test code only:
// it blocks, allocates and calls Glibc freely.

import Foundation
import Glibc
import Synchronization
import TestHarness
import Testing

@testable import Reactor

// MARK: Time

/// Milliseconds a block took on the monotonic clock.
func milliseconds(of body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

extension Reactor {
    /// Runs iterations until `condition` holds or `timeout` passes; returns whether it held.
    func spin(timeout: Duration = .seconds(5), until condition: () -> Bool) -> Bool {
        let deadline = Deadline(timeout)
        while !condition() {
            if deadline.hasPassed { return false }
            self.runOnce(timeoutMilliseconds: 5)
        }
        return true
    }

    /// Runs iterations for `duration`.
    func spin(for duration: Duration) {
        let deadline = Deadline(duration)
        while !deadline.hasPassed { self.runOnce(timeoutMilliseconds: Int(deadline.remainingMilliseconds)) }
    }
}

// MARK: Shared state

/// A value shared between the test thread and a loop thread, behind a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { value in body(&value) }
    }

    var value: Value { self.mutex.withLock { $0 } }

    /// Waits (polling) until `condition` holds for the value.
    func eventually(timeout: Duration = .seconds(5), _ condition: (Value) -> Bool) -> Bool {
        waitUntil(timeout: timeout) { condition(self.value) }
    }
}

// MARK: Addresses

/// The socket families every round-trip test runs over.
enum Family: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case ipv4, ipv6, unix

    var testDescription: String { self.rawValue }

    /// A fresh address to listen on: port 0, or a unique socket path.
    func listenAddress() throws -> SocketAddress {
        switch self {
        case .ipv4: return try SocketAddress(host: "127.0.0.1", port: 0)
        case .ipv6: return try SocketAddress(host: "::1", port: 0)
        case .unix: return try SocketAddress(unixPath: temporaryPath("sock"))
        }
    }
}

let loopbackAny = try! SocketAddress(host: "127.0.0.1", port: 0)

// MARK: Descriptors

/// A descriptor identified by its inode too, so "is it still open" survives the number's reuse by
/// another test running in parallel.
struct OpenDescriptor {
    let fd: Int32
    let device: UInt
    let inode: UInt

    init?(_ fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        self.fd = fd
        self.device = UInt(info.st_dev)
        self.inode = UInt(info.st_ino)
    }

    var isStillOpen: Bool {
        guard let now = OpenDescriptor(self.fd) else { return false }
        return now.device == self.device && now.inode == self.inode
    }
}

/// Taken by the tests that hold thousands of descriptors, so that even a parallel run never has
/// two of them at once in this process (the hard limit is 20,000).
let descriptorHeavyTest = NSLock()

// MARK: Clients

extension TestClient {
    /// Connects (blocking) to a Reactor `SocketAddress`.
    convenience init(connectingTo address: SocketAddress, receiveBuffer: Int? = nil) throws {
        try self.init(family: address.family, peer: "\(address)", receiveBuffer: receiveBuffer) { fd in
            try address.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in
                Glibc.connect(fd, pointer, length)
            }
        }
    }

    /// Sends `line` plus a newline and reads the echo; fails the test if it differs.
    func roundTrip(_ line: String, timeout: Duration = .seconds(5)) throws {
        try self.send(line + "\n")
        let echo = try self.readLine(timeout: timeout)
        guard echo == line else { throw HarnessError("echo mismatch: sent \(line), got \(echo)") }
    }

    /// Sends `payload` while reading what comes back, without blocking either way, until
    /// `expected` bytes came back; for payloads larger than the socket buffers.
    func exchange(_ payload: [UInt8], expecting expected: Int, timeout: Duration = .seconds(30)) throws -> [UInt8] {
        let deadline = Deadline(timeout)
        var sent = 0
        var received: [UInt8] = []
        received.reserveCapacity(expected)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while received.count < expected {
            guard !deadline.hasPassed else {
                throw HarnessError("exchange: timed out with \(sent)/\(payload.count) sent, \(received.count) received")
            }
            var entry = pollfd(
                fd: self.fd, events: Int16(POLLIN) | (sent < payload.count ? Int16(POLLOUT) : 0),
                revents: 0)
            _ = poll(&entry, 1, min(100, deadline.remainingMilliseconds))
            if entry.revents & Int16(POLLOUT) != 0 && sent < payload.count {
                let n = payload.withUnsafeBytes {
                    Glibc.send(
                        self.fd, $0.baseAddress! + sent, min(64 * 1024, $0.count - sent),
                        Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
                if n > 0 { sent += n }
            }
            if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 {
                    received += buffer[..<n]
                } else if n == 0 {
                    throw HarnessError("exchange: EOF after \(received.count) bytes")
                } else if errno != EAGAIN && errno != EINTR {
                    throw HarnessError("exchange: recv \(errnoText(errno)) after \(received.count) bytes")
                }
            }
        }
        return received
    }
}

/// Where two byte sequences first differ, or nil if they are equal. Compare megabytes with this
/// rather than `#expect(a == b)`, whose failure message diffs the two collections (for minutes).
func firstDifference(_ actual: [UInt8], _ expected: [UInt8]) -> String? {
    if actual == expected { return nil }
    let common = zip(actual, expected).prefix(while: { $0 == $1 }).count
    return "got \(actual.count) bytes, expected \(expected.count); first difference at byte \(common)"
}

/// Bytes whose values follow a position-dependent pattern, so reordering or loss shows.
func patternBytes(count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8) &+ Int(seed)) }
}

/// A plain listening TCP socket on 127.0.0.1 that the test owns (it never accepts unless told).
func plainListener(backlog: Int32) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw HarnessError.system("socket") }
    let address = loopbackAny
    let bound = try address.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in
        Glibc.bind(fd, pointer, length)
    }
    guard bound == 0, Glibc.listen(fd, backlog) == 0 else { throw HarnessError.system("bind/listen") }
    let port = try Posix.localAddress(fd).port!
    return (fd, port)
}

// MARK: Handlers

/// Echoes every line back (the README's echo server), counting what it sees.
final class LineEcho: ConnectionHandler {
    var framer = LineFramer(maxLineLength: 64 * 1024)
    let stats: Shared<EchoStats>?

    init(stats: Shared<EchoStats>? = nil) { self.stats = stats }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        self.framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                connection.write(line)
                connection.write(string: "\n")
                self.stats?.withLock { $0.lines += 1 }
            case .overlong:
                connection.write(string: "ERR line too long\n")
            }
        }
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.stats?.withLock {
            $0.closes.append(reason)
            $0.open -= 1
        }
    }
}

struct EchoStats: Sendable {
    var accepted = 0
    var open = 0
    var lines = 0
    var closes: [CloseReason] = []
}

/// Echoes raw bytes, pausing reads while the connection is not writable: the backpressure an
/// embedder is meant to apply. Records the largest output queue it ever saw.
final class RawEcho: ConnectionHandler {
    let maxQueued: Shared<Int>?

    init(maxQueued: Shared<Int>? = nil) { self.maxQueued = maxQueued }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        connection.write(bytes)
        let queued = connection.outboundBytes
        self.maxQueued?.withLock { $0 = max($0, queued) }
    }

    func connection(_ connection: Connection, writabilityChanged isWritable: Bool) {
        if isWritable { connection.resumeReading() } else { connection.pauseReading() }
    }
}

/// Starts a reactor thread listening on `address` with a fresh handler per connection; returns the
/// thread and the bound address.
func startServer(
    on address: SocketAddress, options: ListenOptions = ListenOptions(),
    stats: Shared<EchoStats>? = nil,
    handler: (@Sendable () -> any ConnectionHandler)? = nil
) throws
    -> (ReactorThread, SocketAddress)
{
    try ReactorThread.start { reactor in
        try reactor.listen(on: address, options: options) { connection in
            stats?.withLock {
                $0.accepted += 1
                $0.open += 1
            }
            connection.handler = handler?() ?? LineEcho(stats: stats)
        }.address
    }
}

// MARK: Threads

/// Runs `body(index)` on `count` new threads at once and waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    var threads: [pthread_t] = []
    for index in 0..<count {
        let box = Unmanaged.passRetained(Box { body(index) })
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, box.toOpaque())
        precondition(rc == 0, "pthread_create: \(rc)")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

// MARK: Child processes

/// A running `echo-server` child on port 0 and the address it printed.
func startEchoServer(descriptorLimit: Int? = nil) throws -> (ChildProcess, SocketAddress) {
    let echo = try productPath("echo-server")
    let child: ChildProcess
    if let descriptorLimit {
        child = try ChildProcess("/bin/sh", ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" --port 0", echo])
    } else {
        child = try ChildProcess(echo, ["--port", "0"])
    }
    let banner = try child.readLine()
    guard banner.hasPrefix("echo-server listening on "), let colon = banner.lastIndex(of: ":"),
        let port = Int(banner[banner.index(after: colon)...])
    else { throw HarnessError("unexpected banner: \(banner)") }
    return (child, try SocketAddress(host: "127.0.0.1", port: port))
}

// MARK: Connected pairs

extension Reactor {
    /// A Unix-domain stream connection with both ends on this reactor, handlers unset: the
    /// accepted end and the connecting end. Each side's send buffer is shrunk to about `buffer`
    /// bytes, so a backlog builds in the reactor's queues rather than in the kernel.
    ///
    /// Unix-domain rather than loopback TCP: a TCP window shrunk after the handshake, closed by a
    /// stalled reader, reopens through the persist timer's backed-off probes, and the "reader"
    /// then cannot catch up for reasons that have nothing to do with the reactor.
    func connectedPair(buffer: Int32 = 16 * 1024) throws -> (server: Connection, client: Connection) {
        var accepted: Connection?
        let listener = try self.listen(on: SocketAddress(unixPath: temporaryPath("sock"))) { accepted = $0 }
        defer { listener.close() }
        var connected: Result<Connection, ReactorError>?
        self.connect(to: listener.address) { connected = $0 }
        guard self.spin(until: { accepted != nil && connected != nil }), let server = accepted else {
            throw HarnessError("connectedPair: no connection within 5 s")
        }
        let client = try connected!.get()
        var size = buffer
        let length = socklen_t(MemoryLayout<Int32>.size)
        setsockopt(server.descriptor, SOL_SOCKET, SO_SNDBUF, &size, length)
        setsockopt(server.descriptor, SOL_SOCKET, SO_RCVBUF, &size, length)
        setsockopt(client.descriptor, SOL_SOCKET, SO_SNDBUF, &size, length)
        setsockopt(client.descriptor, SOL_SOCKET, SO_RCVBUF, &size, length)
        return (server, client)
    }
}
