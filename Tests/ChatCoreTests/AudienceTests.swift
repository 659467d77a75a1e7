// AudienceTests: which Audience each kind of event is addressed to. The glue relies on it to decide
// what it may batch (presence to a room) and what it writes at once (replies, messages).

import Testing

@testable import ChatCore

@Suite struct AudienceTests {
    /// alice (1) and bob (2) in the lobby, with everything they were sent forgotten.
    static func pair(presenceLimit: Int = 1000) -> (Chat, ClientID, ClientID) {
        let chat = Chat(presenceLimit: presenceLimit)
        let (a, b) = (chat.admitted(1, "alice"), chat.admitted(2, "bob"))
        chat.reset()
        return (chat, a, b)
    }

    @Test("a room message is addressed to the room except its sender")
    func messageToRoom() {
        let (chat, a, b) = Self.pair()
        chat.send("hi", from: a)
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "message lobby alice: hi", audience: .room(Name("lobby")!, except: a), encoding: 0,
                    recipients: [b], excluded: a, isPresence: false)
            ])
    }

    @Test("a private message is addressed to its recipient alone")
    func privateMessage() {
        let (chat, a, b) = Self.pair()
        chat.send("psst", to: .nick("BOB"), from: a)
        #expect(
            chat.deliveries == [
                Delivery(
                    event: "private message alice -> bob: psst", audience: .client(b), encoding: 0, recipients: [b],
                    excluded: nil, isPresence: false)
            ])
        #expect(chat.state.counters.messagesIn == 1)
        #expect(chat.state.counters.deliveriesOut == 1)
    }

    @Test("a private message to oneself is delivered to oneself")
    func privateMessageToSelf() {
        let (chat, a, _) = Self.pair()
        chat.send("note", to: .nick("alice"), from: a, kind: .notice)
        #expect(chat.log == ["1: private notice alice -> alice: note"])
    }

    @Test("a private message checks the nick, then the text, then the holder")
    func privateMessageErrors() {
        let (chat, a, _) = Self.pair()
        chat.send("", to: .nick("no one"), from: a)
        chat.send("", to: .nick("nobody"), from: a)
        chat.send("hi", to: .nick("nobody"), from: a)
        #expect(
            chat.log == [
                "1: error badName(recipient)", "1: error missingText(message, private: true)",
                "1: error noSuchNick(nobody)",
            ])
        #expect(chat.deliveries.allSatisfy { $0.audience == .client(a) })
    }

    @Test(
        "replies and errors are addressed to the asking client",
        arguments: ["listRooms", "listMembers", "stats", "error", "report"])
    func repliesToClient(_ request: String) {
        let (chat, a, _) = Self.pair()
        switch request {
        case "listRooms": chat.perform(.listRooms, from: a)
        case "listMembers": chat.listMembers(a)
        case "stats": chat.perform(.stats, from: a)
        case "error": chat.part(a, "nowhere")
        default: chat.state.report(.badLine, to: a)
        }
        #expect(chat.deliveries.count == 1)
        #expect(chat.deliveries.map(\.audience) == [.client(a)])
        #expect(chat.deliveries.map(\.recipients) == [[a]])
        #expect(chat.deliveries.allSatisfy { !$0.isPresence })
    }

    @Test("the welcome is addressed to the newcomer")
    func welcomeToClient() {
        let chat = Chat()
        let a = chat.admitted(1, "alice", joiningLobby: false)
        #expect(chat.deliveries.map(\.audience) == [.client(a)])
    }

    @Test("a quit's bye is addressed to the quitter")
    func byeToClient() {
        let (chat, a, _) = Self.pair()
        chat.quit(a)
        #expect(chat.deliveries.map(\.audience) == [.client(a)])
    }

    @Test("joins and parts within the presence limit are addressed to the whole room")
    func presenceToRoom() {
        let (chat, a, _) = Self.pair(presenceLimit: 3)
        let den = Name("den")!
        chat.join(a, "den")
        chat.part(a, "den")
        chat.admitted(3, "carol")
        #expect(
            chat.deliveries.map(\.audience) == [
                .room(den, except: nil), .room(den, except: nil), .client(ClientID(3)),
                .room(Name("lobby")!, except: nil),
            ])
        #expect(chat.deliveries.map(\.isPresence) == [true, true, false, true])
    }

    @Test("joins and parts above the presence limit are a confirmation to the actor alone")
    func presenceAboveLimitToActor() {
        let chat = Chat(presenceLimit: 2)
        chat.admitted(1, "alice")
        chat.admitted(2, "bob")
        chat.reset()
        let c = chat.admitted(3, "carol")
        chat.join(c, "den")
        chat.part(c, "lobby")
        #expect(
            chat.log == [
                "3: welcome carol in lobby", "3: joined lobby carol", "3: joined den carol", "3: parted lobby carol",
            ])
        #expect(
            chat.deliveries.map(\.audience) == [.client(c), .client(c), .room(Name("den")!, except: nil), .client(c)])
    }

    @Test("the limit counts the actor: a room of exactly the limit still hears presence")
    func presenceLimitCountsActor() {
        let chat = Chat(presenceLimit: 2)
        let a = chat.admitted(1, "alice")
        chat.reset()
        chat.admitted(2, "bob")
        #expect(chat.received(a) == ["joined lobby bob"])
    }

    @Test("renames and quits are addressed to the actor's peers")
    func renameAndQuitToPeers() {
        let (chat, a, _) = Self.pair()
        chat.join(a, "den")
        chat.reset()
        chat.rename(a, to: "al")
        chat.disconnect(a)
        #expect(chat.deliveries.map(\.audience) == [.peers(of: a), .peers(of: a)])
        #expect(chat.deliveries.allSatisfy { $0.isPresence })
    }
}
