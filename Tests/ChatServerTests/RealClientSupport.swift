// RealClientSupport: the IRC clients IRCRealClientTests drives, as a person would run them, and
// what they show. irssi runs under tmux (keys in; its screen, and the per-channel logs it writes
// with autolog, out); WeeChat runs headless (commands in through its FIFO; its logger's files out).
// Each gets a fresh home directory under /tmp (HOME too), so no configuration outside /tmp is read
// or written. Every wait polls a condition against a deadline; none sleeps for a fixed time.
import Foundation
import Glibc
import TestHarness
import Testing

/// Finding and running the programs these tests drive.
enum RealClients {
    /// The path of `name` on PATH (or in /usr/bin, /usr/local/bin), if it is an executable.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/bin"]
        return directories.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    static let tmux = executable("tmux")
    static let irssi = executable("irssi")
    static let weechat = executable("weechat-headless")

    /// WeeChat's FIFO plugin, through which the tests type: Debian ships it in weechat-plugins,
    /// which weechat-headless only recommends.
    static let weechatFIFOPlugin: String? = {
        let lib = "/usr/lib"
        let multiarch = ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [])
            .filter { $0.contains("-linux-") }.sorted().map { "\(lib)/\($0)" }
        return (multiarch + [lib, "/usr/lib64", "/usr/local/lib"]).map { "\($0)/weechat/plugins/fifo.so" }
            .first { access($0, R_OK) == 0 }
    }()

    /// Whether irssi can run here (it needs tmux for a terminal).
    static var haveIrssi: Bool { irssi != nil && tmux != nil }
    /// Whether WeeChat can run here with the plugins the tests use (irc and logger are in weechat-core).
    static var haveWeeChat: Bool { weechat != nil && weechatFIFOPlugin != nil }

    static let irssiMissing: Comment = "irssi or tmux is not installed (apt-get install irssi tmux)"
    static let weechatMissing: Comment =
        "weechat-headless or its FIFO plugin is not installed (apt-get install weechat-headless weechat-plugins)"

    /// Runs `path arguments` to completion (killed after `timeout`); returns how it ended and its stdout.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], timeout: Duration = .seconds(5)) throws
        -> (status: ChildProcess.ExitStatus, stdout: String)
    {
        let stdoutPath = temporaryPath("out")
        let stderrPath = temporaryPath("err")
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let child = try ChildProcess(path, arguments, stdout: .file(stdoutPath), stderrPath: stderrPath)
        guard let status = child.waitForExit(timeout: timeout) else {
            child.kill()
            throw HarnessError("\(path) \(arguments) still running after \(timeout)")
        }
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        if status != .exited(0) {
            let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw HarnessError("\(path) \(arguments): \(status); stderr: \(stderr)")
        }
        return (status, stdout)
    }

    /// A new empty directory under /tmp.
    static func temporaryDirectory(_ suffix: String) throws -> String {
        let path = temporaryPath(suffix)
        guard mkdir(path, 0o700) == 0 else { throw HarnessError.system("mkdir \(path)") }
        return path
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Deadline(timeout)
        while true {
            if try condition() { return true }
            if deadline.hasPassed { return false }
            usleep(20_000)
        }
    }
}

/// How long a real client may take to show the effect of something: generous, because a wait
/// returns as soon as the text appears and only a failure waits this long.
let clientTimeout: Duration = .seconds(10)

// MARK: - What a client shows

/// A text file a client appends to as it shows lines (irssi's autolog, WeeChat's logger), read
/// afresh on every look.
struct ClientLog: CustomStringConvertible {
    let path: String

    var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// The lines that contain every one of `fragments`.
    func lines(with fragments: [String]) -> [Substring] {
        text.split(separator: "\n").filter { line in fragments.allSatisfy { line.contains($0) } }
    }

    var description: String {
        let text = self.text
        return "\(path):\n" + (text.isEmpty ? "(missing or empty)" : text)
    }
}

/// Waits until some line of `log` contains every one of `fragments`; otherwise fails the test (the
/// `#require` throws), showing the log and `context`. Returns the line.
@discardableResult
func waitForLine(
    in log: ClientLog, _ fragments: [String], who: String, timeout: Duration = clientTimeout,
    context: () -> String = { "" }, sourceLocation: SourceLocation
) throws -> String {
    var found: Substring?
    _ = RealClients.eventually(timeout: timeout) {
        found = log.lines(with: fragments).first
        return found != nil
    }
    try #require(
        found != nil, "\(who) never showed a line with \(fragments) within \(timeout); \(log)\n\(context())",
        sourceLocation: sourceLocation)
    return String(found!)
}

// MARK: - tmux

/// A detached tmux session on a server of its own (`-S socket`, no configuration file), running one
/// command in a 200×50 pane. ``close()`` kills the tmux server.
final class TmuxSession {
    private let tmux: String
    private let socket: String

    init(tmux: String, command: String) throws {
        self.tmux = tmux
        self.socket = temporaryPath("tmux")
        try RealClients.run(
            "/usr/bin/env",
            ["TERM=xterm-256color", tmux, "-f", "/dev/null", "-S", socket, "new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command])
    }

    deinit { close() }

    private func tmux(_ arguments: [String]) throws -> String {
        try RealClients.run(tmux, ["-S", socket] + arguments).stdout
    }

    /// Types `text` literally, then Enter.
    func type(_ text: String) throws {
        _ = try tmux(["send-keys", "-t", "t", "-l", text])
        _ = try tmux(["send-keys", "-t", "t", "Enter"])
    }

    /// The pane's text, scrollback included, wrapped lines joined; "" once the session is gone.
    func screen() -> String {
        (try? tmux(["capture-pane", "-p", "-J", "-t", "t", "-S", "-500"])) ?? ""
    }

    /// The pane as it is on the terminal now, top line first (no scrollback); "" once the session is gone.
    func visibleScreen() -> String {
        (try? tmux(["capture-pane", "-p", "-t", "t"])) ?? ""
    }

    /// ``visibleScreen()`` without its blank lines, for failure messages.
    func visibleText() -> String {
        visibleScreen().split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.joined(separator: "\n")
    }

    /// Whether the session (its command) still runs.
    var isRunning: Bool { (try? tmux(["has-session", "-t", "t"])) != nil }

    /// Waits up to `timeout` for the screen to contain `text`; records an issue with the screen if not.
    @discardableResult
    func waitForScreen(
        containing text: String, timeout: Duration = clientTimeout, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        if RealClients.eventually(timeout: timeout, { self.screen().contains(text) }) { return true }
        Issue.record("the screen never showed \"\(text)\":\n\(screen())", sourceLocation: sourceLocation)
        return false
    }

    /// Kills the tmux server and removes its socket. Idempotent.
    func close() {
        _ = try? RealClients.run(tmux, ["-S", socket, "kill-server"])
        unlink(socket)
    }
}

// MARK: - irssi

/// irssi under tmux, connected to 127.0.0.1:`port` as `nick` on the chat network `switchboard`,
/// autojoining `channels`, with autolog on: every channel window is also written to
/// `<home>/logs/<channel>.log`, line for line as the window shows it (`HH:MM ` and the theme's text).
final class Irssi {
    let nick: String
    let home: String
    let session: TmuxSession

    init(port: Int, nick: String, user: String = "irssi", channels: [String]) throws {
        self.nick = nick
        home = try RealClients.temporaryDirectory("irssi")
        // irssi's flood control (a command every 2.2 s after the first five) would make the channel
        // sync take seconds: off, on the chat network and in the settings. Paste detection is off,
        // so lines typed in quick succession are never held for a "paste N lines?" prompt. The log
        // level `all` keeps irssi's own notices (such as "Join to #c was synced") in the logs too.
        let channelList = channels.map { "{ name = \"\($0)\"; chatnet = \"switchboard\"; autojoin = \"yes\"; }" }
        let config = """
            servers = ( { address = "127.0.0.1"; chatnet = "switchboard"; port = "\(port)"; autoconnect = "yes"; } );
            chatnets = { switchboard = { type = "IRC"; nick = "\(nick)"; cmdspeed = "0"; cmdmax = "1000"; }; };
            channels = ( \(channelList.joined(separator: ", ")) );
            settings = {
              core = { real_name = "Irssi User"; user_name = "\(user)"; nick = "\(nick)"; settings_autosave = "no"; };
              "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "1000"; };
              "fe-common/core" = { autolog = "yes"; autolog_path = "\(home)/logs/$0.log"; autolog_level = "all"; };
              "fe-text" = { paste_detect_time = "0"; };
            };
            """
        do {
            try config.write(toFile: "\(home)/config", atomically: true, encoding: .utf8)
            session = try TmuxSession(
                tmux: RealClients.tmux!, command: "/usr/bin/env HOME=\(home) \(RealClients.irssi!) --home=\(home)")
        } catch {
            try? FileManager.default.removeItem(atPath: home)
            throw error
        }
    }

    deinit { close() }

    /// What irssi showed in `channel`'s window (its autolog).
    func log(_ channel: String) -> ClientLog { ClientLog(path: "\(home)/logs/\(channel).log") }

    /// Types `text` and Enter into irssi.
    func type(_ text: String) throws { try session.type(text) }

    /// Waits until `channel`'s window showed a line with every one of `fragments`.
    @discardableResult
    func waitFor(
        _ channel: String, _ fragments: String..., timeout: Duration = clientTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        try waitForLine(
            in: log(channel), fragments, who: "irssi", timeout: timeout,
            context: { "irssi's screen:\n\(self.session.screen())" }, sourceLocation: sourceLocation)
    }

    /// Waits until the terminal's top line (irssi's topic bar, showing the active window's topic) contains `text`.
    func waitForTopicBar(
        _ text: String, timeout: Duration = clientTimeout, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        func topLine() -> String { String(session.visibleScreen().split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
        let shown = RealClients.eventually(timeout: timeout) { topLine().contains(text) }
        try #require(
            shown, "irssi's topic bar never showed \"\(text)\"; the screen:\n\(session.visibleText())",
            sourceLocation: sourceLocation)
    }

    /// Waits up to `timeout` for irssi (and so its tmux session) to end.
    func waitForExit(timeout: Duration = .seconds(5)) -> Bool {
        RealClients.eventually(timeout: timeout) { !session.isRunning }
    }

    /// Kills the tmux server (and irssi) and removes the home directory. Idempotent.
    func close() {
        session.close()
        try? FileManager.default.removeItem(atPath: home)
    }
}

// MARK: - WeeChat

/// `weechat-headless` connected to 127.0.0.1:`port` as server `sb` with nick `nick`, autojoining
/// `channels`; commands go in through its FIFO plugin, and its logger writes every buffer to
/// `<home>/logs/irc.sb.<channel>.weechatlog` at once (`date<TAB>prefix<TAB>text`).
final class WeeChat {
    let nick: String
    let home: String
    let process: ChildProcess
    /// The FIFO, opened for reading and writing: the open never waits for WeeChat, a write never
    /// raises SIGPIPE, and WeeChat never sees an end of file (on which it would close and reopen the
    /// FIFO, and a command written in that moment would be lost).
    private var fifo: Int32 = -1
    private let fifoPath: String
    private let output: String

    init(port: Int, nick: String, user: String = "wee", channels: [String]) throws {
        self.nick = nick
        home = try RealClients.temporaryDirectory("weechat")
        output = temporaryPath("weechat-out")
        // The logger writes each line at once (flush_delay 0); anti-flood delays are off.
        let commands = [
            "/set logger.file.flush_delay 0",
            "/server add sb 127.0.0.1/\(port) -notls -nicks=\(nick) -username=\(user) -realname=WeeChat"
                + " -autojoin=\(channels.joined(separator: ",")) -anti_flood_prio_high=0 -anti_flood_prio_low=0",
            "/connect sb",
        ]
        do {
            process = try ChildProcess(
                "/usr/bin/env",
                ["HOME=\(home)", RealClients.weechat!, "--dir", home, "--no-script", "--plugins", "irc,logger,fifo",
                 "--run-command", commands.joined(separator: ";")],
                stdout: .file(output), stderrPath: output + ".err")
        } catch {
            try? FileManager.default.removeItem(atPath: home)
            throw error
        }
        // env execs WeeChat in the same process, so the FIFO is named after this pid.
        fifoPath = "\(home)/weechat_fifo_\(process.pid)"
    }

    deinit { close() }

    /// What WeeChat showed in `channel`'s buffer (its logger file).
    func log(_ channel: String) -> ClientLog { ClientLog(path: "\(home)/logs/irc.sb.\(channel).weechatlog") }

    /// The server buffer's log.
    var serverLog: ClientLog { ClientLog(path: "\(home)/logs/irc.server.sb.weechatlog") }

    /// Sends `text` to WeeChat as if typed into `buffer` (`irc.sb.#lobby`, `irc.server.sb`): a
    /// command if it starts with `/`, else a message.
    func input(_ buffer: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if fifo < 0 {
            let created = RealClients.eventually(timeout: clientTimeout) { access(fifoPath, F_OK) == 0 }
            try #require(created, "WeeChat made no FIFO at \(fifoPath)", sourceLocation: sourceLocation)
            fifo = open(fifoPath, O_RDWR | O_NONBLOCK | O_CLOEXEC)
            guard fifo >= 0 else { throw HarnessError.system("open \(fifoPath)") }
        }
        // One write of less than PIPE_BUF bytes: atomic, never interleaved with another.
        let bytes = Array("\(buffer) *\(text)\n".utf8)
        precondition(bytes.count < Int(PIPE_BUF))
        let deadline = Deadline(clientTimeout)
        while true {
            let written = write(fifo, bytes, bytes.count)
            if written == bytes.count { return }
            guard written < 0, errno == EAGAIN || errno == EINTR, !deadline.hasPassed else {
                throw HarnessError.system("write \(fifoPath)")
            }
            usleep(10_000)
        }
    }

    /// Types `text` into `channel`'s buffer.
    func say(in channel: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try input("irc.sb.\(channel)", text, sourceLocation: sourceLocation)
    }

    /// Waits until `channel`'s buffer showed a line with every one of `fragments`.
    @discardableResult
    func waitFor(
        _ channel: String, _ fragments: String..., timeout: Duration = clientTimeout,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        try waitForLine(
            in: log(channel), fragments, who: "WeeChat", timeout: timeout,
            context: { "WeeChat's server buffer: \(self.serverLog)" }, sourceLocation: sourceLocation)
    }

    /// Waits up to `timeout` for WeeChat to exit; how it ended, or nil if it still runs.
    func waitForExit(timeout: Duration = .seconds(5)) -> ChildProcess.ExitStatus? {
        process.waitForExit(timeout: timeout)
    }

    /// Kills WeeChat if it still runs, closes the FIFO and removes the home directory. Idempotent.
    func close() {
        process.kill()
        if fifo >= 0 { Glibc.close(fifo) }
        fifo = -1
        unlink(output)
        unlink(output + ".err")
        try? FileManager.default.removeItem(atPath: home)
    }
}
