// ChatState+Replication: a room's whole state as a value, and the few changes that another node's
// word makes without a command (its topic's author and time, its state learned wholesale, an
// invitation to a room not here yet).

/// Everything a room holds beyond its members' presence: what a node that starts following a room
/// learns from the nodes already in it.
public struct RoomState: Equatable, Sendable {
    public var createdAt: Int64 = 0
    public var topic: [UInt8] = []
    /// `nick!user@host` of whoever set the topic, and when (wall-clock seconds); empty and 0 for none.
    public var topicSetBy = ""
    public var topicSetAt: Int64 = 0
    public var inviteOnly = false
    public var moderated = false
    public var noOutsideMessages = true
    public var topicLocked = true
    public var key: [UInt8]?
    public var limit: Int?
    public var bans: [String] = []
    /// The nicks of members with operator status and with voice.
    public var ops: [Name] = []
    public var voices: [Name] = []

    public init() {}
}

extension ChatState {
    /// The state of the room `name`, or `nil` if it does not exist.
    public func roomState(of name: Name) -> RoomState? {
        guard let room = self.rooms.find(name.key) else { return nil }
        let settings = room.settings
        var state = RoomState()
        state.createdAt = settings.createdAt
        state.topic = settings.topic
        state.topicSetBy = settings.topicSetBy
        state.topicSetAt = settings.topicSetAt
        state.inviteOnly = settings.inviteOnly
        state.moderated = settings.moderated
        state.noOutsideMessages = settings.noOutsideMessages
        state.topicLocked = settings.topicLocked
        state.key = settings.key
        state.limit = settings.limit
        state.bans = settings.bans
        room.forEachMember { member, _ in
            guard let client = self.client(member) else { return }
            if settings.ops.contains(member) { state.ops.append(client.nick) }
            if settings.voices.contains(member) { state.voices.append(client.nick) }
        }
        return state
    }

    /// Replaces the state of the room `name` with `state`, members' standing included (a member
    /// `state` does not list as an operator or voiced loses it), except for the members in
    /// `keeping`, whose standing stays as it is.
    ///
    /// With `announcer`, the members hear what changed as if `announcer` had changed it: one
    /// ``ChatEvent/modeChanged(room:by:changes:)`` and, for a new topic, a
    /// ``ChatEvent/topicChanged(room:by:text:)`` from its setter. The observer is not told.
    public func adopt(
        _ state: RoomState, in name: Name, keepingStandingOf keeping: Set<ClientID> = [], announcingAs announcer: Name? = nil
    ) {
        guard let room = self.rooms.find(name.key) else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        let settings = room.settings
        var changes: [RoomModeChange] = []
        func flag(_ mode: RoomMode, _ old: Bool, _ new: Bool) {
            if old != new { changes.append(RoomModeChange(adding: new, mode: mode)) }
        }
        flag(.inviteOnly, settings.inviteOnly, state.inviteOnly)
        flag(.moderated, settings.moderated, state.moderated)
        flag(.noOutsideMessages, settings.noOutsideMessages, state.noOutsideMessages)
        flag(.topicLocked, settings.topicLocked, state.topicLocked)
        if settings.key != state.key {
            changes.append(RoomModeChange(
                adding: state.key != nil, mode: .key, argument: state.key.map { String(decoding: $0, as: UTF8.self) } ?? "*"))
        }
        if settings.limit != state.limit {
            changes.append(RoomModeChange(adding: state.limit != nil, mode: .limit, argument: state.limit.map(String.init)))
        }
        let oldBans = Set(settings.bans.map { $0.lowercased() })
        let newBans = Set(state.bans.map { $0.lowercased() })
        for ban in settings.bans where !newBans.contains(ban.lowercased()) {
            changes.append(RoomModeChange(adding: false, mode: .ban, argument: ban))
        }
        for ban in state.bans where !oldBans.contains(ban.lowercased()) {
            changes.append(RoomModeChange(adding: true, mode: .ban, argument: ban))
        }
        let topicChanged = settings.topic != state.topic
        settings.createdAt = state.createdAt
        settings.topic = state.topic
        settings.topicSetBy = state.topicSetBy
        settings.topicSetAt = state.topicSetAt
        settings.inviteOnly = state.inviteOnly
        settings.moderated = state.moderated
        settings.noOutsideMessages = state.noOutsideMessages
        settings.topicLocked = state.topicLocked
        settings.key = state.key
        settings.limit = state.limit
        settings.bans = state.bans
        let ops = Set(state.ops.map(\.key))
        let voices = Set(state.voices.map(\.key))
        room.forEachMember { member, _ in
            guard let client = self.client(member), !keeping.contains(member) else { return }
            let op = ops.contains(client.nick.key)
            let voice = voices.contains(client.nick.key)
            if settings.ops.contains(member) != op {
                changes.append(RoomModeChange(adding: op, mode: .op, argument: client.nick.string))
            }
            if settings.voices.contains(member) != voice {
                changes.append(RoomModeChange(adding: voice, mode: .voice, argument: client.nick.string))
            }
            self.setStanding(of: member, client, in: room, op: op, voice: voice)
        }
        guard let announcer else { return }
        if !changes.isEmpty {
            self.deliver(.modeChanged(room: room.name, by: announcer, changes: changes), toRoom: room, except: nil)
        }
        if topicChanged {
            let setter = state.topicSetBy.split(separator: "!").first.flatMap { Name(String($0), .nick) } ?? announcer
            _ = state.topic.withUnsafeBytes { text in
                self.deliver(.topicChanged(room: room.name, by: setter, text: text), toRoom: room, except: nil)
            }
        }
    }

    /// Gives `client` in the room `name` exactly the standing `status`, silently.
    public func setStanding(_ status: MemberStatus, of client: ClientID, in name: Name) {
        guard let room = self.rooms.find(name.key), let member = self.client(client), member.isMember(of: room) else {
            return
        }
        self.setStanding(of: client, member, in: room, op: status.contains(.op), voice: status.contains(.voice))
    }

    private func setStanding(of id: ClientID, _ client: Client, in room: Room, op: Bool, voice: Bool) {
        guard client.isMember(of: room) else { return }
        if op { room.settings.ops.insert(id) } else { room.settings.ops.remove(id) }
        if voice { room.settings.voices.insert(id) } else { room.settings.voices.remove(id) }
    }

    /// Records who set the topic of the room `name` and when, as the node where it was set said:
    /// a replayed topic change would otherwise carry the stand-in's mask and this node's clock.
    public func stampTopic(of name: Name, setBy: String, at time: Int64) {
        guard let room = self.rooms.find(name.key) else { return }
        room.settings.topicSetBy = setBy
        room.settings.topicSetAt = time
    }

    /// `by` (on another node) invited `invitee` into the room `name`, which may not exist here yet:
    /// the invitee hears ``ChatEvent/invited(room:nick:by:)``, and its next join of that room
    /// passes invite-only and bans as after a local invitation.
    public func receiveInvitation(_ invitee: ClientID, room name: Name, by inviter: Name) {
        guard let client = self.client(invitee), client.isAdmitted, !client.hasQuit else { return }
        self.beginDispatch()
        defer { self.endDispatch() }
        if let room = self.rooms.find(name.key) {
            guard !client.isMember(of: room) else { return }
            if room.settings.invited.insert(invitee).inserted { self.invitations[invitee, default: []].append(room) }
        } else if !(self.pendingInvitations[invitee]?.contains(name.key) ?? false) {
            self.pendingInvitations[invitee, default: []].append(name.key)
        }
        self.deliver(.invited(room: name, nick: client.nick, by: inviter), to: invitee, client)
    }

    /// A room was just created: the invitations to it that arrived before it existed here are its own.
    func honourPendingInvitations(to room: Room) {
        for (client, keys) in self.pendingInvitations where keys.contains(room.name.key) {
            if room.settings.invited.insert(client).inserted { self.invitations[client, default: []].append(room) }
            let rest = keys.filter { $0 != room.name.key }
            self.pendingInvitations[client] = rest.isEmpty ? nil : rest
        }
    }
}
