// IRCRealClientTests: real IRC clients against the server, asserting what each one shows. irssi
// runs under tmux (keys in; its screen and its autolog out), WeeChat headless (commands through its
// FIFO; its logger files out), a line-protocol client is the `nc` user. Each client chats with a
// line client in #lobby in both directions. Skipped, saying why, when a client or tmux is not
// installed; .ci/run installs them.
import Foundation
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("IRC real clients")
    struct IRCRealClients {
        @Test(
            "irssi under tmux autojoins two channels and chats with a line client both ways: messages, /me, /nick, /quit",
            .enabled(if: RealClients.haveIrssi, RealClients.irssiMissing),
            .timeLimit(.minutes(1)))
        func irssi() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let irssi = try Irssi(port: server.ircPort!, nick: "irssiuser", channels: ["#lobby", "#second"])
            defer { irssi.close() }

            try line.expectLine("JOIN lobby irssiuser", timeout: clientTimeout)
            try irssi.type("/window goto #lobby")
            // irssi reports a channel synced once MODE #c, WHO #c and MODE #c b are all answered.
            irssi.session.waitForScreen(containing: "Join to #lobby was synced")
            try irssi.waitFor("#second", "Join to #second was synced")

            try irssi.type("hello from irssi")
            try line.expectLine("MSG lobby irssiuser hello from irssi", timeout: clientTimeout)
            try irssi.type("/me waves from irssi")
            try line.expectLine("ACTION lobby irssiuser waves from irssi", timeout: clientTimeout)

            try line.send("hello irssi, from the line protocol")
            irssi.session.waitForScreen(containing: "\(line.nick)> hello irssi, from the line protocol")
            try line.send("/me waves back")
            irssi.session.waitForScreen(containing: " * \(line.nick) waves back")
            try line.send("/nick liner")
            try line.expectLine("NICK \(line.nick) liner")
            irssi.session.waitForScreen(containing: "\(line.nick) is now known as liner")
            line.nick = "liner"

            try irssi.type("/nick irssi2")
            try line.expectLine("NICK irssiuser irssi2", timeout: clientTimeout)
            try irssi.type("/quit leaving now")
            try line.expectLine("PART lobby irssi2 leaving now", timeout: clientTimeout)
            #expect(irssi.waitForExit(), "irssi did not exit after /quit")
            try line.expectNothingQueued()
        }

        @Test(
            "WeeChat headless autojoins two channels and chats with a line client both ways: messages, /me, /nick, /quit",
            .enabled(if: RealClients.haveWeeChat, RealClients.weechatMissing),
            .timeLimit(.minutes(1)))
        func weechat() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            let line = try server.connectLine()
            let weechat = try WeeChat(port: server.ircPort!, nick: "weeuser", channels: ["#lobby", "#second"])
            defer { weechat.close() }

            try line.expectLine("JOIN lobby weeuser", timeout: clientTimeout)
            try weechat.waitFor("#second", "weeuser (~wee@", "has joined #second")

            try line.send("hello weechat, from the line protocol")
            // WeeChat logs `date<TAB>nick<TAB>text`, the nick with its channel prefix (@ or +) if any.
            try weechat.waitFor("#lobby", "\(line.nick)\thello weechat, from the line protocol")
            try line.send("/me waves to weechat")
            try weechat.waitFor("#lobby", " *\t\(line.nick) waves to weechat")

            try weechat.say(in: "#lobby", "hello from weechat")
            try line.expectLine("MSG lobby weeuser hello from weechat", timeout: clientTimeout)
            try weechat.say(in: "#lobby", "/me waves from weechat")
            try line.expectLine("ACTION lobby weeuser waves from weechat", timeout: clientTimeout)

            try line.send("/nick liner")
            try line.expectLine("NICK \(line.nick) liner")
            try weechat.waitFor("#lobby", "\(line.nick) is now known as liner")
            line.nick = "liner"
            try weechat.input("irc.server.sb", "/nick wee2")
            try line.expectLine("NICK weeuser wee2", timeout: clientTimeout)

            try weechat.say(in: "#lobby", "/quit see you")
            try line.expectLine("PART lobby wee2 see you", timeout: clientTimeout)
            #expect(weechat.waitForExit() != nil, "WeeChat did not exit after /quit")
            try line.expectNothingQueued()
        }
    }
}
