// ReplicationTests: what a cluster node needs of ChatState to apply other nodes' changes: replay
// (the same events, nothing checked again), the observer's callbacks for room state and its hold
// on joins, a room's whole state taken at once, topic stamps and invitations to rooms not here yet.

import Testing

@testable import ChatCore

/// Records the observer calls a cluster node would publish from.
private final class RecordingObserver: ChatObserver {
    var calls: [String] = []
    /// What ``chatWillJoin(_:room:key:)`` answers.
    var holding = false
    /// What ``chatWillMessageAbsent(_:to:from:text:)`` answers.
    var takingAbsent = false

    func chatAdmitted(_ client: ClientID, nick: Name) {}
    func chatRenamed(_ client: ClientID, from old: Name, to new: Name) {}
    func chatJoined(_ client: ClientID, room: Name) { calls.append("joined \(client.raw) \(room.string)") }
    func chatLeft(_ client: ClientID, room: Name, reason: WireText) { calls.append("left \(client.raw) \(room.string)") }
    func chatSaid(_ kind: MessageKind, room: Name, from client: ClientID, text: WireText) {}
    func chatSaid(_ kind: MessageKind, to recipient: ClientID, from client: ClientID, text: WireText) {}
    func chatDeparted(_ client: ClientID, nick: Name, reason: WireText) {}
    func chatTopicChanged(room: Name, by client: ClientID, text: WireText) {
        calls.append("topic \(room.string) by \(client.raw): \(describe(text))")
    }
    func chatModesChanged(room: Name, by client: ClientID, changes: [RoomModeChange]) {
        calls.append("modes \(room.string) by \(client.raw): \(changes.map { ($0.adding ? "+" : "-") + "\($0.mode)" })")
    }
    func chatKicked(_ target: ClientID, room: Name, by client: ClientID, reason: WireText) {
        calls.append("kicked \(target.raw) from \(room.string) by \(client.raw): \(describe(reason))")
    }
    func chatInvited(_ target: ClientID, room: Name, by client: ClientID) {
        calls.append("invited \(target.raw) to \(room.string) by \(client.raw)")
    }
    func chatAwayChanged(_ client: ClientID, message: WireText) { calls.append("away \(client.raw): \(describe(message))") }
    func chatWillJoin(_ client: ClientID, room: Name, key: WireText?) -> Bool {
        calls.append("will join \(client.raw) \(room.string)" + (key.map { " key \(describe($0))" } ?? ""))
        return holding
    }
    func chatWillMessageAbsent(_ kind: MessageKind, to nick: Name, from client: ClientID, text: WireText) -> Bool {
        calls.append("absent \(nick.string) from \(client.raw): \(describe(text))")
        return takingAbsent
    }
}

@Suite struct ReplicationTests {
    let chat = Chat()

    func command(_ id: ClientID, replaying: Bool, _ build: (WireText, WireText) -> ChatCommand, _ a: String, _ b: String = "") {
        self.chat.wire(a) { a in
            self.chat.wire(b) { b in
                if replaying { self.chat.state.replay(build(a, b), from: id) } else { self.chat.perform(build(a, b), from: id) }
            }
        }
    }

    /// alice (1) creates den; bob (2) joins it; nothing they were sent is remembered.
    func aliceAndBob() -> (ClientID, ClientID) {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", joiningLobby: false)
        self.chat.join(a, "den")
        self.chat.join(b, "den")
        self.chat.reset()
        return (a, b)
    }

    @Test("a replayed topic, mode change and kick from a member who is no operator here run as an operator's would")
    func replaySkipsOperatorChecks() {
        let (a, b) = self.aliceAndBob()
        self.command(b, replaying: false, { .setTopic(room: $0, text: $1) }, "den", "mine")
        #expect(self.chat.received(b) == ["error notOperator(den)"])
        self.chat.reset()
        self.command(b, replaying: true, { .setTopic(room: $0, text: $1) }, "den", "mine")
        #expect(self.chat.received(a) == ["topic den by bob: mine"])
        #expect(self.chat.received(b) == ["topic den by bob: mine"])
        self.chat.wire("den") {
            self.chat.state.replay(.setModes(room: $0, changes: [RoomModeChange(adding: true, mode: .moderated)]), from: b)
        }
        #expect(self.chat.received(a).last == "mode den by bob: +moderated")
        self.command(b, replaying: true, { .kick(room: $0, nick: $1, reason: WireText(start: nil, count: 0)) }, "den", "alice")
        #expect(self.chat.received(a).last == "kicked den alice by bob")
        #expect(self.chat.state.members(of: "den") == [b])
    }

    @Test("a replayed join passes bans, keys, limits and invite-only; a room it creates gets no operator")
    func replayedJoinsAreNotRefused() {
        let (a, _) = self.aliceAndBob()
        self.chat.wire("den") { room in
            self.chat.perform(.setModes(room: room, changes: [
                RoomModeChange(adding: true, mode: .inviteOnly), RoomModeChange(adding: true, mode: .key, argument: "k"),
                RoomModeChange(adding: true, mode: .limit, argument: "2"), RoomModeChange(adding: true, mode: .ban, argument: "carol"),
            ]), from: a)
        }
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.join(c, "den")
        #expect(self.chat.received(c).last == "error cannotJoin(den, banned)")
        self.chat.wire("den") { self.chat.state.replay(.join(room: $0, leavingOthers: false), from: c) }
        #expect(self.chat.state.members(of: "den").contains(c))
        self.chat.wire("elsewhere") { self.chat.state.replay(.join(room: $0, leavingOthers: false), from: c) }
        #expect(self.chat.state.status(of: c, in: Name("elsewhere")!) == [])
    }

    @Test("a replayed line reaches a moderated room from a member without voice")
    func replayedLineInModeratedRoom() {
        let (a, b) = self.aliceAndBob()
        self.chat.wire("den") { self.chat.perform(.setModes(room: $0, changes: [RoomModeChange(adding: true, mode: .moderated)]), from: a) }
        self.chat.reset()
        self.chat.send("hush", to: .room("den"), from: b)
        #expect(self.chat.received(b) == ["error cannotSend(den)"])
        self.chat.wire("hush") { text in
            self.chat.wire("den") { self.chat.state.replay(.send(.message, text: text, to: .room($0)), from: b) }
        }
        #expect(self.chat.received(a) == ["message den bob: hush"])
    }

    @Test("the observer hears topics, modes, kicks, invitations and away messages once, with who did them")
    func observerHearsRoomChanges() {
        let observer = RecordingObserver()
        self.chat.state.observer = observer
        let (a, b) = self.aliceAndBob()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        observer.calls = []
        self.command(a, replaying: false, { .setTopic(room: $0, text: $1) }, "den", "hello")
        self.chat.wire("den") {
            self.chat.perform(.setModes(room: $0, changes: [RoomModeChange(adding: true, mode: .moderated),
                RoomModeChange(adding: true, mode: .moderated)]), from: a)
        }
        self.command(a, replaying: false, { .invite(nick: $0, room: $1) }, "carol", "den")
        self.command(a, replaying: false, { .kick(room: $0, nick: $1, reason: WireText(start: nil, count: 0)) }, "den", "bob")
        self.chat.wire("brb") { self.chat.perform(.away(message: $0), from: c) }
        #expect(observer.calls == [
            "topic den by 1: hello", "modes den by 1: [\"+moderated\"]", "invited 3 to den by 1", "kicked 2 from den by 1: ",
            "away 3: brb",
        ])
        _ = b
    }

    @Test("an observer holding a join stops it before anything is checked or sent; a replayed join is never held")
    func heldJoin() {
        let observer = RecordingObserver()
        self.chat.state.observer = observer
        let (a, _) = self.aliceAndBob()
        observer.holding = true
        observer.calls = []
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.wire("den") { room in self.chat.wire("k") { self.chat.perform(.join(room: room, leavingOthers: false, key: $0), from: c) } }
        #expect(observer.calls == ["will join 3 den key k"])
        #expect(self.chat.received(c).filter { !$0.hasPrefix("welcome") } == [])
        #expect(!self.chat.state.members(of: "den").contains(c))
        self.chat.join(a, "den")
        #expect(observer.calls.count == 1, "a member joining again is not asked about")
        self.chat.wire("den") { self.chat.state.replay(.join(room: $0, leavingOthers: false), from: c) }
        #expect(observer.calls.last == "joined 3 den")
    }

    @Test("a private line to a nick held by no client here is offered to the observer: taken, nothing is sent; refused, no-such-nick")
    func absentRecipient() {
        let observer = RecordingObserver()
        self.chat.state.observer = observer
        let (a, _) = self.aliceAndBob()
        let registering = self.chat.connect(3)
        self.chat.rename(registering, to: "carol")
        observer.calls = []
        observer.takingAbsent = true
        self.chat.send("far away", to: .nick("Faraway"), from: a)
        #expect(observer.calls == ["absent Faraway from 1: far away"])
        #expect(self.chat.received(a) == [])
        #expect(self.chat.state.counters.messagesIn == 1)
        // The nick of a client still registering is held here: not offered.
        self.chat.send("too soon", to: .nick("carol"), from: a)
        #expect(observer.calls.count == 1)
        #expect(self.chat.received(a) == ["error noSuchNick(carol)"])
        self.chat.reset()
        // Front ends that look the nick up themselves offer through offerPrivately.
        #expect(self.chat.wire("Faraway") { nick in self.chat.wire("again") { self.chat.state.offerPrivately(.notice, text: $0, to: nick, from: a) } })
        #expect(!self.chat.wire("bob") { nick in self.chat.wire("here") { self.chat.state.offerPrivately(.message, text: $0, to: nick, from: a) } })
        #expect(observer.calls.last == "absent Faraway from 1: again")
        observer.takingAbsent = false
        self.chat.send("nobody", to: .nick("Faraway"), from: a)
        #expect(self.chat.received(a) == ["error noSuchNick(Faraway)"])
        // A replayed line is never offered.
        observer.calls = []
        self.chat.wire("relayed") { text in self.chat.wire("Faraway") { self.chat.state.replay(.send(.message, text: text, to: .nick($0)), from: a) } }
        #expect(observer.calls == [])
    }

    @Test("adopting a room's state replaces modes, lists, topic and standing, and tells the members what changed")
    func adoptingState() throws {
        let (a, b) = self.aliceAndBob()
        var room = RoomState()
        room.createdAt = 42
        room.topic = Array("theirs".utf8)
        room.topicSetBy = "bob!b@h"
        room.topicSetAt = 77
        room.moderated = true
        room.topicLocked = false
        room.key = Array("k".utf8)
        room.bans = ["x!*@*"]
        room.ops = [Name("bob", .nick)!]
        room.voices = [Name("alice", .nick)!]
        self.chat.state.adopt(room, in: Name("den")!, announcingAs: Name("bob", .nick)!)
        #expect(self.chat.state.roomState(of: Name("den")!) == room)
        #expect(self.chat.received(a) == [
            "mode den by bob: +moderated, -topicLocked, +key k, +ban x!*@*, -op alice, +voice alice, +op bob",
            "topic den by bob: theirs",
        ])
        #expect(self.chat.received(b) == self.chat.received(a))
        self.chat.reset()
        self.chat.state.adopt(room, in: Name("den")!, announcingAs: Name("bob", .nick)!)
        #expect(self.chat.log.isEmpty, "nothing changed, nothing said")
        room.ops = []
        self.chat.state.adopt(room, in: Name("den")!, keepingStandingOf: [b])
        #expect(self.chat.state.status(of: b, in: Name("den")!) == .op, "kept")
        #expect(self.chat.log.isEmpty, "silent without an announcer")
    }

    @Test("an invitation to a room not here yet lets the invitee in once the room exists; stamps set the topic's author")
    func remoteInvitationAndTopicStamp() {
        let (a, _) = self.aliceAndBob()
        self.chat.wire("den") { self.chat.perform(.setModes(room: $0, changes: [RoomModeChange(adding: true, mode: .inviteOnly)]), from: a) }
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        let d = self.chat.admitted(4, "dave", joiningLobby: false)
        self.chat.state.receiveInvitation(c, room: Name("vault")!, by: Name("zed", .nick)!)
        #expect(self.chat.received(c).last == "invited carol to vault by zed")
        // The room arrives (another node's member, replayed), invite-only.
        self.chat.wire("vault") { self.chat.state.replay(.join(room: $0, leavingOthers: false), from: d) }
        var invite = RoomState()
        invite.inviteOnly = true
        self.chat.state.adopt(invite, in: Name("vault")!)
        self.chat.join(c, "vault")
        #expect(self.chat.state.members(of: "vault").contains(c))
        // And to a room that exists here.
        let e = self.chat.admitted(5, "erin", joiningLobby: false)
        self.chat.state.receiveInvitation(e, room: Name("den")!, by: Name("zed", .nick)!)
        self.chat.join(e, "den")
        #expect(self.chat.state.members(of: "den").contains(e))
        self.chat.state.stampTopic(of: Name("den")!, setBy: "zed!z@far", at: 1234)
        #expect(self.chat.state.details(of: Name("den")!)?.topicSetBy == "zed!z@far")
        #expect(self.chat.state.details(of: Name("den")!)?.topicSetAt == 1234)
    }
}
