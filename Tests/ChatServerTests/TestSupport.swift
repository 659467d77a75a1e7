// TestSupport: runs the real switchboard binary as a child process and speaks the raw line protocol
// to it over loopback sockets. Every wait here is bounded by a deadline.
import Foundation
import Glibc
import Testing

/// True when these tests (and so the server binary built beside them) run under AddressSanitizer:
/// its quarantine and shadow memory change RSS, so bounds on the server's RSS are only asserted
/// in normal builds. Every other expectation of those tests still runs.
let underAddressSanitizer = dlsym(nil, "__asan_init") != nil


/// Every end-to-end suite nests in here, so they run one at a time even without `--no-parallel`:
/// several assert timings (rate limit, idle timeout, shutdown) or hold thousands of descriptors.
@Suite("switchboard end to end", .serialized)
struct EndToEnd {}

/// How long a helper waits for a line the server should send at once.
let lineTimeout: Duration = .seconds(3)

/// A failure outside an expectation: a system call failed, or the server would not start.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// `call` failed with the current errno.
    static func system(_ call: String, _ code: Int32 = errno) -> HarnessError {
        HarnessError("\(call): \(String(cString: strerror(code)))")
    }
}

extension Duration {
    /// This duration in whole milliseconds, rounded up.
    var milliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// Sleeps the calling thread.
func sleep(for duration: Duration) {
    usleep(useconds_t(max(0, duration.milliseconds) * 1000))
}

/// A unique path under /tmp, short enough for a Unix socket address.
func temporaryPath(_ suffix: String) -> String {
    "/tmp/sbt-\(getpid())-\(UUID().uuidString.prefix(8)).\(suffix)"
}

/// Raises this process's soft open-files limit to the hard limit and returns the new soft limit.
@discardableResult
func raiseOpenFilesLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

// MARK: - The server process

/// How a child process ended.
enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A `switchboard` child process. ``stop()`` (also run on deinit) kills and reaps it.
final class ServerProcess: @unchecked Sendable {
    /// The binary under test: next to the test bundle, else in the package's `.build/debug`.
    static let executable: String = {
        var candidates: [String] = []
        if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(
                URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("switchboard").path
            )
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/switchboard").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[candidates.count - 1]
    }()

    let pid: pid_t
    /// The TCP port the server printed.
    let port: Int
    private let stderrPath: String
    private var status: ExitStatus?

    private init(pid: pid_t, port: Int, stderrPath: String) {
        self.pid = pid
        self.port = port
        self.stderrPath = stderrPath
    }

    deinit { stop() }

    /// Starts `switchboard --port 0 --print-port` followed by `arguments` (later flags win) and waits
    /// for the port line on its stdout.
    static func start(_ arguments: [String] = []) throws -> ServerProcess {
        let stderrPath = temporaryPath("stderr")
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw HarnessError.system("pipe") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(
                ["--port", "0", "--print-port"] + arguments,
                stdout: .descriptor(fds[1]),
                stderr: stderrPath
            )
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        defer { close(fds[0]) }
        if let line = readFirstLine(of: fds[0], timeout: .seconds(15)), let port = Int(line), port > 0 {
            return ServerProcess(pid: pid, port: port, stderrPath: stderrPath)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        unlink(stderrPath)
        throw HarnessError("switchboard \(arguments) printed no port (\(ExitStatus(waitStatus: status))): \(stderr)")
    }

    /// What a run to completion produced.
    struct Outcome {
        let status: ExitStatus
        let stdout: String
        let stderr: String
    }

    /// Runs `switchboard arguments` to completion (killing it after `timeout`).
    static func run(_ arguments: [String], timeout: Duration = .seconds(10)) throws -> Outcome {
        let stdoutPath = temporaryPath("stdout")
        let stderrPath = temporaryPath("stderr")
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let pid = try spawn(arguments, stdout: .file(stdoutPath), stderr: stderrPath)
        let status = waitForChild(pid, timeout: timeout)
        if status == nil { kill(pid, SIGKILL) }
        var raw: Int32 = 0
        if status == nil { waitpid(pid, &raw, 0) }
        let outcome = Outcome(
            status: status ?? ExitStatus(waitStatus: raw),
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        )
        guard status != nil else { throw HarnessError("switchboard \(arguments) still running after \(timeout)") }
        return outcome
    }

    /// The endpoint of this server's TCP listener over IPv4 loopback.
    var endpoint: Endpoint { .ipv4(port) }

    /// Connects a client, reads its `WELCOME <nick> lobby` and its own `JOIN lobby <nick>`, and
    /// records the nick on the client.
    func connect(
        _ endpoint: Endpoint? = nil,
        receiveBuffer: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Client {
        let client = try Client.connect(endpoint ?? self.endpoint, receiveBuffer: receiveBuffer)
        let welcome = try client.expectLine(prefix: "WELCOME ", sourceLocation: sourceLocation)
        let words = welcome.split(separator: " ")
        try #require(words.count == 3 && words[2] == "lobby", "malformed \(welcome)", sourceLocation: sourceLocation)
        client.nick = String(words[1])
        client.room = "lobby"
        try client.expectLine("JOIN lobby \(client.nick)", sourceLocation: sourceLocation)
        return client
    }

    /// Connects `count` clients to the lobby and drains the presence lines they got about each other.
    func connectAll(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Client] {
        let clients = try (0..<count).map { _ in try connect(sourceLocation: sourceLocation) }
        for client in clients { try client.sync(sourceLocation: sourceLocation) }
        return clients
    }

    /// Sends a signal to the server.
    func signal(_ signal: Int32) {
        if status == nil { kill(pid, signal) }
    }

    /// Waits up to `timeout` for the server to exit; `nil` if it is still running.
    func waitForExit(timeout: Duration) -> ExitStatus? {
        if status == nil { status = Self.waitForChild(pid, timeout: timeout) }
        return status
    }

    /// Kills the server if it still runs, reaps it and removes its stderr file. Idempotent.
    ///
    /// A server that exited on its own without the test waiting for it (a crash, say) is recorded
    /// as an issue, with its stderr.
    func stop() {
        if status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = ExitStatus(waitStatus: raw)
                Issue.record("switchboard exited unexpectedly (\(status!)); stderr: \(stderr)")
            }
        }
        if status == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = ExitStatus(waitStatus: raw)
        }
        unlink(stderrPath)
    }

    /// Everything the server wrote to stderr so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The server's resident set size in KiB, from /proc/PID/status.
    var residentKilobytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    // MARK: Spawning

    private enum Output {
        case descriptor(Int32)
        case file(String)
    }

    private static func spawn(_ arguments: [String], stdout: Output, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch stdout {
        case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, 1)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        // Whatever the test runner blocks or ignores, the server starts with default signal handling.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HarnessError.system("posix_spawn \(executable)", result) }
        return pid
    }

    private static func waitForChild(_ pid: pid_t, timeout: Duration) -> ExitStatus? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { return ExitStatus(waitStatus: raw) }
            if result < 0 && errno != EINTR { return nil }
            usleep(2000)
        } while ContinuousClock.now < deadline
        return nil
    }

    /// The first line written to `fd`, or nil on EOF or timeout.
    private static func readFirstLine(of fd: Int32, timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while ContinuousClock.now < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(max(1, (deadline - .now).milliseconds)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, read(fd, &byte, 1) == 1 else { return nil }
            if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}

// MARK: - Clients

/// Where a client connects.
enum Endpoint {
    case ipv4(Int)
    case ipv6(Int)
    case unix(String)
}

/// One blocking protocol client. Reads go through `poll` with a deadline; writes time out after
/// 10 s. Not thread-safe: one thread uses a client at a time.
final class Client: @unchecked Sendable {
    let fd: Int32
    /// The nick the server gave or confirmed, kept by the helpers that see it change.
    var nick = ""
    /// The room the client is in, kept by ``join(_:sourceLocation:)``.
    var room = ""
    private var buffer: [UInt8] = []
    private var start = 0
    private var isOpen = true
    private(set) var sawEOF = false
    private var syncs = 0

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Opens a blocking stream socket to `endpoint`. `receiveBuffer` sets SO_RCVBUF before connecting.
    static func connect(_ endpoint: Endpoint, receiveBuffer: Int? = nil) throws -> Client {
        let family: Int32
        switch endpoint {
        case .ipv4: family = AF_INET
        case .ipv6: family = AF_INET6
        case .unix: family = AF_UNIX
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.system("socket") }
        let client = Client(fd: fd)
        var sendTimeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        if let receiveBuffer {
            var size = Int32(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var result: Int32
        switch endpoint {
        case .ipv4(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let port):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, "::1", &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        guard result == 0 else { throw HarnessError.system("connect to \(endpoint)") }
        if family != AF_UNIX {
            // Without it, a line sent right after another waits for a delayed ACK.
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return client
    }

    // MARK: Writing

    /// Sends `line` and a newline.
    func send(_ line: String) throws {
        try sendRaw(Array(line.utf8) + [10])
    }

    /// Sends bytes as they are.
    func sendRaw(_ bytes: [UInt8]) throws {
        // After a close the descriptor number may belong to another socket by now.
        guard isOpen else { throw HarnessError("\(nick): send on a connection that is already closed") }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw HarnessError.system("send")
                }
                offset += n
            }
        }
    }

    // MARK: Reading

    private enum Fill {
        case data, timeout, closed
    }

    /// Waits until `deadline` for bytes and appends them to the buffer.
    private func fill(until deadline: ContinuousClock.Instant) -> Fill {
        while true {
            if sawEOF || !isOpen { return .closed }
            let remaining = deadline - .now
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(max(0, remaining.milliseconds)))
            if ready < 0 {
                if errno == EINTR { continue }
                sawEOF = true
                return .closed
            }
            if ready == 0 { return .timeout }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            let n = withUnsafeTemporaryAllocation(byteCount: 65536, alignment: 1) { chunk -> Int in
                let n = recv(fd, chunk.baseAddress, chunk.count, 0)
                if n > 0 { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n])) }
                return n
            }
            if n > 0 { return .data }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            // EOF, or a reset (ECONNRESET): either way the server has closed the connection. Close
            // our end too, as a well-behaved client does: the server lingers until it sees our FIN
            // (or for 2 s) before it reports the departure to the room.
            sawEOF = true
            close()
            return .closed
        }
    }

    /// The next complete line in the buffer, without its newline.
    private func takeRawLine() -> [UInt8]? {
        guard let newline = buffer[start...].firstIndex(of: 10) else { return nil }
        let line = Array(buffer[start..<newline])
        start = newline + 1
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return line
    }

    /// The next complete line in the buffer, without its newline, decoded as UTF-8.
    private func takeLine() -> String? {
        takeRawLine().map { String(decoding: $0, as: UTF8.self) }
    }

    /// The next line's bytes, or nil if none arrives within `timeout` or the connection closes first.
    func readRawLine(timeout: Duration = lineTimeout) -> [UInt8]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = takeRawLine() { return line }
            if fill(until: deadline) != .data { return takeRawLine() }
        }
    }

    /// The next line, or nil if none arrives within `timeout` or the connection closes first.
    func readLine(timeout: Duration = lineTimeout) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = takeLine() { return line }
            if fill(until: deadline) != .data { return takeLine() }
        }
    }

    /// Every line that is already here or arrives within `timeout` (default: none waited for).
    func availableLines(within timeout: Duration = .zero) -> [String] {
        let deadline = ContinuousClock.now + timeout
        var lines: [String] = []
        while true {
            while let line = takeLine() { lines.append(line) }
            if fill(until: deadline) != .data { break }
        }
        while let line = takeLine() { lines.append(line) }
        return lines
    }

    /// Reads `count` lines, waiting at most `timeout` for all of them; returns what arrived.
    func readLines(_ count: Int, timeout: Duration = lineTimeout) -> [String] {
        let deadline = ContinuousClock.now + timeout
        var lines: [String] = []
        while lines.count < count {
            if let line = takeLine() {
                lines.append(line)
            } else if fill(until: deadline) != .data {
                break
            }
        }
        return lines
    }

    /// Requires the next line to be exactly `expected`.
    @discardableResult
    func expectLine(
        _ expected: String,
        timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let line = readLine(timeout: timeout)
        try #require(
            line == expected,
            "\(nick): expected \"\(expected)\", got \(describe(line))",
            sourceLocation: sourceLocation
        )
        return expected
    }

    /// Requires the next line to start with `prefix`, and returns it.
    @discardableResult
    func expectLine(
        prefix: String,
        timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let line = readLine(timeout: timeout)
        try #require(
            line?.hasPrefix(prefix) == true,
            "\(nick): expected a line starting \"\(prefix)\", got \(describe(line))",
            sourceLocation: sourceLocation
        )
        return line!
    }

    /// Expects no line at all for `duration`, and returns any that came. Prefer
    /// ``expectNothingQueued(sourceLocation:)``, which needs no sleep, where the client can send.
    @discardableResult
    func expectNothing(for duration: Duration, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let lines = availableLines(within: duration)
        #expect(lines.isEmpty, "\(nick) expected silence, got \(lines)", sourceLocation: sourceLocation)
        return lines
    }

    /// Sends `/ping <token>` and reads up to the matching `PONG`; returns the lines that came before
    /// it. The server handles a client's lines in order and queues each client's output in order, so
    /// afterwards everything the server had queued for this client earlier has been read.
    @discardableResult
    func sync(timeout: Duration = lineTimeout, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        syncs += 1
        let pong = "PONG sync-\(syncs)"
        try send("/ping sync-\(syncs)")
        let deadline = ContinuousClock.now + timeout
        var before: [String] = []
        while let line = readLine(timeout: deadline - .now) {
            if line == pong { return before }
            before.append(line)
        }
        try #require(
            Bool(false),
            "\(nick): no \(pong) within \(timeout); got \(before)",
            sourceLocation: sourceLocation
        )
        return before
    }

    /// Requires nothing but the `PONG` of a ``sync(timeout:sourceLocation:)``: no line was queued.
    func expectNothingQueued(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = try sync(sourceLocation: sourceLocation)
        #expect(lines.isEmpty, "\(nick) expected no lines, got \(lines)", sourceLocation: sourceLocation)
    }

    /// Reads until the server closes the connection; returns the complete lines read before that.
    @discardableResult
    func waitForClose(
        timeout: Duration = lineTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var lines: [String] = []
        while true {
            while let line = takeLine() { lines.append(line) }
            switch fill(until: deadline) {
            case .data: continue
            case .closed:
                while let line = takeLine() { lines.append(line) }
                return lines
            case .timeout:
                try #require(
                    Bool(false),
                    "\(nick): still open after \(timeout); got \(lines)",
                    sourceLocation: sourceLocation
                )
                return lines
            }
        }
    }

    // MARK: Commands

    /// Drains whatever was queued for this client (see ``sync(timeout:sourceLocation:)``), then
    /// `/join room`, requiring the leaver's own `PART` and `JOIN` confirmation.
    func join(_ room: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try sync(sourceLocation: sourceLocation)
        try send("/join \(room)")
        try expectLine("PART \(self.room) \(nick)", sourceLocation: sourceLocation)
        try expectLine("JOIN \(room) \(nick)", sourceLocation: sourceLocation)
        self.room = room
    }

    /// Sends a listing command (`/rooms`, `/who`, `/stats`, `/help`) and returns its lines up to and
    /// including the `END` line.
    func listing(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try send(command)
        var lines: [String] = []
        while true {
            let line = try #require(
                readLine(),
                "\(nick): \(command) ended early: \(lines)",
                sourceLocation: sourceLocation
            )
            lines.append(line)
            if line.hasPrefix("END ") { return lines }
        }
    }

    /// `/stats`, parsed: every `STAT` name and value up to `END stats`.
    func stats(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Int] {
        try send("/stats")
        var stats: [String: Int] = [:]
        while true {
            let line = try #require(
                readLine(),
                "\(nick): /stats ended early, got \(stats)",
                sourceLocation: sourceLocation
            )
            if line == "END stats" { return stats }
            let words = line.split(separator: " ")
            try #require(
                words.count == 3 && words[0] == "STAT",
                "\(nick): unexpected line in /stats: \(line)",
                sourceLocation: sourceLocation
            )
            let value = Int(String(words[2]))
            try #require(value != nil, "not a number: \(line)", sourceLocation: sourceLocation)
            stats[String(words[1])] = value
        }
    }

    // MARK: Closing

    /// Closes the socket normally (FIN). Idempotent.
    func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(fd)
    }

    /// Sends FIN but keeps reading, as `printf '/who\n' | nc` does.
    func shutdownWrite() {
        guard isOpen else { return }
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with SO_LINGER 0, so the server sees a reset instead of an orderly EOF.
    func resetAbruptly() {
        guard isOpen else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }
}

private func describe(_ line: String?) -> String {
    line.map { "\"\($0)\"" } ?? "nothing (timeout or closed)"
}

// MARK: - Threads

/// Runs a closure on a thread of its own; ``wait(timeout:)`` joins it and rethrows what it threw.
final class BackgroundThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written by the thread before it signals `done`, read only after waiting on `done`.
    private var failure: (any Error)?

    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { self.failure = error }
            self.done.signal()
        }
        thread.start()
    }

    func wait(timeout: Duration) throws {
        guard done.wait(timeout: .now() + .milliseconds(timeout.milliseconds)) == .success else {
            throw HarnessError("background thread still running after \(timeout)")
        }
        if let failure { throw failure }
    }
}
