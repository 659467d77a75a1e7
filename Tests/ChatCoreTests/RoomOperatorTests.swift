// RoomOperatorTests: what operators do to rooms (topics, modes, bans, kicks, invitations) and who
// may join or speak, as events and audiences; and the queries details(of:) and status(of:in:).

import Testing

@testable import ChatCore

extension RoomModeChange {
    /// `+mode argument`, as a front end would ask for it.
    fileprivate static func plus(_ mode: RoomMode, _ argument: String? = nil) -> RoomModeChange {
        RoomModeChange(adding: true, mode: mode, argument: argument)
    }

    /// `-mode argument`.
    fileprivate static func minus(_ mode: RoomMode, _ argument: String? = nil) -> RoomModeChange {
        RoomModeChange(adding: false, mode: mode, argument: argument)
    }

    /// "+key secret", the way ``describe(_:)`` spells a change inside a mode event.
    fileprivate var spelled: String {
        (self.adding ? "+" : "-") + "\(self.mode)" + (self.argument.map { " " + $0 } ?? "")
    }
}

@Suite struct RoomOperatorTests {
    /// A fresh chat per test: Swift Testing makes a new suite value for each one.
    let chat = Chat()

    // MARK: - Helpers: the operator commands, spelled as Strings

    func join(_ id: ClientID, _ room: String, key: String? = nil, leavingOthers: Bool = false) {
        self.chat.wire(room) { room in
            if let key {
                self.chat.wire(key) {
                    self.chat.perform(.join(room: room, leavingOthers: leavingOthers, key: $0), from: id)
                }
            } else {
                self.chat.perform(.join(room: room, leavingOthers: leavingOthers), from: id)
            }
        }
    }

    func setTopic(_ id: ClientID, _ room: String, _ text: String) {
        self.chat.wire(room) { room in
            self.chat.wire(text) { self.chat.perform(.setTopic(room: room, text: $0), from: id) }
        }
    }

    func setModes(_ id: ClientID, _ room: String, _ changes: RoomModeChange...) {
        self.chat.wire(room) { self.chat.perform(.setModes(room: $0, changes: changes), from: id) }
    }

    func kick(_ id: ClientID, _ room: String, _ nick: String, reason: String = "") {
        self.chat.wire(room) { room in
            self.chat.wire(nick) { nick in
                self.chat.wire(reason) { self.chat.perform(.kick(room: room, nick: nick, reason: $0), from: id) }
            }
        }
    }

    func invite(_ id: ClientID, _ nick: String, to room: String) {
        self.chat.wire(nick) { nick in
            self.chat.wire(room) { self.chat.perform(.invite(nick: nick, room: $0), from: id) }
        }
    }

    func details(_ room: String) -> RoomDetails? {
        self.chat.state.details(of: Name(room)!)
    }

    func status(_ id: ClientID, in room: String) -> MemberStatus {
        self.chat.state.status(of: id, in: Name(room)!)
    }

    /// The room's modes as details(of:) lists them: ["+inviteOnly", "+key secret", ...].
    func modes(_ room: String) -> [String] {
        self.details(room)?.modes.map(\.spelled) ?? []
    }

    func identify(_ id: ClientID, user: String, host: String) {
        self.chat.state.setIdentity(id, ClientIdentity(user: user, host: host, realName: user))
    }

    /// alice (1) creates `den`, bob (2) joins it; neither is bound to the lobby, and nothing they
    /// were sent is remembered.
    func aliceAndBobInDen() -> (ClientID, ClientID) {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", joiningLobby: false)
        self.join(a, "den")
        self.join(b, "den")
        self.chat.reset()
        return (a, b)
    }

    static let den = Name("den")!
    static let lobby = Name("lobby")!

    // MARK: - Operators

    @Test("the creator of a room is its operator and the next to join is a plain member")
    func creatorIsOperator() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", joiningLobby: false)
        self.join(a, "den")
        self.join(b, "den")
        #expect(self.status(a, in: "den") == .op)
        #expect(self.status(b, in: "den") == [])
        #expect(self.status(a, in: "nowhere") == [])
    }

    @Test("a room records the wall clock of its creation, and later joins do not change it")
    func createdAtIsCreationTime() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", joiningLobby: false)
        self.chat.clock.advance(seconds: 90)
        self.join(a, "den")
        self.chat.clock.advance(seconds: 30)
        self.join(b, "den")
        #expect(self.details("den")?.createdAt == 5_090)
        #expect(self.details("den")?.members == 2)
    }

    @Test("a room deleted and created again records its new creation time and its new creator")
    func recreatedRoomIsNew() {
        let (a, b) = self.aliceAndBobInDen()
        self.chat.part(a, "den")
        self.chat.part(b, "den")
        #expect(self.details("den") == nil)
        self.chat.clock.advance(seconds: 60)
        self.join(b, "den")
        #expect(self.details("den")?.createdAt == 5_060)
        #expect(self.status(b, in: "den") == .op)
        #expect(self.status(a, in: "den") == [])
    }

    @Test(
        "the client whose admission creates the lobby is its operator")
    func lobbyCreatorIsOperator() {
        let a = self.chat.admitted(1, "alice")
        self.chat.admitted(2, "bob")
        #expect(self.status(a, in: "lobby") == .op)
    }

    @Test(
        "the lobby records when the admission that created it happened")
    func lobbyCreatedAt() {
        self.chat.clock.advance(seconds: 7)
        self.chat.admitted(1, "alice")
        #expect(self.details("lobby")?.createdAt == 5_007)
    }

    @Test("a client that creates the lobby by joining it is its operator")
    func joiningCreatesLobbyWithOperator() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        self.join(a, "lobby")
        let b = self.chat.admitted(2, "bob")
        #expect(self.status(a, in: "lobby") == .op)
        #expect(self.status(b, in: "lobby") == [])
        #expect(self.details("lobby")?.createdAt == 5_000)
    }

    // MARK: - Topic

    @Test("a new room has no topic and the modes +nt")
    func newRoomDefaults() throws {
        _ = self.aliceAndBobInDen()
        let details = try #require(self.details("den"))
        #expect(details.name.string == "den")
        #expect(details.topic.isEmpty)
        #expect(details.topicSetBy == "")
        #expect(details.topicSetAt == 0)
        #expect(details.bans.isEmpty)
        #expect(self.modes("den") == ["+noOutsideMessages", "+topicLocked"])
    }

    @Test("an operator's topic reaches the whole room, the setter included")
    func operatorSetsTopic() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.setTopic(a, "DEN", "welcome all")
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "topic den by alice: welcome all", audience: .room(Self.den, except: nil), encoding: 0,
                    recipients: [a, b], excluded: nil, isPresence: false)
            ])
        #expect(self.chat.received(c).isEmpty)
        #expect(self.details("den")?.topic == Array("welcome all".utf8))
    }

    @Test("a plain member setting a locked topic gets notOperator and the topic stays")
    func plainMemberCannotSetLockedTopic() {
        let (a, b) = self.aliceAndBobInDen()
        self.setTopic(a, "den", "old")
        self.chat.reset()
        self.setTopic(b, "den", "new")
        #expect(self.chat.log == ["2: error notOperator(den)"])
        #expect(self.details("den")?.topic == Array("old".utf8))
        #expect(self.details("den")?.topicSetBy == "alice!line@line")
    }

    @Test("with the topic unlocked any member may set it")
    func unlockedTopicAnyone() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .minus(.topicLocked))
        self.chat.reset()
        self.setTopic(b, "den", "bob was here")
        #expect(self.chat.log == ["1: topic den by bob: bob was here", "2: topic den by bob: bob was here"])
        #expect(self.details("den")?.topicSetBy == "bob!line@line")
    }

    @Test("setting the topic of a room you are not in gets notInRoom, spelled as sent")
    func topicOfRoomNotJoined() {
        _ = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.setTopic(c, "Den", "hi")
        self.setTopic(c, "attic", "hi")
        #expect(self.chat.log == ["3: error notInRoom(Den)", "3: error notInRoom(attic)"])
        #expect(self.details("den")?.topic.isEmpty == true)
    }

    @Test("details report the topic, the setter's nick!user@host from its identity and the time it was set")
    func topicDetails() throws {
        let (a, _) = self.aliceAndBobInDen()
        self.identify(a, user: "al", host: "home.example")
        self.chat.clock.advance(seconds: 42)
        self.setTopic(a, "den", "plans")
        let details = try #require(self.details("den"))
        #expect(details.topic == Array("plans".utf8))
        #expect(details.topicSetBy == "alice!al@home.example")
        #expect(details.topicSetAt == 5_042)
        #expect(details.createdAt == 5_000)
    }

    @Test("an empty topic clears it, and is still announced")
    func clearingTopic() {
        let (a, _) = self.aliceAndBobInDen()
        self.setTopic(a, "den", "plans")
        self.chat.reset()
        self.setTopic(a, "den", "")
        #expect(self.chat.log == ["1: topic den by alice: ", "2: topic den by alice: "])
        #expect(self.details("den")?.topic.isEmpty == true)
    }

    // MARK: - Modes

    @Test("flag modes are applied and reported in one event to the room, in the order asked")
    func flagModesApplied() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.moderated), .plus(.inviteOnly), .minus(.noOutsideMessages), .minus(.topicLocked))
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "mode den by alice: +moderated, +inviteOnly, -noOutsideMessages, -topicLocked",
                    audience: .room(Self.den, except: nil), encoding: 0, recipients: [a, b], excluded: nil,
                    isPresence: false)
            ])
        #expect(self.modes("den") == ["+inviteOnly", "+moderated"])
    }

    @Test("setting a flag that is already set reports nothing")
    func alreadySetFlagReportsNothing() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.noOutsideMessages), .plus(.topicLocked))
        #expect(self.chat.deliveries.isEmpty)
        self.setModes(a, "den", .plus(.inviteOnly), .plus(.inviteOnly))
        #expect(self.chat.log == ["1: mode den by alice: +inviteOnly", "2: mode den by alice: +inviteOnly"])
        self.chat.reset()
        self.setModes(a, "den", .plus(.inviteOnly))
        #expect(self.chat.deliveries.isEmpty)
    }

    @Test("clearing a mode that is not set reports nothing")
    func clearingUnsetReportsNothing() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(
            a, "den", .minus(.inviteOnly), .minus(.moderated), .minus(.key, "x"), .minus(.limit), .minus(.ban, "bob"))
        #expect(self.chat.deliveries.isEmpty)
        #expect(self.modes("den") == ["+noOutsideMessages", "+topicLocked"])
    }

    @Test("a key is set as sent and cleared with * as its argument")
    func keySetAndCleared() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.key, "s3cret"))
        #expect(self.modes("den") == ["+key s3cret", "+noOutsideMessages", "+topicLocked"])
        self.setModes(a, "den", .minus(.key, "whatever"))
        #expect(
            self.chat.received(a) == ["mode den by alice: +key s3cret", "mode den by alice: -key *"])
        #expect(self.modes("den") == ["+noOutsideMessages", "+topicLocked"])
    }

    @Test("a missing or empty key, or one with a space, is ignored")
    func badKeysIgnored() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.key), .plus(.key, ""), .plus(.key, "two words"))
        #expect(self.chat.deliveries.isEmpty)
        #expect(self.details("den")?.modes.contains { $0.mode == .key } == false)
    }

    @Test("a limit is reported as its number, and a limit that is not a positive number is ignored")
    func limitNormalised() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.limit, "0"), .plus(.limit, "-3"), .plus(.limit, "ten"), .plus(.limit))
        #expect(self.chat.deliveries.isEmpty)
        self.setModes(a, "den", .plus(.limit, "007"))
        #expect(self.chat.received(a) == ["mode den by alice: +limit 7"])
        #expect(self.modes("den") == ["+limit 7", "+noOutsideMessages", "+topicLocked"])
        self.setModes(a, "den", .minus(.limit, "7"))
        #expect(self.chat.received(a).last == "mode den by alice: -limit")
        #expect(self.details("den")?.modes.contains { $0.mode == .limit } == false)
    }

    @Test("details list the flag and argument modes in the order +iklmnt")
    func detailsModeOrder() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.moderated), .plus(.limit, "5"), .plus(.key, "k"), .plus(.inviteOnly))
        #expect(
            self.modes("den") == [
                "+inviteOnly", "+key k", "+limit 5", "+moderated", "+noOutsideMessages", "+topicLocked",
            ])
    }

    @Test("ban masks are completed to nick!user@host and listed in the order added")
    func banMasksNormalised() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(
            a, "den", .plus(.ban, "bob"), .plus(.ban, "*@evil.example"), .plus(.ban, "carol!c"),
            .plus(.ban, "u@h"), .plus(.ban, "dave!d@d.example"))
        #expect(
            self.chat.received(a) == [
                "mode den by alice: +ban bob!*@*, +ban *!*@evil.example, +ban carol!c@*, +ban *!u@h,"
                    + " +ban dave!d@d.example"
            ])
        #expect(
            self.details("den")?.bans == ["bob!*@*", "*!*@evil.example", "carol!c@*", "*!u@h", "dave!d@d.example"])
    }

    @Test("a ban already listed, ignoring case, is not added again, and a ban without a mask is ignored")
    func duplicateBanIgnored() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "bob"))
        self.chat.reset()
        self.setModes(a, "den", .plus(.ban, "BOB!*@*"), .plus(.ban, "Bob"), .plus(.ban), .plus(.ban, ""))
        #expect(self.chat.deliveries.isEmpty)
        #expect(self.details("den")?.bans == ["bob!*@*"])
    }

    @Test("removing a ban, matched ignoring case, reports the mask as it was stored and unlists it")
    func removingBan() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "bob"), .plus(.ban, "carol"))
        self.chat.reset()
        self.setModes(a, "den", .minus(.ban, "BOB"))
        #expect(self.chat.received(a) == ["mode den by alice: -ban bob!*@*"])
        #expect(self.details("den")?.bans == ["carol!*@*"])
    }

    @Test("+o and +v give a member status, reported with the nick as the member spells it")
    func opAndVoiceGiven() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "Carol", joiningLobby: false)
        self.join(c, "den")
        self.chat.reset()
        self.setModes(a, "den", .plus(.op, "BOB"), .plus(.voice, "carol"))
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "mode den by alice: +op bob, +voice Carol", audience: .room(Self.den, except: nil),
                    encoding: 0, recipients: [a, b, c], excluded: nil, isPresence: false)
            ])
        #expect(self.status(b, in: "den") == .op)
        #expect(self.status(c, in: "den") == .voice)
        self.setModes(a, "den", .plus(.voice, "bob"))
        #expect(self.status(b, in: "den") == [.op, .voice])
    }

    @Test("giving status a member already has, or taking status it lacks, reports nothing")
    func redundantStatusReportsNothing() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.op, "alice"), .minus(.op, "bob"), .minus(.voice, "bob"), .plus(.op))
        #expect(self.chat.deliveries.isEmpty)
    }

    @Test("+o or +v on a non-member gets userNotInRoom, spelled as sent, and the other changes still apply")
    func statusForNonMember() {
        let (a, b) = self.aliceAndBobInDen()
        self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.setModes(a, "den", .plus(.op, "Carol"), .plus(.inviteOnly), .plus(.voice, "zed"), .plus(.voice, "bob"))
        #expect(
            self.chat.log == [
                "1: error userNotInRoom(Carol, den)", "1: error userNotInRoom(zed, den)",
                "1: mode den by alice: +inviteOnly, +voice bob", "2: mode den by alice: +inviteOnly, +voice bob",
            ])
        #expect(self.status(b, in: "den") == .voice)
        #expect(self.modes("den").first == "+inviteOnly")
    }

    @Test("a plain member changing modes gets notOperator and nothing changes")
    func plainMemberCannotSetModes() {
        let (_, b) = self.aliceAndBobInDen()
        self.setModes(b, "den", .plus(.inviteOnly), .plus(.op, "bob"))
        #expect(self.chat.log == ["2: error notOperator(den)"])
        #expect(self.status(b, in: "den") == [])
        #expect(self.modes("den") == ["+noOutsideMessages", "+topicLocked"])
    }

    @Test("changing the modes of a room you are not in gets notInRoom")
    func modesOfRoomNotJoined() {
        _ = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.setModes(c, "den", .plus(.inviteOnly))
        #expect(self.chat.log == ["3: error notInRoom(den)"])
    }

    @Test("a member made operator may change modes, and one whose status is taken may not")
    func operatorStatusGrantsAndRevokes() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.op, "bob"))
        self.chat.reset()
        self.setModes(b, "den", .plus(.moderated), .minus(.op, "alice"))
        #expect(self.chat.received(a) == ["mode den by bob: +moderated, -op alice"])
        #expect(self.status(a, in: "den") == [])
        self.chat.reset()
        self.setModes(a, "den", .minus(.moderated))
        #expect(self.chat.log == ["1: error notOperator(den)"])
    }

    @Test("a mode change reaches the room once per encoding")
    func modeChangePerEncoding() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", encoding: 1, joiningLobby: false)
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        for id in [a, b, c] { self.join(id, "den") }
        self.chat.reset()
        self.setModes(a, "den", .plus(.moderated))
        #expect(
            self.chat.deliveries.map { "e\($0.encoding): \($0.recipients.map(\.raw))" } == ["e0: [1, 3]", "e1: [2]"])
    }

    // MARK: - Join refusals

    @Test("an invite-only room refuses a client that was not invited, naming the room as created")
    func inviteOnlyRefuses() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        let b = self.chat.admitted(2, "bob", joiningLobby: false)
        self.join(a, "Den")
        self.setModes(a, "den", .plus(.inviteOnly))
        self.chat.reset()
        self.join(b, "DEN")
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "error cannotJoin(Den, inviteOnly)", audience: .client(b), encoding: 0, recipients: [b],
                    excluded: nil, isPresence: false)
            ])
        #expect(self.chat.state.rooms(of: b).isEmpty)
        #expect(self.details("den")?.members == 1)
    }

    @Test("a room with a key refuses a missing or wrong key and admits the right one")
    func keyRefuses() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.key, "Sesame"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.join(c, "den")
        self.join(c, "den", key: "sesame")
        self.join(c, "den", key: "Sesame")
        #expect(
            self.chat.received(c) == [
                "error cannotJoin(den, badKey)", "error cannotJoin(den, badKey)", "joined den carol",
            ])
    }

    @Test("a full room refuses one more member, and admits one once someone leaves")
    func limitRefuses() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.limit, "2"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.log == ["3: error cannotJoin(den, full)"])
        self.chat.part(b, "den")
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.received(c) == ["joined den carol"])
    }

    @Test("a ban refuses a client whose nick!line@line it matches, ignoring case, and no one else")
    func banRefuses() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "BOB"), .plus(.ban, "c?rol!LINE@*"))
        self.chat.part(b, "den")
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        let d = self.chat.admitted(4, "dave", joiningLobby: false)
        self.chat.reset()
        self.join(b, "den")
        self.join(c, "den")
        self.join(d, "den")
        #expect(
            self.chat.log == [
                "2: error cannotJoin(den, banned)", "3: error cannotJoin(den, banned)", "1: joined den dave",
                "4: joined den dave",
            ])
    }

    @Test("a ban matches the user and host of the identity a front end set")
    func banMatchesIdentity() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "*!*@*.EVIL.example"))
        self.chat.part(b, "den")
        self.identify(b, user: "bobby", host: "box.evil.example")
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.identify(c, user: "carol", host: "evil.example.org")
        self.chat.reset()
        self.join(b, "den")
        self.join(c, "den")
        #expect(self.chat.received(b) == ["error cannotJoin(den, banned)"])
        #expect(self.chat.received(c) == ["joined den carol"])
    }

    @Test("a ban is matched against the nick held at the time of the join")
    func banFollowsCurrentNick() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "bob"))
        self.chat.part(b, "den")
        self.chat.rename(b, to: "robert")
        self.chat.reset()
        self.join(b, "den")
        #expect(self.chat.received(b) == ["joined den robert"])
    }

    @Test(
        "a * in a ban mask matches text that itself contains a *")
    func banStarMatchesStarInText() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "bob!*x@*"))
        self.chat.part(b, "den")
        self.identify(b, user: "*yx", host: "h")
        self.chat.reset()
        self.join(b, "den")
        #expect(self.chat.received(b) == ["error cannotJoin(den, banned)"])
        #expect(Wildcard.matches("*b", "*xb"))
    }

    @Test("refusals are checked in order: banned, then invite-only, then key, then limit")
    func refusalOrder() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(
            a, "den", .plus(.ban, "carol"), .plus(.inviteOnly), .plus(.key, "k"), .plus(.limit, "2"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.join(c, "den")
        self.setModes(a, "den", .minus(.ban, "carol"))
        self.join(c, "den")
        self.setModes(a, "den", .minus(.inviteOnly))
        self.join(c, "den")
        self.join(c, "den", key: "k")
        self.setModes(a, "den", .minus(.limit))
        self.join(c, "den", key: "k")
        #expect(
            self.chat.received(c) == [
                "error cannotJoin(den, banned)", "error cannotJoin(den, inviteOnly)", "error cannotJoin(den, badKey)",
                "error cannotJoin(den, full)", "joined den carol",
            ])
        #expect(self.chat.state.members(of: "den") == [a, b, c])
    }

    @Test("a refused join leaves the client in its rooms, even when it asked to leave them")
    func refusedJoinMovesNothing() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly))
        let c = self.chat.admitted(3, "carol")
        self.chat.reset()
        self.join(c, "den", leavingOthers: true)
        #expect(self.chat.log == ["3: error cannotJoin(den, inviteOnly)"])
        #expect(self.chat.state.rooms(of: c) == ["lobby"])
    }

    @Test("a member joining its room again is not refused, whatever the room's modes")
    func memberRejoiningNotRefused() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly), .plus(.key, "k"), .plus(.limit, "1"), .plus(.ban, "bob"))
        self.chat.reset()
        self.join(b, "den")
        #expect(self.chat.log == ["2: joined den bob"])
    }

    // MARK: - Invitations

    @Test("an invitation reaches the invitee and confirms to the inviter, and nobody else")
    func invitationEvents() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.invite(a, "CAROL", to: "den")
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "invited carol to den by alice", audience: .client(c), encoding: 0, recipients: [c],
                    excluded: nil, isPresence: false),
                Delivery(
                    event: "invited carol to den by alice", audience: .client(a), encoding: 0, recipients: [a],
                    excluded: nil, isPresence: false),
            ])
        #expect(self.chat.received(b).isEmpty)
    }

    @Test("an invitation lets the invitee into an invite-only room")
    func invitationOverridesInviteOnly() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.log == ["1: joined den carol", "2: joined den carol", "3: joined den carol"])
        #expect(self.chat.state.members(of: "den") == [a, b, c])
        #expect(self.status(c, in: "den") == [])
    }

    @Test("an invitation overrides a ban")
    func invitationOverridesBan() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.ban, "carol"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.received(c) == ["joined den carol"])
    }

    @Test("an invitation does not override the key, and survives the refusal")
    func invitationDoesNotOverrideKey() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly), .plus(.key, "k"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.chat.reset()
        self.join(c, "den")
        self.join(c, "den", key: "k")
        #expect(self.chat.received(c) == ["error cannotJoin(den, badKey)", "joined den carol"])
    }

    @Test("an invitation does not override the limit")
    func invitationDoesNotOverrideLimit() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly), .plus(.limit, "2"))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.received(c) == ["error cannotJoin(den, full)"])
    }

    @Test("an invitation is used up by the join it allows")
    func invitationConsumed() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.join(c, "den")
        self.chat.part(c, "den")
        self.chat.reset()
        self.join(c, "den")
        #expect(self.chat.received(c) == ["error cannotJoin(den, inviteOnly)"])
    }

    @Test("inviting a nick nobody holds gets noSuchNick, spelled as sent")
    func inviteNoSuchNick() {
        let (a, _) = self.aliceAndBobInDen()
        self.invite(a, "Zed", to: "den")
        #expect(self.chat.log == ["1: error noSuchNick(Zed)"])
    }

    @Test("inviting a member of the room gets alreadyInRoom")
    func inviteMember() {
        let (a, _) = self.aliceAndBobInDen()
        self.invite(a, "BOB", to: "den")
        #expect(self.chat.log == ["1: error alreadyInRoom(bob, den)"])
    }

    @Test("a plain member inviting into an invite-only room gets notOperator")
    func plainMemberInviteOnlyInvite() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.invite(b, "carol", to: "den")
        self.join(c, "den")
        #expect(self.chat.log == ["2: error notOperator(den)", "3: error cannotJoin(den, inviteOnly)"])
    }

    @Test("a plain member may invite into a room that is not invite-only")
    func plainMemberInvites() {
        let (_, b) = self.aliceAndBobInDen()
        self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.invite(b, "carol", to: "den")
        #expect(self.chat.log == ["3: invited carol to den by bob", "2: invited carol to den by bob"])
    }

    @Test("inviting into a room you are not in gets notInRoom")
    func inviteFromOutside() {
        _ = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.admitted(4, "dave", joiningLobby: false)
        self.chat.reset()
        self.invite(c, "dave", to: "den")
        #expect(self.chat.log == ["3: error notInRoom(den)"])
    }

    @Test(
        "an invitation does not pass to a later client given the same ID")
    func invitationDiesWithClient() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.inviteOnly))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.invite(a, "carol", to: "den")
        self.chat.disconnect(c)
        let mallory = self.chat.admitted(3, "mallory", joiningLobby: false)
        self.chat.reset()
        self.join(mallory, "den")
        #expect(self.chat.received(mallory) == ["error cannotJoin(den, inviteOnly)"])
    }

    // MARK: - Moderated rooms and outside messages

    @Test("in a moderated room a member without voice gets cannotSend and nobody hears it")
    func moderatedRefusesPlainMember() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.moderated))
        self.chat.reset()
        self.chat.send("hello?", to: .room("den"), from: b)
        self.chat.send("hello?", from: b)
        #expect(self.chat.log == ["2: error cannotSend(den)", "2: error cannotSend(den)"])
        #expect(self.chat.state.counters.messagesIn == 0)
    }

    @Test("in a moderated room voiced members and operators speak")
    func moderatedVoicedAndOperatorsSpeak() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.join(c, "den")
        self.setModes(a, "den", .plus(.moderated), .plus(.voice, "bob"))
        self.chat.reset()
        self.chat.send("from the chair", to: .room("den"), from: a)
        self.chat.send("with a voice", to: .room("den"), from: b)
        #expect(
            self.chat.log == [
                "2: message den alice: from the chair", "3: message den alice: from the chair",
                "1: message den bob: with a voice", "3: message den bob: with a voice",
            ])
    }

    @Test("a member whose voice is taken in a moderated room falls silent")
    func devoicedFallsSilent() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.moderated), .plus(.voice, "bob"))
        self.setModes(a, "den", .minus(.voice, "bob"))
        self.chat.reset()
        self.chat.send("still here", to: .room("den"), from: b)
        #expect(self.chat.log == ["2: error cannotSend(den)"])
    }

    @Test("with -n a non-member may send to the room, which every member hears")
    func outsideMessagesAllowed() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.chat.send("knock", to: .room("den"), from: c)
        #expect(self.chat.log == ["3: error notInRoom(den)"])
        self.setModes(a, "den", .minus(.noOutsideMessages))
        self.chat.reset()
        self.chat.send("knock", to: .room("DEN"), from: c)
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "message den carol: knock", audience: .room(Self.den, except: c), encoding: 0,
                    recipients: [a, b], excluded: c, isPresence: false)
            ])
    }

    @Test("a non-member may not send to a moderated room even with -n")
    func outsideMessageToModeratedRoom() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .minus(.noOutsideMessages), .plus(.moderated))
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.chat.send("knock", to: .room("den"), from: c)
        #expect(self.chat.log == ["3: error cannotSend(den)"])
    }

    // MARK: - Kicks

    @Test("an operator's kick reaches the room, the target included, and the target is out")
    func kickReachesRoom() {
        let (a, b) = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.kick(a, "den", "BOB", reason: "enough")
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "kicked den bob by alice (enough)", audience: .room(Self.den, except: nil), encoding: 0,
                    recipients: [a, b], excluded: nil, isPresence: true)
            ])
        #expect(self.chat.received(c).isEmpty)
        #expect(self.chat.state.members(of: "den") == [a])
        #expect(self.chat.state.rooms(of: b).isEmpty)
    }

    @Test("a plain member kicking gets notOperator and nobody leaves")
    func plainMemberCannotKick() {
        let (a, b) = self.aliceAndBobInDen()
        self.kick(b, "den", "alice")
        #expect(self.chat.log == ["2: error notOperator(den)"])
        #expect(self.chat.state.members(of: "den") == [a, b])
    }

    @Test("kicking a nick that is not in the room gets userNotInRoom, spelled as sent")
    func kickNonMember() {
        let (a, _) = self.aliceAndBobInDen()
        self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.kick(a, "den", "Carol")
        self.kick(a, "den", "zed")
        #expect(self.chat.log == ["1: error userNotInRoom(Carol, den)", "1: error userNotInRoom(zed, den)"])
    }

    @Test("kicking from a room you are not in gets notInRoom")
    func kickFromOutside() {
        _ = self.aliceAndBobInDen()
        let c = self.chat.admitted(3, "carol", joiningLobby: false)
        self.chat.reset()
        self.kick(c, "den", "bob")
        #expect(self.chat.log == ["3: error notInRoom(den)"])
    }

    @Test("a kicked member's status is forgotten: rejoining makes it a plain member")
    func kickForgetsStatus() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.op, "bob"), .plus(.voice, "bob"))
        self.kick(a, "den", "bob")
        #expect(self.status(b, in: "den") == [])
        self.join(b, "den")
        #expect(self.status(b, in: "den") == [])
    }

    @Test("a lobby-bound client kicked from the lobby lands back in the lobby as a plain member")
    func lobbyBoundKickedFromLobby() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        self.join(a, "lobby")
        let b = self.chat.admitted(2, "bob")
        self.setModes(a, "lobby", .plus(.voice, "bob"))
        self.chat.reset()
        self.kick(a, "lobby", "bob", reason: "out")
        #expect(
            self.chat.deliveries == [
                Delivery(
                    event: "kicked lobby bob by alice (out)", audience: .room(Self.lobby, except: nil), encoding: 0,
                    recipients: [a, b], excluded: nil, isPresence: true),
                Delivery(
                    event: "joined lobby bob", audience: .room(Self.lobby, except: nil), encoding: 0,
                    recipients: [a, b], excluded: nil, isPresence: true),
            ])
        #expect(self.chat.state.rooms(of: b) == ["lobby"])
        #expect(self.status(b, in: "lobby") == [])
    }

    @Test("a lobby-bound client kicked from its only room goes back to the lobby")
    func lobbyBoundKickedFromOnlyRoom() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        self.join(a, "den")
        let b = self.chat.admitted(2, "bob")
        let c = self.chat.admitted(3, "carol")
        self.join(b, "den", leavingOthers: true)
        self.chat.reset()
        self.kick(a, "den", "bob")
        #expect(self.chat.received(b) == ["kicked den bob by alice", "joined lobby bob"])
        #expect(self.chat.received(c) == ["joined lobby bob"])
        #expect(self.chat.received(a) == ["kicked den bob by alice"])
        #expect(self.chat.state.rooms(of: b) == ["lobby"])
    }

    @Test("a lobby-bound client kicked from one of its rooms stays in the others and is not sent to the lobby")
    func lobbyBoundKickedFromOneOfSeveral() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        self.join(a, "den")
        let b = self.chat.admitted(2, "bob")
        self.join(b, "den")
        self.join(b, "attic")
        self.chat.part(b, "lobby")
        self.chat.reset()
        self.kick(a, "den", "bob")
        #expect(self.chat.received(b) == ["kicked den bob by alice"])
        #expect(self.chat.state.rooms(of: b) == ["attic"])
    }

    @Test("a client not bound to the lobby kicked from its only room is in no room")
    func unboundKickedFromOnlyRoom() {
        let (a, b) = self.aliceAndBobInDen()
        self.chat.admitted(3, "carol")
        self.chat.reset()
        self.kick(a, "den", "bob")
        #expect(self.chat.log == ["1: kicked den bob by alice", "2: kicked den bob by alice"])
        #expect(self.chat.state.rooms(of: b).isEmpty)
    }

    @Test("an operator kicking itself as the last member deletes the room")
    func kickingLastMemberDeletesRoom() {
        let a = self.chat.admitted(1, "alice", joiningLobby: false)
        self.join(a, "den")
        self.chat.reset()
        self.kick(a, "den", "alice", reason: "closing")
        #expect(self.chat.log == ["1: kicked den alice by alice (closing)"])
        #expect(self.details("den") == nil)
        #expect(self.chat.state.roomCount == 0)
        #expect(self.chat.state.rooms(of: a).isEmpty)
    }

    // MARK: - Status across leaving, quitting, renaming and encodings

    @Test("leaving a room forgets operator status: rejoining makes a plain member")
    func leavingForgetsStatus() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.voice, "bob"))
        self.chat.part(a, "den")
        self.chat.part(b, "den", reason: "brb")
        self.join(b, "den")
        #expect(self.status(b, in: "den") == .op)
        self.join(a, "den")
        #expect(self.status(a, in: "den") == [])
    }

    @Test("a room left by its only operator keeps its other members, none of them operator")
    func operatorLeavesRoomWithoutOperator() {
        let (a, b) = self.aliceAndBobInDen()
        self.chat.part(a, "den")
        #expect(self.status(b, in: "den") == [])
        self.setTopic(b, "den", "anyone?")
        #expect(self.chat.received(b).last == "error notOperator(den)")
    }

    @Test("moving with leavingOthers forgets status in the rooms left")
    func movingForgetsStatus() {
        let (a, _) = self.aliceAndBobInDen()
        self.join(a, "attic", leavingOthers: true)
        self.join(a, "den")
        #expect(self.status(a, in: "attic") == .op)
        #expect(self.status(a, in: "den") == [])
    }

    @Test("a disconnected operator's status is not inherited by a later client given the same ID")
    func disconnectForgetsStatus() {
        let (a, _) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.voice, "alice"))
        self.chat.disconnect(a, reason: "closed")
        let again = self.chat.admitted(1, "alicia", joiningLobby: false)
        self.join(again, "den")
        #expect(self.status(again, in: "den") == [])
    }

    @Test("renaming keeps operator status")
    func renameKeepsStatus() {
        let (a, _) = self.aliceAndBobInDen()
        self.chat.rename(a, to: "alicia")
        self.chat.reset()
        self.setModes(a, "den", .plus(.moderated))
        #expect(self.status(a, in: "den") == .op)
        #expect(self.chat.received(a) == ["mode den by alicia: +moderated"])
    }

    @Test("changing encoding keeps operator and voice status")
    func setEncodingKeepsStatus() {
        let (a, b) = self.aliceAndBobInDen()
        self.setModes(a, "den", .plus(.voice, "bob"))
        self.chat.state.setEncoding(a, Encoding(1))
        self.chat.state.setEncoding(b, Encoding(2))
        #expect(self.status(a, in: "den") == .op)
        #expect(self.status(b, in: "den") == .voice)
        self.chat.reset()
        self.setModes(a, "den", .plus(.moderated))
        self.chat.send("still heard", to: .room("den"), from: b)
        #expect(self.chat.received(a) == ["mode den by alice: +moderated", "message den bob: still heard"])
    }
}
