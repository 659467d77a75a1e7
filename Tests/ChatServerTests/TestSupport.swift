// TestSupport: runs the real switchboard binary as a child process and speaks the raw line protocol
// to it over loopback sockets, on TestHarness's ChildProcess and TestClient. Every wait here is
// bounded by a deadline.
import Foundation
import Glibc
import TestHarness
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

// MARK: - The server process

/// A `switchboard` child process. ``stop()`` (also run on deinit) kills and reaps it.
final class ServerProcess: @unchecked Sendable {
    private let child: ChildProcess
    /// The TCP port the server printed.
    let port: Int
    private let stderrPath: String

    private init(child: ChildProcess, port: Int, stderrPath: String) {
        self.child = child
        self.port = port
        self.stderrPath = stderrPath
    }

    deinit { stop() }

    /// Starts `switchboard --port 0 --print-port` followed by `arguments` (later flags win) and waits
    /// for the port line on its stdout.
    static func start(_ arguments: [String] = []) throws -> ServerProcess {
        let stderrPath = temporaryPath("stderr")
        let child = try ChildProcess(
            try productPath("switchboard"), ["--port", "0", "--print-port", "--irc-port", "0", "--http-port", "0"] + arguments, stderrPath: stderrPath)
        if let line = try? child.readLine(timeout: .seconds(15)), let port = Int(line), port > 0 {
            return ServerProcess(child: child, port: port, stderrPath: stderrPath)
        }
        let status = child.kill()
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        unlink(stderrPath)
        throw HarnessError("switchboard \(arguments) printed no port (\(status)): \(stderr)")
    }

    /// What a run to completion produced.
    struct Outcome {
        let status: ChildProcess.ExitStatus
        let stdout: String
        let stderr: String
    }

    /// Port 0 for every TCP listener, for runs expected to fail on another flag: with the IRC and
    /// web defaults (6667, 8080) such a run failed instead on whatever else held those ports (an
    /// irctest run, another checkout's tests), naming them rather than the flag under test.
    static let quietPorts = ["--port", "0", "--irc-port", "0", "--http-port", "0"]

    /// Runs `switchboard arguments` to completion (killing it after `timeout`).
    static func run(_ arguments: [String], timeout: Duration = .seconds(10)) throws -> Outcome {
        let stdoutPath = temporaryPath("stdout")
        let stderrPath = temporaryPath("stderr")
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let child = try ChildProcess(
            try productPath("switchboard"), arguments, stdout: .file(stdoutPath), stderrPath: stderrPath)
        let status = child.waitForExit(timeout: timeout)
        let outcome = Outcome(
            status: status ?? child.kill(),
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
    func signal(_ signal: Int32) { child.signal(signal) }

    /// The server's user plus system CPU time so far, in clock ticks.
    func cpuTicks() throws -> Int { try child.cpuTicks() }

    /// Waits up to `timeout` for the server to exit; `nil` if it is still running.
    func waitForExit(timeout: Duration) -> ChildProcess.ExitStatus? { child.waitForExit(timeout: timeout) }

    /// Kills the server if it still runs, reaps it and removes its stderr file. Idempotent.
    ///
    /// A server that exited on its own without the test waiting for it (a crash, say) is recorded
    /// as an issue, with its stderr.
    func stop() {
        if child.exitStatus == nil, let status = child.waitForExit(timeout: .zero) {
            Issue.record("switchboard exited unexpectedly (\(status)); stderr: \(stderr)")
        }
        child.kill()
        unlink(stderrPath)
    }

    /// Everything the server wrote to stderr so far.
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The server's resident set size in KiB, from /proc/PID/status.
    var residentKilobytes: Int {
        guard let text = try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

// MARK: - Clients

/// One blocking protocol client on a ``TestClient``: reads wait until a deadline, writes time out
/// after 10 s. Not thread-safe: one thread uses a client at a time.
final class Client: @unchecked Sendable {
    private let socket: TestClient
    /// The nick the server gave or confirmed, kept by the helpers that see it change.
    var nick = ""
    /// The room the client is in, kept by ``join(_:sourceLocation:)``.
    var room = ""
    /// Whether a read saw the server close the connection (EOF or reset).
    private(set) var sawEOF = false
    private var syncs = 0

    private init(socket: TestClient) { self.socket = socket }

    /// Opens a blocking stream socket to `endpoint`. `receiveBuffer` sets SO_RCVBUF before connecting.
    static func connect(_ endpoint: Endpoint, receiveBuffer: Int? = nil) throws -> Client {
        Client(socket: try TestClient(connectingTo: endpoint, receiveBuffer: receiveBuffer))
    }

    // MARK: Writing

    /// Sends `line` and a newline.
    func send(_ line: String) throws {
        try sendRaw(Array(line.utf8) + [10])
    }

    /// Sends bytes as they are.
    func sendRaw(_ bytes: [UInt8]) throws {
        try socket.send(bytes)
    }

    // MARK: Reading

    private enum Next {
        case line([UInt8]), timeout, closed
    }

    /// The next line by `deadline`, or why none came.
    private func next(until deadline: Deadline) -> Next {
        switch socket.readLine(until: deadline) {
        case .line(let line): return .line(line)
        case .stopped(.timeout): return .timeout
        case .stopped:
            // EOF, or a reset (ECONNRESET): either way the server has closed the connection. Close
            // our end too, as a well-behaved client does: the server lingers until it sees our FIN
            // (or for 2 s) before it reports the departure to the room.
            if socket.isOpen {
                sawEOF = true
                socket.close()
            }
            return .closed
        }
    }

    /// The next line's bytes, or nil if none arrives within `timeout` or the connection closes first.
    func readRawLine(timeout: Duration = lineTimeout) -> [UInt8]? {
        guard case .line(let line) = next(until: Deadline(timeout)) else { return nil }
        return line
    }

    /// The next line, or nil if none arrives within `timeout` or the connection closes first.
    func readLine(timeout: Duration = lineTimeout) -> String? {
        readRawLine(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    private func readLine(until deadline: Deadline) -> String? {
        guard case .line(let line) = next(until: deadline) else { return nil }
        return String(decoding: line, as: UTF8.self)
    }

    /// Every line that is already here or arrives within `timeout` (default: none waited for).
    func availableLines(within timeout: Duration = .zero) -> [String] {
        let deadline = Deadline(timeout)
        var lines: [String] = []
        while let line = readLine(until: deadline) { lines.append(line) }
        return lines
    }

    /// Reads `count` lines, waiting at most `timeout` for all of them; returns what arrived.
    func readLines(_ count: Int, timeout: Duration = lineTimeout) -> [String] {
        let deadline = Deadline(timeout)
        var lines: [String] = []
        while lines.count < count, let line = readLine(until: deadline) { lines.append(line) }
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
        let deadline = Deadline(timeout)
        var before: [String] = []
        while let line = readLine(until: deadline) {
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
        let deadline = Deadline(timeout)
        var lines: [String] = []
        while true {
            switch next(until: deadline) {
            case .line(let line): lines.append(String(decoding: line, as: UTF8.self))
            case .closed: return lines
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
    func close() { socket.close() }

    /// Sends FIN but keeps reading, as `printf '/who\n' | nc` does.
    func shutdownWrite() { socket.shutdownWrite() }

    /// Closes with SO_LINGER 0, so the server sees a reset instead of an orderly EOF.
    func resetAbruptly() { socket.resetAbruptly() }
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
