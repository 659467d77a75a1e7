// MembershipTests: a client in several rooms at once: presence per room, messages per room, the
// current room, moving with leavingOthers, and rooms that vanish when empty.

import Testing

@testable import ChatCore

@Suite struct MembershipTests {
    @Test("a client joins several rooms and is in each, in the order joined")
    func joinsSeveralRooms() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.join(a, "den")
        chat.join(a, "attic")
        #expect(chat.state.rooms(of: a) == ["lobby", "den", "attic"])
        #expect(chat.state.room(of: a) == "lobby")
        #expect(chat.state.roomCount == 3)
        #expect(
            chat.received(a) == [
                "welcome alice in lobby", "joined lobby alice", "joined den alice", "joined attic alice",
            ])
    }

    @Test("a join goes to that room's members, the joiner included, and to nobody else")
    func joinedGoesToThatRoom() {
        let chat = Chat()
        let (a, b, c, d) = (
            chat.admitted(1, "alice"), chat.admitted(2, "bob"), chat.admitted(3, "carol"), chat.admitted(4, "dave")
        )
        chat.join(a, "den")
        chat.join(b, "den")
        chat.reset()
        chat.join(c, "den")
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "joined den carol", audience: .room(Name("den")!, except: nil), encoding: 0,
                    recipients: [a, b, c], excluded: nil, isPresence: true)
            ])
        #expect(chat.received(d).isEmpty)
    }

    @Test("a part goes to that room's members, the leaver included, with its reason")
    func partedGoesToThatRoom() {
        let chat = Chat()
        let (a, b, c) = (chat.admitted(1, "alice"), chat.admitted(2, "bob"), chat.admitted(3, "carol"))
        chat.join(a, "den")
        chat.join(b, "den")
        chat.reset()
        chat.part(b, "den", reason: "later")
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "parted den bob (later)", audience: .room(Name("den")!, except: nil), encoding: 0,
                    recipients: [a, b], excluded: nil, isPresence: true)
            ])
        #expect(chat.received(c).isEmpty)
        #expect(chat.state.rooms(of: b) == ["lobby"])
    }

    @Test("a part with no reason carries an empty one")
    func partWithoutReason() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.reset()
        chat.part(a, "lobby")
        #expect(chat.log == ["1: parted lobby alice"])
        #expect(chat.state.rooms(of: a).isEmpty)
    }

    @Test("a message to a named room reaches only that room's members, never the sender")
    func messageToNamedRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        let c = chat.admitted(3, "carol", joiningLobby: false)
        let d = chat.admitted(4, "dave")
        for client in [a, b, c] { chat.join(client, "den") }
        chat.reset()
        chat.send("hi den", to: .room("DEN"), from: a)
        #expect(chat.log == ["2: message den alice: hi den", "3: message den alice: hi den"])
        #expect(chat.received(d).isEmpty)
        #expect(chat.state.counters.messagesIn == 1)
        #expect(chat.state.counters.deliveriesOut == 2)
    }

    @Test("actions and notices go to the room like messages")
    func actionsAndNotices() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.reset()
        chat.send("waves", from: a, kind: .action)
        chat.send("psst", to: .room("lobby"), from: a, kind: .notice)
        #expect(chat.received(b) == ["action lobby alice: waves", "notice lobby alice: psst"])
        #expect(chat.received(a).isEmpty)
    }

    @Test("a message to a room the sender is not in gets notInRoom, spelled as sent")
    func messageToRoomNotJoined() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.reset()
        chat.send("hi", to: .room("Den"), from: b)
        chat.send("hi", to: .room("nowhere"), from: b)
        chat.send("hi", to: .room("no where"), from: b)
        #expect(chat.log == ["2: error notInRoom(Den)", "2: error notInRoom(nowhere)", "2: error badName(room)"])
        #expect(chat.state.counters.messagesIn == 0)
    }

    @Test("an empty message gets missingText and reaches nobody")
    func emptyMessage() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.send("", from: a)
        chat.send("", to: .room("lobby"), from: a, kind: .action)
        #expect(
            chat.log == [
                "1: error missingText(message, private: false)", "1: error missingText(action, private: false)",
            ])
    }

    @Test("the current room is the earliest-joined room the client still holds")
    func currentRoomIsFirstHeld() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        for room in ["den", "attic"] {
            chat.join(a, room)
            chat.join(b, room)
        }
        chat.reset()
        chat.send("one", from: a)
        chat.part(a, "lobby")
        chat.send("two", from: a)
        chat.join(a, "lobby")
        chat.send("three", from: a)
        #expect(chat.state.room(of: a) == "den")
        #expect(
            chat.received(b) == [
                "message lobby alice: one", "parted lobby alice", "message den alice: two", "joined lobby alice",
                "message den alice: three",
            ])
    }

    @Test("parting a room one is not in gets notInRoom, and a bad name gets badName(room)")
    func partRoomNotJoined() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(b, "den")
        chat.reset()
        chat.part(a, "Den")
        chat.part(a, "nowhere")
        chat.part(a, "no where")
        #expect(chat.log == ["1: error notInRoom(Den)", "1: error notInRoom(nowhere)", "1: error badName(room)"])
        #expect(chat.state.rooms(of: b) == ["lobby", "den"])
    }

    @Test("joining a bad room name gets badName(room) and leaves nothing")
    func joinBadName() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.reset()
        chat.join(a, "bad room", leavingOthers: true)
        #expect(chat.log == ["1: error badName(room)"])
        #expect(chat.state.rooms(of: a) == ["lobby"])
    }

    @Test("rooms(of:) keeps join order across parts and rejoins")
    func roomsOrder() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.join(a, "den")
        chat.join(a, "attic")
        chat.part(a, "den")
        #expect(chat.state.rooms(of: a) == ["lobby", "attic"])
        chat.join(a, "den")
        #expect(chat.state.rooms(of: a) == ["lobby", "attic", "den"])
        chat.part(a, "lobby")
        #expect(chat.state.rooms(of: a) == ["attic", "den"])
        #expect(chat.state.rooms(of: ClientID(9)).isEmpty)
    }

    @Test("joining with leavingOthers leaves every other room first; the leaver hears each part")
    func joinLeavingOthers() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        for room in ["den", "attic"] {
            chat.join(a, room)
            chat.join(b, room)
        }
        chat.reset()
        chat.join(a, "cellar", leavingOthers: true)
        #expect(
            chat.received(a) == [
                "parted lobby alice", "parted den alice", "parted attic alice", "joined cellar alice",
            ])
        #expect(chat.received(b) == ["parted lobby alice", "parted den alice", "parted attic alice"])
        #expect(chat.state.rooms(of: a) == ["cellar"])
    }

    @Test("joining with leavingOthers a room one is in leaves the others and confirms to the joiner alone")
    func joinLeavingOthersIntoHeldRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.join(b, "den")
        chat.reset()
        chat.join(a, "DEN", leavingOthers: true)
        #expect(chat.log == ["1: parted lobby alice", "2: parted lobby alice", "1: joined den alice"])
        #expect(chat.deliveries.last?.audience == .client(a))
        #expect(chat.state.rooms(of: a) == ["den"])
    }

    @Test("joining a room one is in changes nothing and confirms to the joiner alone")
    func joinHeldRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.reset()
        chat.join(a, "Lobby")
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "joined lobby alice", audience: .client(a), encoding: 0, recipients: [a], excluded: nil,
                    isPresence: true)
            ])
        #expect(chat.state.rooms(of: a) == ["lobby", "den"])
    }

    @Test("a room keeps the spelling of the client that created it")
    func roomKeepsCreatorsSpelling() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "Den")
        chat.reset()
        chat.join(b, "dEN")
        #expect(chat.log == ["1: joined Den bob", "2: joined Den bob"])
        #expect(chat.state.rooms(of: b) == ["lobby", "Den"])
    }

    @Test("a room is deleted when its last member parts, and listings forget it")
    func emptyRoomDeletedOnPart() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.join(b, "den")
        #expect(chat.state.roomCount == 2)
        chat.part(a, "den")
        #expect(chat.state.roomCount == 2)
        chat.part(b, "den")
        #expect(chat.state.roomCount == 1)
        #expect(chat.state.partitions(of: "den") == nil)
        chat.reset()
        chat.perform(.listRooms, from: a)
        #expect(chat.received(a) == ["rooms lobby:2"])
    }

    @Test("a room is deleted when its last member disconnects or moves away")
    func emptyRoomDeletedOnDisconnectAndMove() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.join(b, "attic")
        chat.join(b, "cellar", leavingOthers: true)
        #expect(chat.state.partitions(of: "attic") == nil)
        chat.disconnect(a)
        #expect(chat.state.partitions(of: "den") == nil)
        #expect(chat.state.roomCount == 1)
        chat.reset()
        chat.perform(.listRooms, from: b)
        #expect(chat.received(b) == ["rooms cellar:1"])
    }

    @Test("listRooms is ordered by name ignoring case, with member counts")
    func listRoomsOrder() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "Zoo")
        chat.join(a, "attic")
        chat.join(b, "Attic")
        chat.join(b, "bar")
        chat.reset()
        chat.perform(.listRooms, from: a)
        #expect(chat.received(a) == ["rooms attic:2, bar:1, lobby:2, Zoo:1"])
    }

    @Test("listMembers lists the current room, or a named one, ordered by nick ignoring case")
    func listMembers() {
        let chat = Chat()
        let a = chat.admitted(1, "zed")
        let b = chat.admitted(2, "Bob")
        chat.admitted(3, "alice")
        chat.join(b, "den")
        chat.join(a, "den")
        chat.reset()
        chat.listMembers(a)
        chat.listMembers(a, room: "DEN")
        chat.listMembers(a, room: "Nowhere")
        chat.listMembers(a, room: "no where")
        #expect(
            chat.received(a) == [
                "members lobby: alice, Bob, zed", "members den: Bob, zed", "members Nowhere: ", "error badName(room)",
            ])
    }

    @Test("listMembers of the current room with no room gets notInRoom")
    func listMembersWithoutRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        chat.reset()
        chat.listMembers(a)
        #expect(chat.log == ["1: error notInRoom()"])
    }
}
