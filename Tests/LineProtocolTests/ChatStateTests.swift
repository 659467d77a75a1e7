// ChatStateTests: connecting, disconnecting and the lifetime of nicks and rooms.

import Testing

import ChatCore
import LineProtocol

@Suite struct ChatStateTests {
    @Test("a new client gets a guest nick, WELCOME and its own JOIN in the lobby")
    func welcomesNewClient() {
        let chat = ChatHarness()
        let alice = chat.connect(5)
        #expect(chat.lines(alice) == ["WELCOME guest1 lobby", "JOIN lobby guest1"])
        #expect(chat.state.nick(of: alice) == "guest1")
        #expect(chat.state.room(of: alice) == "lobby")
        #expect(chat.state.counters.connections == 1)
        #expect(chat.state.roomCount == 1)
        #expect(chat.sink.malformed.isEmpty)
    }

    @Test("members of the lobby see newcomers JOIN")
    func announcesNewcomers() {
        let chat = ChatHarness()
        let first = chat.connect(3)
        chat.reset()
        let second = chat.connect(4)
        #expect(chat.lines(first) == ["JOIN lobby guest2"])
        #expect(chat.lines(second) == ["WELCOME guest2 lobby", "JOIN lobby guest2"])
    }

    @Test("guest nicks skip names that clients have taken, ignoring case")
    func guestNickSkipsTakenName() {
        let chat = ChatHarness()
        let first = chat.connect(1)
        chat.type("/nick GUEST2", from: first)
        let second = chat.connect(2)
        #expect(chat.state.nick(of: second) == "guest3")
    }

    @Test("disconnect sends PART with the reason to the remaining members only")
    func disconnectAnnouncesPart() {
        let chat = ChatHarness()
        let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
        chat.reset()
        chat.disconnect(b, reason: "idle-timeout")
        #expect(chat.lines(a) == ["PART lobby guest2 idle-timeout"])
        #expect(chat.lines(c) == ["PART lobby guest2 idle-timeout"])
        #expect(chat.lines(b).isEmpty)
        #expect(chat.state.nick(of: b) == nil)
        #expect(chat.state.room(of: b) == nil)
        #expect(chat.state.counters.connections == 2)
    }

    @Test("disconnect without a reason sends a bare PART")
    func disconnectWithoutReason() {
        let chat = ChatHarness()
        let (a, b) = (chat.connect(1), chat.connect(2))
        chat.reset()
        chat.disconnect(b)
        #expect(chat.lines(a) == ["PART lobby guest2"])
    }

    @Test("a disconnected client's nick is free again")
    func disconnectFreesNick() {
        let chat = ChatHarness()
        let (a, b) = (chat.connect(1), chat.connect(2))
        chat.type("/nick alice", from: a)
        chat.disconnect(a)
        chat.reset()
        chat.type("/nick Alice", from: b)
        #expect(chat.lines(b) == ["NICK guest2 Alice"])
    }

    @Test("the last member leaving deletes the room, and the lobby comes back on the next connect")
    func emptyRoomsAreDeleted() {
        let chat = ChatHarness()
        let a = chat.connect(1)
        chat.disconnect(a)
        #expect(chat.state.roomCount == 0)
        #expect(chat.state.counters.connections == 0)
        let b = chat.connect(1)
        #expect(chat.state.roomCount == 1)
        #expect(chat.state.room(of: b) == "lobby")
    }

    @Test("a reused client ID is a new client with a new guest nick")
    func reusedIDIsNewClient() {
        let chat = ChatHarness()
        let a = chat.connect(7)
        chat.type("/nick alice", from: a)
        chat.disconnect(a)
        let again = chat.connect(7)
        #expect(chat.state.nick(of: again) == "guest2")
    }

    @Test("disconnecting a client that is not connected does nothing")
    func disconnectUnknownClient() {
        let chat = ChatHarness()
        let a = chat.connect(1)
        chat.reset()
        chat.disconnect(ClientID(2), reason: "server-full")
        chat.disconnect(ClientID(4000))
        chat.disconnect(a)
        chat.disconnect(a)
        #expect(chat.sink.sent.isEmpty)
        #expect(chat.state.counters.connections == 0)
    }

    @Test("lines from clients that are not connected are ignored")
    func linesFromUnknownClientsAreIgnored() {
        let chat = ChatHarness()
        let a = chat.connect(1)
        chat.reset()
        chat.type("hello", from: ClientID(2))
        chat.type("hello", from: ClientID(900))
        chat.lineTooLong(from: ClientID(2), limit: 10)
        #expect(chat.sink.sent.isEmpty)
        #expect(chat.state.counters.messagesIn == 0)
        #expect(chat.state.nick(of: a) == "guest1")
    }

    @Test("the lobby name comes from the configuration")
    func configuredLobby() {
        let chat = ChatHarness(lobby: "Main")
        let a = chat.connect(1)
        #expect(chat.lines(a) == ["WELCOME guest1 Main", "JOIN Main guest1"])
    }

    @Test("the example session in docs/PROTOCOL.md plays out as documented")
    func documentedSession() {
        let chat = ChatHarness()
        let alice = chat.connect(1)
        chat.type("/nick alice", from: alice)
        let guest = chat.connect(2)
        chat.type("hi, anyone here?", from: guest)
        for line in [
            "hello guest2!", "/me waves", "/who", "//nick is how you rename yourself", "/msg guest2 psst", "/join den",
            "/rooms", "/ping 42", "/nick bad!name", "/quit see you",
        ] {
            chat.type(line, from: alice)
        }
        #expect(
            chat.lines(alice) == [
                "WELCOME guest1 lobby", "JOIN lobby guest1", "NICK guest1 alice", "JOIN lobby guest2",
                "MSG lobby guest2 hi, anyone here?", "USER alice", "USER guest2", "END who", "PART lobby alice",
                "JOIN den alice", "ROOM den 1", "ROOM lobby 1", "END rooms", "PONG 42",
                "ERR bad-name a nick must be 1-32 characters from A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -", "BYE see you",
            ])
        #expect(
            chat.lines(guest) == [
                "WELCOME guest2 lobby", "JOIN lobby guest2", "MSG lobby alice hello guest2!",
                "ACTION lobby alice waves", "MSG lobby alice /nick is how you rename yourself", "PRIV alice psst",
                "PART lobby alice",
            ])
        #expect(chat.sink.closed == [alice])
    }

    @Test("an over-long line gets ERR line-too-long naming the limit, and the client stays connected")
    func lineTooLong() {
        let chat = ChatHarness()
        let (a, b) = (chat.connect(1), chat.connect(2))
        chat.reset()
        chat.lineTooLong(from: a, limit: 4096)
        let reply = chat.lines(a)
        #expect(reply.count == 1)
        #expect(reply.first?.hasPrefix("ERR line-too-long ") == true)
        #expect(reply.first?.contains("4096") == true)
        chat.type("still here", from: a)
        #expect(chat.lines(b) == ["MSG lobby guest1 still here"])
    }
}
