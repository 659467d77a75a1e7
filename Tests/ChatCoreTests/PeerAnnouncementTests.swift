// PeerAnnouncementTests: a departure from the server and a rename reach everyone sharing a room with
// the client exactly once, however many rooms they share.

import Testing

@testable import ChatCore

@Suite struct PeerAnnouncementTests {
    @Test(
        "a peer sharing several rooms with the quitter gets one quit, naming the quitter's first shared room",
        arguments: [2, 3])
    func quitOncePerPeer(shared: Int) {
        let chat = Chat()
        let quitter = chat.admitted(1, "q", joiningLobby: false)
        for room in ["lobby", "den", "attic"] { chat.join(quitter, room) }
        // The peer joins the shared rooms in the opposite order: the quitter's order decides.
        let peer = chat.admitted(2, "p", joiningLobby: false)
        for room in ["lobby", "den", "attic"].suffix(shared).reversed() { chat.join(peer, room) }
        let lobbyOnly = chat.admitted(3, "l")
        let atticOnly = chat.admitted(4, "a", joiningLobby: false)
        chat.join(atticOnly, "attic")
        let stranger = chat.admitted(5, "s", joiningLobby: false)
        chat.join(stranger, "yard")
        chat.reset()
        chat.disconnect(quitter, reason: "gone")
        let first = shared == 3 ? "lobby" : "den"
        #expect(chat.received(peer) == ["quit q (gone) via \(first)"])
        #expect(chat.received(lobbyOnly) == ["quit q (gone) via lobby"])
        #expect(chat.received(atticOnly) == ["quit q (gone) via attic"])
        #expect(chat.received(quitter).isEmpty)
        #expect(chat.received(stranger).isEmpty)
        #expect(chat.deliveries.allSatisfy { $0.audience == .peers(of: quitter) })
    }

    @Test("a quit in a single room goes to its other members, addressed to the quitter's peers")
    func quitFromSingleRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.reset()
        chat.disconnect(a, reason: "closed")
        #expect(chat.log == ["2: quit alice (closed) via lobby"])
        #expect(chat.deliveries.map(\.audience) == [.peers(of: a)])
        #expect(chat.state.rooms(of: b) == ["lobby"])
    }

    @Test("a client that quit departs with its own reason, or quit if it gave none", arguments: ["bye all", ""])
    func quitReasonWins(reason: String) {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.quit(a, reason: reason)
        #expect(chat.log == [reason.isEmpty ? "1: bye" : "1: bye (\(reason))"])
        #expect(chat.recorder.closes == [a])
        chat.reset()
        chat.disconnect(a, reason: "closed")
        #expect(chat.log == ["2: quit alice (\(reason.isEmpty ? "quit" : reason)) via lobby"])
    }

    @Test("a client that quit stays in its rooms, hears them, and is ignored until disconnected")
    func quitClientIgnored() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.quit(a)
        chat.reset()
        chat.send("hi", from: a)
        chat.rename(a, to: "ally")
        chat.join(a, "den")
        chat.send("still there?", from: b)
        #expect(chat.log == ["1: message lobby bob: still there?"])
        #expect(chat.state.nick(of: a) == "alice")
    }

    @Test("disconnecting without a reason departs with an empty one; a second disconnect does nothing")
    func disconnectTwice() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.disconnect(a)
        chat.disconnect(a, reason: "again")
        #expect(chat.log == ["2: quit alice () via lobby"])
        #expect(chat.state.counters.connections == 1)
    }

    @Test("a client in no room departs silently")
    func quitFromNoRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        chat.admitted(2, "bob")
        chat.reset()
        chat.disconnect(a, reason: "gone")
        #expect(chat.deliveries.isEmpty)
    }

    @Test("a rename reaches each peer once and the renamer once, however many rooms they share")
    func renameOncePerPeer() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        let c = chat.admitted(3, "carol", joiningLobby: false)
        let d = chat.admitted(4, "dave", joiningLobby: false)
        for room in ["den", "attic"] {
            chat.join(a, room)
            chat.join(b, room)
        }
        chat.join(c, "attic")
        chat.join(d, "yard")
        chat.reset()
        chat.rename(a, to: "al")
        for client in [a, b, c] { #expect(chat.received(client) == ["renamed alice -> al"]) }
        #expect(chat.received(d).isEmpty)
        #expect(chat.deliveries.allSatisfy { $0.audience == .peers(of: a) })
        #expect(chat.state.nick(of: a) == "al")
    }

    @Test("a rename in a single room goes to all its members, the renamer included")
    func renameInSingleRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.rename(a, to: "al")
        #expect(chat.log == ["1: renamed alice -> al", "2: renamed alice -> al"])
        #expect(chat.deliveries.map(\.audience) == [.peers(of: a)])
    }

    @Test("a client in no room that renames hears the confirmation alone")
    func renameInNoRoom() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        chat.admitted(2, "bob")
        chat.reset()
        chat.rename(a, to: "al")
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "renamed alice -> al", audience: .client(a), encoding: 0, recipients: [a], excluded: nil,
                    isPresence: true)
            ])
    }

    @Test("renaming to one's own nick confirms to oneself alone; changing its case tells the peers")
    func renameToSelf() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.rename(a, to: "alice")
        #expect(chat.log == ["1: renamed alice -> alice"])
        #expect(chat.deliveries.map(\.audience) == [.client(a)])
        chat.reset()
        chat.rename(a, to: "Alice")
        #expect(chat.log == ["1: renamed alice -> Alice", "2: renamed alice -> Alice"])
    }

    @Test("an admitted client asking for a taken nick gets nickTaken and keeps its own")
    func renameTaken() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        chat.rename(a, to: "BOB")
        chat.rename(a, to: "b b")
        #expect(chat.log == ["1: error nickTaken(BOB)", "1: error badName(nick)"])
        #expect(chat.state.nick(of: a) == "alice")
    }

    @Test("a nick freed by a rename can be taken by someone else")
    func renameFreesOldNick() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.rename(a, to: "al")
        chat.reset()
        chat.rename(b, to: "ALICE")
        #expect(chat.received(b) == ["renamed bob -> ALICE"])
    }

    @Test("rooms above the presence limit are left out of a rename, but the renamer still hears it")
    func renameSkipsBigRooms() {
        let chat = Chat(presenceLimit: 3)
        let a = chat.admitted(1, "alice")
        let crowd = (2...4).map { chat.admitted(Int32($0)) }
        let e = chat.admitted(5, "eve", joiningLobby: false)
        chat.join(a, "den")
        chat.join(e, "den")
        chat.reset()
        chat.rename(a, to: "al")
        #expect(chat.received(a) == ["renamed alice -> al"])
        #expect(chat.received(e) == ["renamed alice -> al"])
        for client in crowd { #expect(chat.received(client).isEmpty) }
        #expect(chat.deliveries.allSatisfy { $0.audience == .peers(of: a) })
    }

    @Test(
        "a rename in rooms that are all above the presence limit is confirmed to the renamer alone", arguments: [1, 2])
    func renameOnlyInBigRooms(rooms: Int) {
        let chat = Chat(presenceLimit: 3)
        let clients = (1...4).map { chat.admitted(Int32($0)) }
        if rooms == 2 { for client in clients { chat.join(client, "den") } }
        chat.reset()
        chat.rename(clients[0], to: "al")
        #expect(chat.log == ["1: renamed guest1 -> al"])
        #expect(chat.deliveries.map(\.audience) == [.client(clients[0])])
    }

    @Test("rooms above the presence limit are left out of a quit; smaller shared rooms still carry it")
    func quitSkipsBigRooms() {
        let chat = Chat(presenceLimit: 3)
        let a = chat.admitted(1, "alice")
        let crowd = (2...4).map { chat.admitted(Int32($0)) }
        chat.join(a, "den")
        chat.join(crowd[0], "den")
        chat.reset()
        chat.disconnect(a, reason: "gone")
        #expect(chat.log == ["2: quit alice (gone) via den"])
        chat.reset()
        chat.disconnect(crowd[2], reason: "gone")
        #expect(chat.log == ["2: quit guest3 (gone) via lobby", "3: quit guest3 (gone) via lobby"])
    }
}
