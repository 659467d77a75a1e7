// ChatStateCommandTests: /nick, /join, /rooms, /who, /ping, /stats, /help, /quit and unknown commands.

import Testing

import ChatCore
import Codec
@testable import LineProtocol

extension ChatStateTests {
    @Suite struct Commands {
        static let nameRule = "must be 1-32 characters from A-Z a-z 0-9 _ -"
        static let nickRule = "must be 1-32 characters from A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -"

        @Test("/nick renames and tells the whole room, the renamer included")
        func nickRenames() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/nick alice", from: a)
            #expect(chat.lines(a) == ["NICK guest1 alice"])
            #expect(chat.lines(b) == ["NICK guest1 alice"])
            #expect(chat.state.nick(of: a) == "alice")
            chat.reset()
            chat.type("hi", from: a)
            #expect(chat.lines(b) == ["MSG lobby alice hi"])
        }

        @Test(
            "nick validation",
            arguments: [
                ("/nick", false), ("/nick ", false), ("/nick \(String(repeating: "n", count: 33))", false),
                ("/nick bad!name", false), ("/nick two words", false), ("/nick caf\u{E9}", false),
                ("/nick \(String(repeating: "n", count: 32))", true), ("/nick x", true), ("/nick A_b-9", true),
                ("/nick   padded  ", true),
            ])
        func nickValidation(_ line: String, _ accepted: Bool) {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type(line, from: a)
            if accepted {
                #expect(chat.lines(a).first?.hasPrefix("NICK guest1 ") == true)
                #expect(chat.state.nick(of: a) != "guest1")
            } else {
                #expect(chat.lines(a) == ["ERR bad-name a nick \(Self.nickRule)"])
                #expect(chat.state.nick(of: a) == "guest1")
            }
        }

        @Test("a nick held by someone else is refused, ignoring case")
        func nickTaken() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.type("/nick Alice", from: a)
            chat.reset()
            for attempt in ["/nick Alice", "/nick alice", "/nick ALICE"] {
                chat.type(attempt, from: b)
            }
            #expect(
                chat.lines(b) == [
                    "ERR nick-taken Alice is already in use", "ERR nick-taken alice is already in use",
                    "ERR nick-taken ALICE is already in use",
                ])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.state.nick(of: b) == "guest2")
        }

        @Test("a nick given up by renaming is free for others")
        func oldNickIsFreed() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.type("/nick alice", from: a)
            chat.reset()
            chat.type("/nick Guest1", from: b)
            #expect(chat.lines(b) == ["NICK guest2 Guest1"])
            #expect(chat.lines(a) == ["NICK guest2 Guest1"])
        }

        @Test("renaming to your own nick in another case is allowed and announced")
        func nickChangeCase() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.type("/nick alice", from: a)
            chat.reset()
            chat.type("/nick ALICE", from: a)
            #expect(chat.lines(a) == ["NICK alice ALICE"])
            #expect(chat.lines(b) == ["NICK alice ALICE"])
            #expect(chat.state.nick(of: a) == "ALICE")
            chat.type("/nick alice", from: b)
            #expect(chat.lines(b).last == "ERR nick-taken alice is already in use")
        }

        @Test("renaming to exactly the nick you have only confirms it to you")
        func nickUnchanged() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/nick guest1", from: a)
            #expect(chat.lines(a) == ["NICK guest1 guest1"])
            #expect(chat.lines(b).isEmpty)
        }

        @Test("/join parts the old room and joins the new one, created on demand")
        func joinMovesRooms() {
            let chat = ChatHarness()
            let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
            chat.type("/join den", from: c)
            chat.reset()
            chat.type("/join den", from: a)
            #expect(chat.lines(a) == ["PART lobby guest1", "JOIN den guest1"])
            #expect(chat.lines(b) == ["PART lobby guest1"])
            #expect(chat.lines(c) == ["JOIN den guest1"])
            #expect(chat.state.room(of: a) == "den")
            #expect(chat.state.roomCount == 2)
        }

        @Test("a room disappears when its last member leaves it")
        func joinDeletesEmptyRoom() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.type("/join attic", from: a)
            #expect(chat.state.roomCount == 1)
            chat.type("/join cellar", from: a)
            #expect(chat.state.roomCount == 1)
            chat.reset()
            chat.type("/rooms", from: a)
            #expect(chat.lines(a) == ["ROOM cellar 1", "END rooms"])
        }

        @Test("joining the room you are in, in any case, only confirms it to you")
        func joinSameRoom() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/join lobby", from: a)
            chat.type("/join LOBBY", from: a)
            #expect(chat.lines(a) == ["JOIN lobby guest1", "JOIN lobby guest1"])
            #expect(chat.lines(b).isEmpty)
        }

        @Test("room names keep the creator's spelling and match ignoring case")
        func roomNamesIgnoreCase() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.type("/join Den", from: a)
            chat.type("/join dEN", from: b)
            #expect(chat.state.room(of: b) == "Den")
            #expect(chat.state.roomCount == 1)
        }

        @Test(
            "room name validation",
            arguments: ["/join", "/join  ", "/join #x", "/join a b", "/join \(String(repeating: "r", count: 33))"])
        func joinValidation(_ line: String) {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type(line, from: a)
            #expect(chat.lines(a) == ["ERR bad-name a room name \(Self.nameRule)"])
            #expect(chat.state.room(of: a) == "lobby")
        }

        @Test("/rooms lists every room with its member count, ordered by name ignoring case")
        func listsRooms() {
            let chat = ChatHarness()
            let clients = chat.connectQuietly(Array(1...6))
            chat.type("/join zoo", from: clients[0])
            chat.type("/join Bar", from: clients[1])
            chat.type("/join bar", from: clients[2])
            chat.type("/join alpha", from: clients[3])
            chat.reset()
            chat.type("/rooms", from: clients[5])
            #expect(
                chat.lines(clients[5]) == ["ROOM alpha 1", "ROOM Bar 2", "ROOM lobby 2", "ROOM zoo 1", "END rooms"])
        }

        @Test("/who lists the members of your room only, ordered by nick ignoring case")
        func listsMembers() {
            let chat = ChatHarness()
            let clients = chat.connectQuietly(Array(1...4))
            chat.type("/nick zed", from: clients[0])
            chat.type("/nick Amy", from: clients[1])
            chat.type("/nick bob", from: clients[2])
            chat.type("/join elsewhere", from: clients[3])
            chat.reset()
            chat.type("/who", from: clients[2])
            #expect(chat.lines(clients[2]) == ["USER Amy", "USER bob", "USER zed", "END who"])
        }

        @Test(
            "/ping answers PONG with the rest of the line",
            arguments: [
                ("/ping", "PONG"), ("/ping 42", "PONG 42"), ("/ping a b  c", "PONG a b  c"), ("/PING x", "PONG x"),
            ])
        func ping(_ line: String, _ reply: String) {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type(line, from: a)
            #expect(chat.lines(a) == [reply])
        }

        @Test("/stats reports the counters and the uptime from the clock")
        func stats() {
            let chat = ChatHarness()
            let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
            chat.type("/join den", from: c)
            chat.type("one", from: a)
            chat.type("/me two", from: b)
            chat.type("/msg guest3 three", from: a)
            chat.state.counters.bytesIn += 1234
            chat.state.counters.bytesOut += 5678
            chat.state.counters.slowConsumerDrops += 2
            chat.state.counters.slowConsumerSoftLimitDrops += 1
            chat.state.counters.slowConsumerHardLimitDrops += 1
            chat.clock.advance(seconds: 75)
            chat.clock.milliseconds += 999
            chat.reset()
            chat.type("/stats", from: a)
            #expect(
                chat.lines(a) == [
                    "STAT connections 3", "STAT rooms 2", "STAT messages_in 3", "STAT deliveries_out 3",
                    "STAT bytes_in 1234", "STAT bytes_out 5678", "STAT slow_consumer_drops 2",
                    "STAT uptime_seconds 75", "STAT slow_consumer_drops_soft_limit 1",
                    "STAT slow_consumer_drops_hard_limit 1", "STAT output_queued_bytes 0",
                    "STAT output_queued_peak_bytes 0", "STAT output_budget_pauses 0",
                    "STAT output_budget_paused_connections 0", "STAT output_budget_paused_ms 0",
                    "STAT loop_iteration_max_us 0", "STAT loop_iteration_max_on_cpu_us 0", "END stats",
                ])
        }

        @Test("/stats lets the glue fill in its figures just before reporting them")
        func statsRefresh() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            var refreshes = 0
            chat.state.refreshCounters = { counters in
                refreshes += 1
                counters.outputQueuedBytes = 100 * refreshes
                counters.outputBudgetPauses = refreshes
            }
            chat.reset()
            #expect(refreshes == 0, "refreshed before anyone asked")
            chat.type("/stats", from: a)
            chat.type("/stats", from: a)
            let lines = chat.lines(a)
            #expect(refreshes == 2)
            #expect(lines.filter { $0.hasPrefix("STAT output_queued_bytes ") } == [
                "STAT output_queued_bytes 100", "STAT output_queued_bytes 200",
            ])
            #expect(lines.filter { $0.hasPrefix("STAT output_budget_pauses ") } == [
                "STAT output_budget_pauses 1", "STAT output_budget_pauses 2",
            ])
            #expect(chat.state.counters.outputBudgetPauses == 2)
        }

        @Test("/help lists INFO lines naming every command, then END help")
        func help() throws {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type("/help", from: a)
            let lines = chat.lines(a)
            #expect(lines.last == "END help")
            #expect(lines.dropLast().allSatisfy { $0.hasPrefix("INFO ") })
            for word in CommandWord.table {
                #expect(lines.contains { $0.hasPrefix("INFO /\(word.rawValue) ") }, "/\(word.rawValue) is documented")
            }
        }

        @Test("/quit answers BYE with the reason, closes, and the PART carries the reason")
        func quitWithReason() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/quit gone fishing", from: a)
            #expect(chat.lines(a) == ["BYE gone fishing"])
            #expect(chat.sink.closed == [a])
            #expect(chat.lines(b).isEmpty)
            chat.type("too late", from: a)
            #expect(chat.lines(b).isEmpty)
            chat.disconnect(a, reason: "closed")
            #expect(chat.lines(b) == ["PART lobby guest1 gone fishing"])
            #expect(chat.state.counters.connections == 1)
        }

        @Test("/quit without a reason answers a bare BYE, and the PART says quit")
        func quitWithoutReason() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/quit", from: a)
            #expect(chat.lines(a) == ["BYE"])
            #expect(chat.sink.closed == [a])
            chat.disconnect(a, reason: "closed")
            #expect(chat.lines(b) == ["PART lobby guest1 quit"])
        }

        @Test(
            "unknown commands get ERR unknown-command naming the word",
            arguments: [
                ("/dance now", "ERR unknown-command /dance is not a command; try /help"),
                ("/", "ERR unknown-command / is not a command; try /help"),
                ("/nickbob", "ERR unknown-command /nickbob is not a command; try /help"),
            ])
        func unknownCommand(_ line: String, _ reply: String) {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type(line, from: a)
            #expect(chat.lines(a) == [reply])
            #expect(chat.lines(b).isEmpty)
        }

        @Test("an unknown command's echo is cut short")
        func unknownCommandEchoIsShort() throws {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type("/" + String(repeating: "z", count: 3000), from: a)
            let reply = try #require(chat.lines(a).first)
            #expect(reply.hasPrefix("ERR unknown-command /zzz"))
            #expect(reply.utf8.count < 100)
        }

        @Test("command words match in any case")
        func commandWordsIgnoreCase() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.type("/NICK bob", from: a)
            chat.type("/JoIn den", from: a)
            #expect(chat.state.nick(of: a) == "bob")
            #expect(chat.state.room(of: a) == "den")
        }
    }
}
