// ChildProcess: an executable under test run as a child process with posix_spawn, its stdout on a
// pipe (or in a file), and bounded waits for its lines and its exit.

import Foundation
import Glibc

/// A child process the test owns; killed and reaped on deinit if still running.
///
/// It starts with stdin on /dev/null, default signal dispositions, nothing blocked, and no
/// descriptor of the test process but 0–2: a test runner that ignores SIGPIPE or holds thousands
/// of sockets must not change how the child behaves.
///
/// ```swift
/// let child = try ChildProcess(try productPath("echo-server"), ["--port", "0"])
/// let banner = try child.readLine()
/// child.signal(SIGINT)
/// #expect(child.waitForExit(timeout: .seconds(5)) == .exited(0))
/// ```
public final class ChildProcess {
    /// Where the child's stdout goes.
    public enum Output: Sendable {
        /// A pipe that ``readLine(timeout:)`` reads.
        case pipe
        /// The test process's own stdout.
        case inherit
        /// A file, created or truncated.
        case file(String)
    }

    /// How a child process ended. (Nested: Swift Testing has an `ExitStatus` of its own.)
    public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// Decodes a waitpid(2) status (WIFEXITED, WEXITSTATUS and WTERMSIG are macros Swift does
        /// not import).
        public init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        }

        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    public let pid: pid_t
    /// How the child ended, once a wait or ``kill()`` has reaped it.
    public private(set) var exitStatus: ExitStatus?
    /// The read end of the stdout pipe, or -1.
    private let output: Int32
    private var pending = PendingBytes()

    /// Spawns `executable` with `arguments` and the test process's environment.
    ///
    /// - Parameters:
    ///   - stdout: where its stdout goes; ``Output/pipe`` by default.
    ///   - stderrPath: a file for its stderr (created or truncated), or nil to inherit the test's.
    /// - Throws: ``HarnessError`` if the pipe or posix_spawn fails.
    public init(_ executable: String, _ arguments: [String], stdout: Output = .pipe, stderrPath: String? = nil) throws {
        var pipeFDs: [Int32] = [-1, -1]
        if case .pipe = stdout {
            guard pipe(&pipeFDs) == 0 else { throw HarnessError.system("pipe") }
            _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch stdout {
        case .pipe: posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        case .inherit: break
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        Self.closeAllAbove(2, &actions)
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
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        if pipeFDs[1] >= 0 { close(pipeFDs[1]) }
        guard rc == 0 else {
            if pipeFDs[0] >= 0 { close(pipeFDs[0]) }
            throw HarnessError.system("posix_spawn \(executable)", rc)
        }
        self.pid = pid
        self.output = pipeFDs[0]
    }

    /// Whether children start with 0–2 only: posix_spawn_file_actions_addclosefrom_np is in glibc
    /// since 2.34; before, they inherit what the test process has open without close-on-exec.
    public static var closesInheritedDescriptors: Bool { closeFrom != nil }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    /// GNU-only (not in the Glibc module): looked up.
    private static var closeFrom: CloseFrom? {
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    }

    private static func closeAllAbove(_ fd: Int32, _ actions: inout posix_spawn_file_actions_t) {
        _ = closeFrom?(&actions, fd + 1)
    }

    deinit {
        self.kill()
        if self.output >= 0 { close(self.output) }
    }

    /// The next line the child printed on its stdout pipe, without the newline.
    ///
    /// - Throws: ``HarnessError`` if no whole line comes within `timeout`, or stdout closes first.
    public func readLine(timeout: Duration = .seconds(10)) throws -> String {
        precondition(self.output >= 0, "readLine needs stdout: .pipe")
        let deadline = Deadline(timeout)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let line = self.pending.popLine() { return String(decoding: line, as: UTF8.self) }
            var entry = pollfd(fd: self.output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { throw HarnessError("child \(self.pid) printed no line within \(timeout)") }
            let n = chunk.withUnsafeMutableBytes { read(self.output, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw HarnessError("child \(self.pid) closed its stdout") }
            chunk.withUnsafeBytes { self.pending.append(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
    }

    /// User plus system CPU time so far, in clock ticks (from /proc/PID/stat).
    public func cpuTicks() throws -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(self.pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else {
            throw HarnessError("unreadable /proc/\(self.pid)/stat")
        }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields 14 and 15 of proc(5) are utime and stime; fields[0] is field 3 (state).
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw HarnessError("unreadable /proc/\(self.pid)/stat")
        }
        return user + system
    }

    /// Descriptors the child has open (from /proc/PID/fd), or nil if it cannot be read.
    public var descriptorCount: Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/fd"))?.count
    }

    /// Sends `signal`, unless the child was already reaped (its pid may belong to another process by now).
    public func signal(_ signal: Int32) {
        if self.exitStatus == nil { Glibc.kill(self.pid, signal) }
    }

    /// Waits up to `timeout` for the child to exit and reaps it; nil if it is still running.
    /// `.zero` checks once without waiting.
    public func waitForExit(timeout: Duration = .seconds(10)) -> ExitStatus? {
        if let exitStatus { return exitStatus }
        let deadline = Deadline(timeout)
        while true {
            var status: Int32 = 0
            let result = waitpid(self.pid, &status, WNOHANG)
            if result == self.pid {
                self.exitStatus = ExitStatus(waitStatus: status)
                return self.exitStatus
            }
            if result < 0 && errno != EINTR { return nil }
            if deadline.hasPassed { return nil }
            usleep(2000)
        }
    }

    /// Kills the child with SIGKILL unless it was already reaped, then reaps it. Idempotent.
    @discardableResult
    public func kill() -> ExitStatus {
        if let exitStatus { return exitStatus }
        Glibc.kill(self.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = ExitStatus(waitStatus: status)
        self.exitStatus = exitStatus
        return exitStatus
    }
}
