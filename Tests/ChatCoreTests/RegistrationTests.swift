// RegistrationTests: what a client may do between connect and admit, and what admission gives it.

import Testing

@testable import ChatCore

@Suite struct RegistrationTests {
    @Test("a client that connects is sent nothing and is not admitted")
    func connectIsSilent() {
        let chat = Chat()
        let a = chat.connect(1)
        #expect(chat.deliveries.isEmpty)
        #expect(!chat.state.isAdmitted(a))
        #expect(chat.state.nick(of: a) == nil)
        #expect(chat.state.rooms(of: a).isEmpty)
    }

    @Test("a pending client takes a nick silently, and the welcome carries it")
    func pendingRenameIsSilent() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.rename(a, to: "alice")
        #expect(chat.deliveries.isEmpty)
        #expect(chat.state.nick(of: a) == "alice")
        chat.state.admit(a)
        #expect(chat.received(a) == ["welcome alice in lobby", "joined lobby alice"])
    }

    @Test("a pending client that renames twice keeps the last nick and frees the first")
    func pendingRenameTwiceFreesFirst() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.rename(a, to: "alice")
        chat.rename(a, to: "ally")
        let b = chat.admitted(2, "alice")
        #expect(chat.state.nick(of: a) == "ally")
        #expect(chat.state.nick(of: b) == "alice")
        #expect(chat.received(a).isEmpty)
    }

    @Test("a pending client asking for a nick held by an admitted client gets nickTaken, ignoring case")
    func pendingRenameTakenByAdmitted() {
        let chat = Chat()
        chat.admitted(1, "bob")
        let b = chat.connect(2)
        chat.reset()
        chat.rename(b, to: "BOB")
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "error nickTaken(BOB)", audience: .client(b), encoding: 0, recipients: [b], excluded: nil,
                    isPresence: false)
            ])
        #expect(chat.state.nick(of: b) == nil)
    }

    @Test("a nick reserved by a pending client is taken for everyone else")
    func pendingNickIsReserved() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.rename(a, to: "bob")
        let b = chat.connect(2)
        chat.rename(b, to: "Bob")
        #expect(chat.received(b) == ["error nickTaken(Bob)"])
        let c = chat.admitted(3)
        chat.reset()
        chat.rename(c, to: "bob")
        #expect(chat.received(c) == ["error nickTaken(bob)"])
    }

    @Test(
        "a pending client asking for a bad nick gets badName(nick)",
        arguments: ["", "a b", "bob!", String(repeating: "x", count: 33)])
    func pendingRenameBadName(_ nick: String) {
        let chat = Chat()
        let a = chat.connect(1)
        chat.rename(a, to: nick)
        #expect(chat.received(a) == ["error badName(nick)"])
        #expect(chat.state.nick(of: a) == nil)
    }

    @Test(
        "a pending client gets notRegistered for anything but rename and quit",
        arguments: ["message", "private", "join", "part", "listRooms", "listMembers", "stats"])
    func pendingCommandsRefused(_ command: String) {
        let chat = Chat()
        chat.admitted(1, "alice")
        let a = chat.connect(2)
        chat.reset()
        switch command {
        case "message": chat.send("hi", to: .room("lobby"), from: a)
        case "private": chat.send("hi", to: .nick("alice"), from: a)
        case "join": chat.join(a, "den")
        case "part": chat.part(a, "lobby")
        case "listRooms": chat.perform(.listRooms, from: a)
        case "listMembers": chat.listMembers(a, room: "lobby")
        default: chat.perform(.stats, from: a)
        }
        #expect(chat.log == ["2: error notRegistered"])
        #expect(chat.state.roomCount == 1)
        #expect(chat.state.counters.messagesIn == 0)
    }

    @Test("admitting a client without a nick gives it a guest nick and puts it in the lobby")
    func admitGivesGuestNick() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.state.admit(a)
        #expect(chat.received(a) == ["welcome guest1 in lobby", "joined lobby guest1"])
        #expect(chat.state.nick(of: a) == "guest1")
        #expect(chat.state.rooms(of: a) == ["lobby"])
        #expect(chat.state.isAdmitted(a))
    }

    @Test("guest nicks skip nicks pending clients have reserved")
    func guestNickSkipsReserved() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.rename(a, to: "Guest1")
        let b = chat.admitted(2)
        #expect(chat.state.nick(of: b) == "guest2")
    }

    @Test("admitting a client with a nick keeps it")
    func admitKeepsNick() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        #expect(chat.received(a) == ["welcome alice in lobby", "joined lobby alice"])
    }

    @Test("the welcome names the configured lobby")
    func welcomeNamesConfiguredLobby() {
        let chat = Chat(lobby: "hall")
        let a = chat.admitted(1, "alice")
        #expect(chat.received(a) == ["welcome alice in hall", "joined hall alice"])
        #expect(chat.state.rooms(of: a) == ["hall"])
    }

    @Test(
        "the welcome spells the lobby as the room the newcomer is put in, even when it was recreated")
    func welcomeSpellsLobbyAsJoined() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        chat.join(a, "LOBBY")
        chat.reset()
        let b = chat.admitted(2, "bob")
        #expect(chat.received(b) == ["welcome bob in LOBBY", "joined LOBBY bob"])
        #expect(chat.state.rooms(of: b) == ["LOBBY"])
    }

    @Test("admitting without the lobby welcomes with no room and leaves the client in none")
    func admitWithoutLobby() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        #expect(chat.received(a) == ["welcome alice in no room"])
        #expect(chat.state.rooms(of: a).isEmpty)
        #expect(chat.state.room(of: a) == nil)
        #expect(chat.state.roomCount == 0)
        chat.reset()
        chat.send("hi", from: a)
        #expect(chat.received(a) == ["error notInRoom()"])
    }

    @Test("the lobby's members hear a newcomer join")
    func lobbyHearsNewcomer() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.reset()
        let b = chat.admitted(2, "bob")
        #expect(chat.received(a) == ["joined lobby bob"])
        #expect(chat.received(b) == ["welcome bob in lobby", "joined lobby bob"])
    }

    @Test("a pending client cannot be sent a private message: noSuchNick")
    func pendingClientUnreachable() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.connect(2)
        chat.rename(b, to: "bob")
        chat.reset()
        chat.send("psst", to: .nick("Bob"), from: a)
        #expect(chat.log == ["1: error noSuchNick(Bob)"])
        #expect(chat.state.counters.messagesIn == 0)
        #expect(chat.state.counters.deliveriesOut == 0)
    }

    @Test("a pending client is not listed as a room member")
    func pendingClientNotListed() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.connect(2)
        chat.rename(b, to: "bob")
        chat.reset()
        chat.listMembers(a)
        #expect(chat.received(a) == ["members lobby: alice"])
    }

    @Test("disconnecting a pending client frees its nick and tells nobody")
    func pendingDisconnectFreesNick() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.connect(2)
        chat.rename(b, to: "bob")
        chat.reset()
        chat.disconnect(b, reason: "closed")
        #expect(chat.deliveries.isEmpty)
        #expect(chat.state.counters.connections == 1)
        chat.rename(a, to: "bob")
        #expect(chat.received(a) == ["renamed alice -> bob"])
    }

    @Test("a pending client may quit: bye, then the sink closes it; the disconnect tells nobody")
    func pendingQuit() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.connect(2)
        chat.reset()
        chat.quit(b, reason: "later")
        #expect(chat.log == ["2: bye (later)"])
        #expect(chat.recorder.closes == [b])
        #expect(chat.state.hasQuit(b))
        chat.reset()
        chat.state.admit(b)
        chat.rename(b, to: "bob")
        #expect(chat.deliveries.isEmpty)
        #expect(!chat.state.isAdmitted(b))
        chat.disconnect(b, reason: "closed")
        #expect(chat.deliveries.isEmpty)
        #expect(chat.received(a).isEmpty)
        #expect(chat.state.counters.connections == 1)
    }

    @Test("admitting twice does nothing")
    func admitTwice() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.state.admit(a)
        chat.state.admit(a, joiningLobby: false)
        #expect(chat.deliveries.isEmpty)
        #expect(chat.state.rooms(of: a) == ["lobby"])
    }

    @Test("admitting a client that is not connected does nothing")
    func admitUnknown() {
        let chat = Chat()
        chat.state.admit(ClientID(7))
        #expect(chat.deliveries.isEmpty)
        #expect(chat.state.counters.connections == 0)
    }

    @Test("the connections counter counts pending clients too")
    func connectionsCountPending() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.connect(2)
        chat.connect(3)
        #expect(chat.state.counters.connections == 3)
        chat.reset()
        chat.perform(.stats, from: a)
        #expect(chat.received(a) == ["stats connections 3 in 0 out 0 rooms 1 uptime 0"])
        chat.disconnect(b)
        #expect(chat.state.counters.connections == 2)
    }

    @Test("the uptime in stats follows the clock")
    func uptimeFollowsClock() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.clock.advance(seconds: 90)
        chat.reset()
        chat.perform(.stats, from: a)
        #expect(chat.received(a) == ["stats connections 1 in 0 out 0 rooms 1 uptime 90"])
    }

    @Test("a front-end error reaches a pending client, and nothing reaches it once it has quit")
    func reportToPending() {
        let chat = Chat()
        let a = chat.connect(1)
        chat.state.report(.lineTooLong(limit: 512), to: a)
        #expect(chat.log == ["1: error lineTooLong(512)"])
        chat.quit(a)
        chat.reset()
        chat.state.report(.badLine, to: a)
        #expect(chat.deliveries.isEmpty)
    }
}
