// IRCRealClientTests: real IRC clients against the server: irssi under tmux (keys in, the screen
// out) and WeeChat headless (commands through its FIFO, what it shows from its logger file), each
// chatting with a line-protocol client in #lobby in both directions. Skipped when the client, or
// tmux, is not installed; .ci/run installs them.
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

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Deadline(timeout)
        while true {
            if try condition() { return true }
            if deadline.hasPassed { return false }
            usleep(50_000)
        }
    }
}

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

    /// Whether the session (its command) still runs.
    var isRunning: Bool { (try? tmux(["has-session", "-t", "t"])) != nil }

    /// Waits up to `timeout` for the screen to contain `text`; records an issue with the screen if not.
    @discardableResult
    func waitForScreen(
        containing text: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation
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

extension EndToEnd {
    @Suite("IRC real clients")
    struct IRCRealClients {
        @Test(
            "irssi under tmux autojoins two channels and chats with a line client both ways: messages, /me, /nick, /quit",
            .enabled(if: RealClients.irssi != nil && RealClients.tmux != nil, "irssi or tmux is not installed (apt-get install irssi tmux)"),
            .timeLimit(.minutes(1)))
        func irssi() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let home = try RealClients.temporaryDirectory("irssi")
            defer { try? FileManager.default.removeItem(atPath: home) }
            // irssi's own flood control (a command every 2.2 s after the first five) would make the
            // channel sync take seconds: off, on the chat network and in the settings.
            let config = """
                servers = ( { address = "127.0.0.1"; chatnet = "switchboard"; port = "\(server.ircPort!)"; autoconnect = "yes"; } );
                chatnets = { switchboard = { type = "IRC"; nick = "irssiuser"; cmdspeed = "0"; cmdmax = "1000"; }; };
                channels = (
                  { name = "#lobby"; chatnet = "switchboard"; autojoin = "yes"; },
                  { name = "#second"; chatnet = "switchboard"; autojoin = "yes"; }
                );
                settings = {
                  core = { real_name = "Irssi User"; user_name = "irssi"; nick = "irssiuser"; settings_autosave = "no"; };
                  "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "1000"; };
                };
                """
            try config.write(toFile: "\(home)/config", atomically: true, encoding: .utf8)
            let session = try TmuxSession(tmux: RealClients.tmux!, command: "\(RealClients.irssi!) --home=\(home)")
            defer { session.close() }

            try line.expectLine("JOIN lobby irssiuser", timeout: .seconds(10))
            try session.type("/window goto #lobby")
            // irssi reports a channel synced once MODE #c, WHO #c and MODE #c b are all answered.
            session.waitForScreen(containing: "Join to #lobby was synced")

            try session.type("hello from irssi")
            try line.expectLine("MSG lobby irssiuser hello from irssi", timeout: .seconds(5))
            try session.type("/me waves from irssi")
            try line.expectLine("ACTION lobby irssiuser waves from irssi", timeout: .seconds(5))

            try line.send("hello irssi, from the line protocol")
            session.waitForScreen(containing: "hello irssi, from the line protocol")
            try line.send("/me waves back")
            session.waitForScreen(containing: "* \(line.nick) waves back")
            try line.send("/nick liner")
            try line.expectLine("NICK \(line.nick) liner")
            session.waitForScreen(containing: "\(line.nick) is now known as liner")
            line.nick = "liner"

            try session.type("/nick irssi2")
            try line.expectLine("NICK irssiuser irssi2", timeout: .seconds(5))
            try session.type("/quit leaving now")
            try line.expectLine("PART lobby irssi2 leaving now", timeout: .seconds(5))
            #expect(RealClients.eventually(timeout: .seconds(5)) { !session.isRunning }, "irssi did not exit after /quit")
            try line.expectNothingQueued()
        }

        @Test(
            "WeeChat headless autojoins two channels and chats with a line client both ways: messages, /me, /nick, /quit",
            .enabled(if: RealClients.weechat != nil, "weechat-headless is not installed (apt-get install weechat-headless)"),
            .timeLimit(.minutes(1)))
        func weechat() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let home = try RealClients.temporaryDirectory("weechat")
            defer { try? FileManager.default.removeItem(atPath: home) }
            // The logger writes each line at once (flush_delay 0); anti-flood delays are off.
            let commands = [
                "/set logger.file.flush_delay 0",
                "/server add sb 127.0.0.1/\(server.ircPort!) -notls -nicks=weeuser -username=wee -realname=WeeChat"
                    + " -autojoin=#lobby,#second -anti_flood_prio_high=0 -anti_flood_prio_low=0",
                "/connect sb",
            ]
            let output = temporaryPath("weechat-out")
            defer { unlink(output) }
            let weechat = try ChildProcess(
                RealClients.weechat!, ["--dir", home, "--no-script", "--plugins", "irc,logger,fifo", "--run-command", commands.joined(separator: ";")],
                stdout: .file(output), stderrPath: output + ".err")
            defer {
                weechat.kill()
                unlink(output + ".err")
            }
            let log = "\(home)/logs/irc.sb.#lobby.weechatlog"
            func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
            func logged(_ text: String) -> Bool { RealClients.eventually { logText().contains(text) } }
            let fifo = "\(home)/weechat_fifo_\(weechat.pid)"
            func command(_ text: String) throws {
                let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else { throw HarnessError.system("open \(fifo)") }
                defer { Glibc.close(fd) }
                let bytes = Array((text + "\n").utf8)
                guard write(fd, bytes, bytes.count) == bytes.count else { throw HarnessError.system("write \(fifo)") }
            }

            try line.expectLine("JOIN lobby weeuser", timeout: .seconds(10))
            #expect(RealClients.eventually { access(fifo, F_OK) == 0 }, "no FIFO at \(fifo)")

            try line.send("hello weechat, from the line protocol")
            // WeeChat logs `date<TAB>nick<TAB>text`, the nick with its channel prefix (@ or +) if any.
            #expect(logged("\(line.nick)\thello weechat, from the line protocol"), "not in \(log): \(logText())")
            try line.send("/me waves to weechat")
            #expect(logged(" *\t\(line.nick) waves to weechat"), "not in \(log): \(logText())")

            try command("irc.sb.#lobby *hello from weechat")
            try line.expectLine("MSG lobby weeuser hello from weechat", timeout: .seconds(5))
            try command("irc.sb.#lobby */me waves from weechat")
            try line.expectLine("ACTION lobby weeuser waves from weechat", timeout: .seconds(5))

            try line.send("/nick liner")
            try line.expectLine("NICK \(line.nick) liner")
            #expect(logged("\(line.nick) is now known as liner"), "not in \(log): \(logText())")
            line.nick = "liner"
            try command("irc.server.sb */nick wee2")
            try line.expectLine("NICK weeuser wee2", timeout: .seconds(5))

            try command("irc.sb.#lobby */quit see you")
            try line.expectLine("PART lobby wee2 see you", timeout: .seconds(5))
            #expect(weechat.waitForExit(timeout: .seconds(5)) != nil, "WeeChat did not exit after /quit")
            try line.expectNothingQueued()
        }
    }
}
