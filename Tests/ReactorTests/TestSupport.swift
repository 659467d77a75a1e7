// TestSupport: blocking loopback clients, child processes, threads, handlers and loop-driving
// helpers for the Reactor tests. Test code only: it blocks, allocates and calls Glibc freely.

import Foundation
import Glibc
import Synchronization
import Testing

@testable import Reactor

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `strerror` plus the number, for failure messages.
func errnoText(_ code: Int32) -> String { "\(String(cString: strerror(code))) (errno \(code))" }

// MARK: Time

/// A point in time a bounded wait must not pass.
struct Deadline {
    let end: ContinuousClock.Instant

    init(_ duration: Duration) { self.end = .now + duration }

    var hasPassed: Bool { ContinuousClock.now >= self.end }

    /// What is left, in whole milliseconds rounded up, for poll(2); 0 once passed.
    var remainingMilliseconds: Int32 {
        let left = self.end - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }
}

/// Checks `condition` every millisecond until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = Deadline(timeout)
    while !condition() {
        if deadline.hasPassed { return false }
        usleep(1000)
    }
    return true
}

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

/// A unique path in the temporary directory (not created).
func temporaryPath(_ suffix: String) -> String {
    let unique = UInt64.random(in: 0...UInt64.max)
    return "/tmp/reactor-test-\(getpid())-\(String(unique, radix: 36)).\(suffix)"
}

let loopbackAny = try! SocketAddress(host: "127.0.0.1", port: 0)

// MARK: Descriptor limits

/// Raises the soft descriptor limit to the hard limit; returns the new soft limit.
@discardableResult
func raiseDescriptorLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

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

/// Descriptors open in a process right now.
func openDescriptorCount(pid: pid_t = getpid()) -> Int? {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return nil }
    return entries.count
}

// MARK: Clients

/// A blocking client socket owned by a test; every read has a timeout. Closed on deinit.
final class TestClient {
    private(set) var fd: Int32
    /// Bytes read past the last line handed out by ``readLine(timeout:)``.
    private var pending: [UInt8] = []

    enum ReadOutcome: Equatable {
        case bytes([UInt8])
        case eof
        case reset
        case timeout
        case error(Int32)
    }

    /// Connects (blocking) to `address`. `receiveBuffer` sets SO_RCVBUF first, to keep the kernel
    /// from absorbing megabytes for a client that does not read.
    init(connectingTo address: SocketAddress, receiveBuffer: Int32? = nil) throws {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket: \(errnoText(errno))") }
        self.fd = fd
        if let receiveBuffer { self.setOption(SOL_SOCKET, SO_RCVBUF, receiveBuffer) }
        // A send never blocks a test forever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let rc = try address.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in
            Glibc.connect(fd, pointer, length)
        }
        guard rc == 0 else { throw TestError("connect to \(address): \(errnoText(errno))") }
    }

    deinit { if self.fd >= 0 { Glibc.close(self.fd) } }

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        setsockopt(self.fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestError("send: \(errnoText(errno))")
            }
            offset += n
        }
    }

    func send(_ string: String) throws { try self.send(Array(string.utf8)) }

    /// One read of at most `max` bytes, waiting at most `timeout` for something to arrive.
    func readSome(max: Int = 65536, timeout: Duration = .seconds(5)) -> ReadOutcome {
        if !self.pending.isEmpty {
            let some = Array(self.pending.prefix(max))
            self.pending.removeFirst(some.count)
            return .bytes(some)
        }
        return self.receive(max: max, until: Deadline(timeout))
    }

    /// poll(2) then recv(2), bypassing `pending`.
    private func receive(max: Int = 65536, until deadline: Deadline) -> ReadOutcome {
        while true {
            var entry = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { return .timeout }
            var buffer = [UInt8](repeating: 0, count: max)
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress!, max, Int32(MSG_DONTWAIT)) }
            if n > 0 { return .bytes(Array(buffer.prefix(n))) }
            if n == 0 { return .eof }
            let code = errno
            if code == EINTR || code == EAGAIN { continue }
            return code == ECONNRESET ? .reset : .error(code)
        }
    }

    /// The next `\n`-terminated line, without the newline.
    func readLine(timeout: Duration = .seconds(5)) throws -> String {
        let deadline = Deadline(timeout)
        while true {
            if let line = popLine(&self.pending) { return line }
            let outcome = self.receive(until: deadline)
            guard case .bytes(let bytes) = outcome else {
                throw TestError("readLine: \(outcome) after \(self.pending.count) bytes of a partial line")
            }
            self.pending += bytes
        }
    }

    /// Exactly `count` bytes.
    func readExactly(_ count: Int, timeout: Duration = .seconds(10)) throws -> [UInt8] {
        let deadline = Deadline(timeout)
        var result = self.pending.prefix(count).map { $0 }
        self.pending.removeFirst(result.count)
        while result.count < count {
            let outcome = self.receive(max: min(1 << 20, count - result.count), until: deadline)
            guard case .bytes(let bytes) = outcome else {
                throw TestError("readExactly(\(count)): \(outcome) after \(result.count) bytes")
            }
            result += bytes
        }
        return result
    }

    /// Everything until the stream ends (EOF or reset) or `timeout` passes; returns the bytes and
    /// how it ended.
    func readToEnd(timeout: Duration = .seconds(5)) -> (bytes: [UInt8], end: ReadOutcome) {
        let deadline = Deadline(timeout)
        var result = self.pending
        self.pending = []
        while true {
            let outcome = self.receive(until: deadline)
            guard case .bytes(let bytes) = outcome else { return (result, outcome) }
            result += bytes
        }
    }

    /// Sends FIN: the server sees EOF, while this side can still read.
    func shutdownWrite() { _ = Glibc.shutdown(self.fd, Int32(SHUT_WR)) }

    /// Makes the next close send RST instead of FIN (SO_LINGER with a zero timeout).
    func setLingerZero() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    func close() {
        if self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
    }

    /// Sends `line` plus a newline and reads the echo; fails the test if it differs.
    func roundTrip(_ line: String, timeout: Duration = .seconds(5)) throws {
        try self.send(line + "\n")
        let echo = try self.readLine(timeout: timeout)
        guard echo == line else { throw TestError("echo mismatch: sent \(line), got \(echo)") }
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
                throw TestError("exchange: timed out with \(sent)/\(payload.count) sent, \(received.count) received")
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
                    throw TestError("exchange: EOF after \(received.count) bytes")
                } else if errno != EAGAIN && errno != EINTR {
                    throw TestError("exchange: recv \(errnoText(errno)) after \(received.count) bytes")
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
    guard fd >= 0 else { throw TestError("socket: \(errnoText(errno))") }
    let address = loopbackAny
    let bound = try address.withSockAddr { (pointer, length) throws(ReactorError) -> Int32 in
        Glibc.bind(fd, pointer, length)
    }
    guard bound == 0, Glibc.listen(fd, backlog) == 0 else { throw TestError("bind/listen: \(errnoText(errno))") }
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

/// The path of an executable product built next to this test bundle (`.build/<config>/<name>`).
func productPath(_ name: String) throws -> String {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
    guard access(path, X_OK) == 0 else { throw TestError("\(path) is not built (swift build --build-tests builds it)") }
    return path
}

/// A child process with its stdout on a pipe; killed and reaped on deinit if still running.
final class ChildProcess {
    let pid: pid_t
    private let output: Int32
    private var pending: [UInt8] = []
    private var exitStatus: Int32?

    /// Spawns `executable` with `arguments`; stdin is /dev/null, stdout a pipe, stderr inherited,
    /// and no other descriptor of the test process leaks into it.
    init(_ executable: String, _ arguments: [String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw TestError("pipe: \(errnoText(errno))") }
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        ChildProcess.closeAllAbove(2, &actions)
        // The child starts with default signal dispositions and nothing blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for entry in environment { free(entry) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        Glibc.close(pipeFDs[1])
        guard rc == 0 else {
            Glibc.close(pipeFDs[0])
            throw TestError("posix_spawn \(executable): \(errnoText(rc))")
        }
        self.pid = pid
        self.output = pipeFDs[0]
    }

    /// posix_spawn_file_actions_addclosefrom_np is GNU-only (not in the Glibc module): look it up.
    private static func closeAllAbove(_ fd: Int32, _ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, fd + 1)
    }

    deinit {
        if self.exitStatus == nil {
            kill(self.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(self.pid, &status, 0)
        }
        Glibc.close(self.output)
    }

    /// The next line the child printed.
    func readLine(timeout: Duration = .seconds(10)) throws -> String {
        let deadline = Deadline(timeout)
        while true {
            if let line = popLine(&self.pending) { return line }
            var entry = pollfd(fd: self.output, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, deadline.remainingMilliseconds) > 0 else {
                throw TestError("child \(self.pid) printed no line in time")
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(self.output, $0.baseAddress!, $0.count) }
            guard n > 0 else { throw TestError("child \(self.pid) closed its stdout") }
            self.pending += buffer[..<n]
        }
    }

    /// User plus system CPU time so far, in clock ticks (from /proc/PID/stat).
    func cpuTicks() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(self.pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw TestError("unreadable /proc stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields 14 and 15 of proc(5) are utime and stime; fields[0] is field 3 (state).
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw TestError("unreadable /proc stat")
        }
        return user + system
    }

    /// Descriptors the child has open.
    var descriptorCount: Int? { openDescriptorCount(pid: self.pid) }

    func signal(_ signal: Int32) { kill(self.pid, signal) }

    /// Waits for the child to exit; returns its exit status (or 128 + signal), nil on timeout.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = Deadline(timeout)
        repeat {
            var status: Int32 = 0
            if waitpid(self.pid, &status, WNOHANG) == self.pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
                let signal = status & 0x7f
                let result = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                self.exitStatus = result
                return result
            }
            usleep(2000)
        } while !deadline.hasPassed
        return nil
    }
}

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
    else { throw TestError("unexpected banner: \(banner)") }
    return (child, try SocketAddress(host: "127.0.0.1", port: port))
}

/// Removes the first `\n`-terminated line from `pending` and returns it without the newline, or
/// nil if no line is complete yet.
func popLine(_ pending: inout [UInt8]) -> String? {
    guard let newline = pending.firstIndex(of: 10) else { return nil }
    let line = String(decoding: pending[..<newline], as: UTF8.self)
    pending.removeFirst(newline + 1)
    return line
}
