// PartitionTests: rooms keep members apart by encoding, so the sink gets one call per encoding
// present, each listing exactly that encoding's members.

import Testing

@testable import ChatCore

@Suite struct PartitionTests {
    /// Seven clients in the lobby with encodings 0, 1, 2, 0, 1, 2, 0 in join order (raw IDs 1...7).
    static func mixedLobby() -> (Chat, [ClientID]) {
        let chat = Chat()
        let clients = (1...7).map { chat.admitted(Int32($0), "c\($0)", encoding: UInt8(($0 - 1) % 3)) }
        chat.reset()
        return (chat, clients)
    }

    @Test("a room message is delivered once per encoding present, each call listing exactly that encoding's members")
    func onePerEncoding() {
        let (chat, c) = Self.mixedLobby()
        chat.send("hi", from: c[0])
        #expect(chat.deliveries.map(\.encoding) == [0, 1, 2])
        #expect(chat.deliveries.map(\.recipients) == [[c[3], c[6]], [c[1], c[4]], [c[2], c[5]]])
        #expect(chat.deliveries.allSatisfy { $0.excluded == c[0] && $0.event == "message lobby c1: hi" })
        #expect(chat.state.partitions(of: "lobby") == [[1, 4, 7], [2, 5], [3, 6]])
    }

    @Test("deliveriesOut counts recipients across partitions")
    func deliveriesOutAcrossPartitions() {
        let (chat, c) = Self.mixedLobby()
        chat.send("hi", from: c[1])
        chat.send("again", from: c[2])
        #expect(chat.state.counters.messagesIn == 2)
        #expect(chat.state.counters.deliveriesOut == 12)
    }

    @Test("an encoding with no members in the room gets no call")
    func emptyPartitionSkipped() {
        let chat = Chat()
        let a = chat.admitted(1, "a", encoding: 0)
        let b = chat.admitted(2, "b", encoding: 1)
        let c = chat.admitted(3, "c", encoding: 2)
        let d = chat.admitted(4, "d", encoding: 0)
        chat.part(b, "lobby")
        chat.reset()
        chat.send("hi", from: a)
        #expect(chat.deliveries.map(\.encoding) == [0, 2])
        #expect(chat.deliveries.map(\.recipients) == [[d], [c]])
        #expect(chat.state.partitions(of: "lobby") == [[1, 4], [], [3]])
    }

    @Test("a partition holding only the sender gets no call: nothing is rendered for nobody")
    func senderAloneInPartition() {
        let chat = Chat()
        let a = chat.admitted(1, "a", encoding: 0)
        let b = chat.admitted(2, "b", encoding: 1)
        chat.reset()
        chat.send("hi", from: a)
        #expect(chat.deliveries.map(\.encoding) == [1])
        #expect(chat.deliveries.map(\.recipients) == [[b]])
        #expect(chat.deliveries.map(\.excluded) == [a])
        #expect(chat.state.counters.deliveriesOut == 1)
        #expect(chat.received(a).isEmpty)
    }

    @Test("presence to a room is delivered once per encoding present")
    func presencePerEncoding() {
        let (chat, c) = Self.mixedLobby()
        chat.part(c[6], "lobby")
        #expect(chat.deliveries.map(\.encoding) == [0, 1, 2])
        #expect(chat.deliveries.map(\.recipients) == [[c[0], c[3], c[6]], [c[1], c[4]], [c[2], c[5]]])
    }

    @Test("a rename to peers in several rooms is delivered once per encoding, each peer once")
    func renamePerEncoding() {
        let (chat, c) = Self.mixedLobby()
        for client in [c[0], c[1], c[2]] { chat.join(client, "den") }
        chat.reset()
        chat.rename(c[0], to: "one")
        #expect(chat.deliveries.map(\.encoding) == [0, 1, 2])
        #expect(chat.deliveries.map { Set($0.recipients) } == [[c[0], c[3], c[6]], [c[1], c[4]], [c[2], c[5]]])
    }

    @Test("a quit to peers in several rooms is delivered once per room and encoding, each peer once")
    func quitPerRoomAndEncoding() {
        let chat = Chat()
        let q = chat.admitted(1, "q", encoding: 0)
        let a = chat.admitted(2, "a", encoding: 1)
        let b = chat.admitted(3, "b", encoding: 0, joiningLobby: false)
        let c = chat.admitted(4, "c", encoding: 1, joiningLobby: false)
        chat.join(q, "den")
        for client in [a, b, c] { chat.join(client, "den") }
        chat.reset()
        chat.disconnect(q, reason: "gone")
        #expect(
            chat.deliveries.map(\.event) == [
                "quit q (gone) via lobby", "quit q (gone) via den", "quit q (gone) via den",
            ])
        #expect(chat.deliveries.map(\.encoding) == [1, 0, 1])
        #expect(chat.deliveries.map(\.recipients) == [[a], [b], [c]])
    }

    @Test("after setEncoding a client sits in its new partition in every room it is in")
    func setEncodingMovesEveryMembership() {
        let (chat, c) = Self.mixedLobby()
        for client in [c[0], c[1], c[3]] { chat.join(client, "den") }
        chat.join(c[1], "attic")
        chat.reset()
        chat.state.setEncoding(c[3], Encoding(2))
        chat.state.setEncoding(c[1], Encoding(5))
        #expect(chat.deliveries.isEmpty)
        #expect(chat.state.partitions(of: "lobby") == [[1, 7], [5], [3, 4, 6], [], [], [2]])
        #expect(chat.state.partitions(of: "den") == [[1], [], [4], [], [], [2]])
        #expect(chat.state.partitions(of: "attic") == [[], [], [], [], [], [2]])
        #expect(chat.state.rooms(of: c[1]) == ["lobby", "den", "attic"])
    }

    @Test("after setEncoding messages still reach the moved client exactly once, in its new encoding")
    func setEncodingThenMessages() {
        let (chat, c) = Self.mixedLobby()
        chat.join(c[0], "den")
        chat.join(c[3], "den")
        chat.state.setEncoding(c[3], Encoding(1))
        chat.reset()
        chat.send("lobby line", from: c[0])
        chat.send("den line", to: .room("den"), from: c[0])
        #expect(chat.received(c[3]) == ["message lobby c1: lobby line", "message den c1: den line"])
        #expect(chat.deliveries.filter { $0.recipients.contains(c[3]) }.map(\.encoding) == [1, 1])
        #expect(chat.state.counters.deliveriesOut == 7)
    }

    @Test("setEncoding to the same encoding, or for an unknown client, changes nothing")
    func setEncodingNoop() {
        let (chat, c) = Self.mixedLobby()
        chat.state.setEncoding(c[0], Encoding(0))
        chat.state.setEncoding(ClientID(99), Encoding(1))
        #expect(chat.state.partitions(of: "lobby") == [[1, 4, 7], [2, 5], [3, 6]])
    }

    @Test("a pending client's encoding applies once it is admitted")
    func setEncodingWhilePending() {
        let chat = Chat()
        let a = chat.admitted(1, "a", encoding: 0)
        let b = chat.connect(2, encoding: 0)
        chat.state.setEncoding(b, Encoding(3))
        chat.state.admit(b)
        chat.reset()
        chat.send("hi", from: a)
        #expect(chat.deliveries.filter { !$0.recipients.isEmpty }.map(\.encoding) == [3])
        #expect(chat.received(b) == ["message lobby a: hi"])
        #expect(chat.state.partitions(of: "lobby") == [[1], [], [], [2]])
    }

    @Test("a member that leaves is swapped out and the others keep receiving")
    func swapRemoveKeepsMembers() {
        let chat = Chat()
        let clients = (1...5).map { chat.admitted(Int32($0), "c\($0)") }
        chat.part(clients[1], "lobby")
        chat.disconnect(clients[0])
        chat.part(clients[4], "lobby")
        chat.reset()
        chat.send("hi", from: clients[2])
        #expect(chat.log == ["4: message lobby c3: hi"])
        #expect(chat.state.partitions(of: "lobby") == [[3, 4]])
    }
}
