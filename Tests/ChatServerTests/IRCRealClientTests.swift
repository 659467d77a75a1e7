// IRCRealClientTests: real IRC clients against the server, asserting what each one shows. irssi
// runs under tmux (keys in; its screen and its autolog out), WeeChat headless (commands through its
// FIFO; its logger files out), a line-protocol client is the `nc` user. Each client alone with a
// line client, then both together with one on two channels: messages both ways between every pair,
// /me, /nick, /topic, /part and /quit. Skipped, saying why, when a client or tmux is not installed;
// .ci/run installs them. `make test-clients` runs just these.
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

        /// One server; a line client in lobby, irssi, then WeeChat, both autojoining #lobby and
        /// #second. Each step waits until every client that should show its effect shows it; the
        /// line client must receive exactly the lobby's lines, in order, and nothing from #second.
        @Test(
            "irssi and WeeChat together on #lobby and #second with a line client: messages every way, /me, /nick, /topic, /part, /quit",
            .enabled(if: RealClients.haveIrssi, RealClients.irssiMissing),
            .enabled(if: RealClients.haveWeeChat, RealClients.weechatMissing),
            .timeLimit(.minutes(1)))
        func irssiAndWeeChat() throws {
            let server = try IRCTestServer.start(overTCP: true)
            defer { server.stop() }
            // The line client is first: its admission creates the lobby, so it is the lobby's
            // operator and the IRC clients are plain members there.
            let line = try server.connectLine()
            let guest = line.nick

            // irssi first, so it creates #second and is its operator.
            let irssi = try Irssi(port: server.ircPort!, nick: "irssiuser", channels: ["#lobby", "#second"])
            defer { irssi.close() }
            try line.expectLine("JOIN lobby irssiuser", timeout: clientTimeout)
            try irssi.waitFor("#second", "irssiuser [~irssi@", "has joined #second")
            let weechat = try WeeChat(port: server.ircPort!, nick: "weeuser", channels: ["#lobby", "#second"])
            defer { weechat.close() }
            try line.expectLine("JOIN lobby weeuser", timeout: clientTimeout)
            for channel in ["#lobby", "#second"] {
                try weechat.waitFor(channel, "-->\tweeuser (~wee@", "has joined \(channel)")
                try irssi.waitFor(channel, "weeuser [~wee@", "has joined \(channel)")
                try irssi.waitFor(channel, "Join to \(channel) was synced")
            }
            try irssi.waitFor("#second", "[@irssiuser]")  // irssi's names list: it is #second's operator

            // Messages in #lobby: each of the three to the other two.
            try irssi.type("/window goto #lobby")
            try irssi.type("hello from irssi")
            try line.expectLine("MSG lobby irssiuser hello from irssi", timeout: clientTimeout)
            try weechat.waitFor("#lobby", "irssiuser\thello from irssi")
            try irssi.waitFor("#lobby", "< irssiuser> hello from irssi")

            try weechat.say(in: "#lobby", "hello from weechat")
            try line.expectLine("MSG lobby weeuser hello from weechat", timeout: clientTimeout)
            try irssi.waitFor("#lobby", "< weeuser> hello from weechat")
            try weechat.waitFor("#lobby", "weeuser\thello from weechat")

            try line.send("hello from the line protocol")
            try irssi.waitFor("#lobby", "<@\(guest)> hello from the line protocol")
            try weechat.waitFor("#lobby", "@\(guest)\thello from the line protocol")

            // Messages in #second, where the line client is not: irssi and WeeChat both ways.
            try irssi.type("/msg #second irssi in second")
            try weechat.waitFor("#second", "@irssiuser\tirssi in second")
            try weechat.say(in: "#second", "weechat in second")
            try irssi.waitFor("#second", "< weeuser> weechat in second")

            // /me: IRC clients send CTCP ACTION, the line client sees ACTION; and back.
            try irssi.type("/me waves from irssi")
            try line.expectLine("ACTION lobby irssiuser waves from irssi", timeout: clientTimeout)
            try weechat.waitFor("#lobby", " *\tirssiuser waves from irssi")
            try weechat.say(in: "#lobby", "/me waves from weechat")
            try line.expectLine("ACTION lobby weeuser waves from weechat", timeout: clientTimeout)
            try irssi.waitFor("#lobby", " * weeuser waves from weechat")
            try line.send("/me waves from the line protocol")
            try irssi.waitFor("#lobby", " * \(guest) waves from the line protocol")
            try weechat.waitFor("#lobby", " *\t\(guest) waves from the line protocol")

            // /nick from each; every client that shares a channel shows it, in each shared channel.
            try irssi.type("/nick irssi2")
            try line.expectLine("NICK irssiuser irssi2", timeout: clientTimeout)
            for channel in ["#lobby", "#second"] {
                try irssi.waitFor(channel, "You're now known as irssi2")
                try weechat.waitFor(channel, "--\tirssiuser is now known as irssi2")
            }
            try weechat.input("irc.server.sb", "/nick wee2")
            try line.expectLine("NICK weeuser wee2", timeout: clientTimeout)
            for channel in ["#lobby", "#second"] {
                try weechat.waitFor(channel, "--\tYou are now known as wee2")
                try irssi.waitFor(channel, "weeuser is now known as wee2")
            }
            try line.send("/nick liner")
            try line.expectLine("NICK \(guest) liner")
            try irssi.waitFor("#lobby", "\(guest) is now known as liner")
            try weechat.waitFor("#lobby", "--\t\(guest) is now known as liner")
            try weechat.say(in: "#lobby", "renamed, from weechat")
            try line.expectLine("MSG lobby wee2 renamed, from weechat", timeout: clientTimeout)
            try irssi.waitFor("#lobby", "< wee2> renamed, from weechat")

            // /topic: irssi (#second's operator) sets it, WeeChat shows the change; irssi gives
            // WeeChat +o, WeeChat changes it, irssi shows the change and its topic bar shows it.
            try irssi.type("/topic #second Topic from irssi")
            try weechat.waitFor("#second", "--\tirssi2 has changed topic for #second to \"Topic from irssi\"")
            try irssi.waitFor("#second", "irssi2 changed the topic of #second to: Topic from irssi")
            try irssi.type("/window goto #second")
            try irssi.waitForTopicBar("Topic from irssi")
            try irssi.type("/op wee2")
            try weechat.waitFor("#second", "Mode #second [+o wee2] by irssi2")
            try irssi.waitFor("#second", "mode/#second [+o wee2] by irssi2")
            try weechat.say(in: "#second", "/topic Topic from WeeChat")
            try irssi.waitFor("#second", "wee2 changed the topic of #second to: Topic from WeeChat")
            try weechat.waitFor(
                "#second", "--\twee2 has changed topic for #second from \"Topic from irssi\" to \"Topic from WeeChat\"")
            try irssi.waitForTopicBar("Topic from WeeChat")

            // /part of #second both ways: WeeChat leaves, irssi shows it; WeeChat comes back (and
            // shows the topic on joining); irssi leaves, WeeChat shows it.
            try weechat.say(in: "#second", "/part bye from weechat")
            try irssi.waitFor("#second", "wee2 [~wee@", "has left #second [bye from weechat]")
            try weechat.input("irc.server.sb", "/join #second")
            try irssi.waitFor("#second", "wee2 [~wee@", "has joined #second")
            try weechat.waitFor("#second", "Topic for #second is \"Topic from WeeChat\"")
            try irssi.type("/part #second leaving second")
            try weechat.waitFor("#second", "<--\tirssi2 (~irssi@", "has left #second (leaving second)")

            // /quit with a reason: WeeChat quits, irssi shows the quit and the line client sees it
            // leave the lobby with the reason; then irssi quits.
            try weechat.say(in: "#lobby", "/quit see you all")
            try line.expectLine("PART lobby wee2 see you all", timeout: clientTimeout)
            try irssi.waitFor("#lobby", "wee2 [~wee@", "has quit [Quit: see you all]")
            #expect(weechat.waitForExit() != nil, "WeeChat did not exit after /quit")
            try irssi.type("/quit bye from irssi")
            try line.expectLine("PART lobby irssi2 bye from irssi", timeout: clientTimeout)
            #expect(irssi.waitForExit(), "irssi did not exit after /quit")
            try line.expectNothingQueued()

            // Each message was shown once, in its own channel only.
            let lobbyTexts = [
                "hello from irssi", "hello from weechat", "hello from the line protocol", "waves from irssi",
                "waves from weechat", "waves from the line protocol", "renamed, from weechat",
            ]
            let secondTexts = ["irssi in second", "weechat in second"]
            let logs = [
                ("irssi #lobby", irssi.log("#lobby"), lobbyTexts, secondTexts),
                ("irssi #second", irssi.log("#second"), secondTexts, lobbyTexts),
                ("WeeChat #lobby", weechat.log("#lobby"), lobbyTexts, secondTexts),
                ("WeeChat #second", weechat.log("#second"), secondTexts, lobbyTexts),
            ]
            for (name, log, shown, absent) in logs {
                for text in shown {
                    #expect(log.lines(with: [text]).count == 1, "\(name) did not show \"\(text)\" exactly once: \(log)")
                }
                for text in absent {
                    #expect(log.lines(with: [text]).isEmpty, "\(name) showed \"\(text)\": \(log)")
                }
            }
        }
    }
}
