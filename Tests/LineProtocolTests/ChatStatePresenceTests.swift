// ChatStatePresenceTests: presence lines above the limit, re-entrant transports, and a connection storm.

import Testing

import ChatCore
import LineProtocol

extension ChatStateTests {
    @Suite struct Presence {
        @Test("above the presence limit only the newcomer hears its JOIN")
        func joinSuppressedAboveLimit() {
            let chat = ChatHarness(presenceLimit: 3)
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            let c = chat.connect(3)
            #expect(chat.lines(a) == ["JOIN lobby guest3"])
            #expect(chat.lines(b) == ["JOIN lobby guest3"])
            chat.reset()
            let d = chat.connect(4)
            #expect(chat.lines(d) == ["WELCOME guest4 lobby", "JOIN lobby guest4"])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.lines(c).isEmpty)
            #expect(chat.sink.sent.count == 2)
        }

        @Test("above the presence limit NICK goes to the renamer only")
        func nickSuppressedAboveLimit() {
            let chat = ChatHarness(presenceLimit: 3)
            let clients = chat.connectQuietly(Array(1...4))
            chat.type("/nick big", from: clients[0])
            #expect(chat.log == ["1: NICK guest1 big"])
        }

        @Test("above the presence limit a disconnect sends no PART, and below it PART comes back")
        func partSuppressedAboveLimit() {
            let chat = ChatHarness(presenceLimit: 3)
            let clients = chat.connectQuietly(Array(1...4))
            chat.disconnect(clients[3], reason: "closed")
            #expect(chat.sink.sent.isEmpty)
            chat.disconnect(clients[2], reason: "closed")
            #expect(chat.log == ["1: PART lobby guest3 closed", "2: PART lobby guest3 closed"])
        }

        @Test("leaving a big room with /join still confirms the PART to the leaver")
        func partToLeaverAboveLimit() {
            let chat = ChatHarness(presenceLimit: 3)
            let clients = chat.connectQuietly(Array(1...4))
            chat.type("/join quiet", from: clients[0])
            #expect(chat.log == ["1: PART lobby guest1", "1: JOIN quiet guest1"])
        }

        @Test("messages are delivered in big rooms regardless of the presence limit")
        func messagesIgnoreLimit() {
            let chat = ChatHarness(presenceLimit: 3)
            let clients = chat.connectQuietly(Array(1...6))
            chat.type("hi all", from: clients[0])
            #expect(chat.sink.sent.count == 5)
            #expect(chat.state.counters.deliveriesOut == 5)
        }

        @Test("a slow consumer dropped from inside send leaves after the delivery in progress")
        func reentrantDisconnectFromSend() {
            let chat = ChatHarness()
            let clients = chat.connectQuietly(Array(1...4))
            let slow = clients[1]
            var dropped = false
            chat.sink.afterSend = { [unowned chat] client in
                if client == slow && !dropped {
                    dropped = true
                    chat.state.counters.slowConsumerDrops += 1
                    chat.disconnect(slow, reason: "slow-consumer")
                }
            }
            chat.type("burst", from: clients[0])
            #expect(chat.lines(clients[2]) == ["MSG lobby guest1 burst", "PART lobby guest2 slow-consumer"])
            #expect(chat.lines(clients[3]) == ["MSG lobby guest1 burst", "PART lobby guest2 slow-consumer"])
            #expect(chat.lines(clients[0]) == ["PART lobby guest2 slow-consumer"])
            #expect(chat.state.nick(of: slow) == nil)
            #expect(chat.state.counters.connections == 3)
            #expect(chat.state.counters.deliveriesOut == 3)
        }

        @Test("a glue that disconnects from inside close after /quit is handled")
        func reentrantDisconnectFromClose() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.connect(2)
            chat.reset()
            chat.sink.afterClose = { [unowned chat] client in chat.disconnect(client, reason: "closed") }
            chat.type("/quit bye now", from: a)
            #expect(chat.log == ["1: BYE bye now", "2: PART lobby guest1 bye now"])
            #expect(chat.state.nick(of: a) == nil)
        }

        @Test("10,000 clients connecting into one room all end up in it")
        func connectionStorm() {
            let counter = CountingSink()
            let state = ChatState(clock: { 0 }, sink: counter)
            for raw in Int32(0)..<10_000 {
                state.connect(ClientID(raw), encoding: Encoding(0))
                state.admit(ClientID(raw))
            }
            #expect(state.counters.connections == 10_000)
            #expect(state.nick(of: ClientID(9_999)) == "guest10000")
            // Above the default limit of 1000 each newcomer only hears WELCOME and its own JOIN.
            #expect(counter.perClient[9_999] == 2)
            #expect(counter.perClient[0] == 1 + 1000)

            counter.watched = ClientID(42)
            Array("/rooms".utf8).withUnsafeBytes { handleLine($0, from: ClientID(42), state: state, sink: nil) }
            #expect(counter.watchedLines == ["ROOM lobby 10000", "END rooms"])

            for raw in Int32(0)..<10_000 {
                state.disconnect(ClientID(raw), reason: nil)
            }
            #expect(state.roomCount == 0)
            #expect(state.counters.connections == 0)
        }
    }
}
