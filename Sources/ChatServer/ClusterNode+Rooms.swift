// ClusterNode+Rooms: room state across nodes: topics, modes, bans, operators and voice, kicks,
// invitations and away messages, the room's whole state for a node that starts following it, and
// the rule that makes concurrent changes converge (docs/CLUSTER.md, "Room state").
import ChatBus
import ChatCore
import Glibc
import Reactor

/// When and where a room was created: of two versions of one room (two nodes created it at once,
/// each before hearing of the other), the older one's state wins, as IRC's channel timestamps do.
struct Lineage: Comparable {
    var time: UInt64
    var node: [UInt8]

    static func < (a: Lineage, b: Lineage) -> Bool {
        a.time != b.time ? a.time < b.time : a.node.lexicographicallyPrecedes(b.node)
    }
}

/// A first join of a room this node knows nothing of, waiting for the other nodes' answers.
struct HeldJoin {
    /// The clients waiting and the line each sent, to be handled again once the answers are in.
    var clients: [(id: ClientID, line: [UInt8])] = []
    /// How many other nodes heard the sync (from PUBLISH's reply), once known.
    var expected: Int?
    /// Nodes whose answer is complete, and nodes that listed members and owe the room's state.
    var done: Set<[UInt8]> = []
    var owing: Set<[UInt8]> = []
    var asked = false
    var timer: Reactor.Timer?
}

/// A state change this node published and has not heard back from the room's channel yet.
struct OwnChange {
    var sequence: UInt64
    var client: ClientID
    var message: BusMessage
    /// Another node's change to the room arrived after this one was applied here.
    var dirty = false
}

/// What a node knows of its rooms' state, by room key.
struct RoomReplication {
    /// Rooms whose state this node holds: created here, or learned from a node that had it.
    var known: Set<[UInt8]> = []
    var lineages: [[UInt8]: Lineage] = [:]
    /// How far each known room's state has come (``BusVersion``): what decides, after a split,
    /// whose state a room takes.
    var versions: [[UInt8]: BusVersion] = [:]
    var held: [[UInt8]: HeldJoin] = [:]
    var own: [[UInt8]: [OwnChange]] = [:]

    /// At most this many own changes wait for their echo per room; older ones are given up.
    static let ownLimit = 64

    mutating func forget(_ key: [UInt8]) {
        known.remove(key)
        lineages[key] = nil
        versions[key] = nil
        own[key] = nil
    }

    mutating func forgetHeld(_ client: ClientID) {
        for key in held.keys { held[key]?.clients.removeAll { $0.id == client } }
    }

    mutating func heard(here listed: Bool, from node: [UInt8], room key: [UInt8]) {
        guard held[key] != nil else { return }
        if listed { held[key]?.owing.insert(node) } else { held[key]?.done.insert(node) }
    }

    mutating func heardState(from node: [UInt8], room key: [UInt8]) {
        guard held[key] != nil else { return }
        held[key]?.owing.remove(node)
        held[key]?.done.insert(node)
    }

    mutating func record(_ change: OwnChange, room key: [UInt8]) {
        own[key, default: []].append(change)
        if own[key]!.count > Self.ownLimit { own[key]!.removeFirst() }
    }

    /// The version a change made here now takes the room to.
    mutating func nextVersion(_ key: [UInt8], by node: [UInt8]) -> BusVersion {
        let next = BusVersion(count: (versions[key]?.count ?? 0) + 1, node: node)
        versions[key] = next
        return next
    }

    /// Another node's change took the room to `version`: the count goes on from the highest heard.
    mutating func witness(_ version: BusVersion, _ key: [UInt8]) {
        guard known.contains(key) else { return }
        if versions[key].map({ version.isAhead(of: $0) }) ?? true { versions[key] = version }
    }

    mutating func markDirty(_ key: [UInt8]) {
        guard let changes = own[key] else { return }
        own[key] = changes.map { var change = $0; change.dirty = true; return change }
    }
}

extension ClusterNode {
    /// How long a first join waits for the other nodes' answers before going ahead.
    static let holdMilliseconds = 1_000

    static func wallMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec / 1_000_000)
    }

    private func bytes(_ name: Name) -> [UInt8] { Array(name.string.utf8) }

    // MARK: ChatObserver: what local clients do to rooms

    func chatTopicChanged(room: Name, by client: ClientID, text: WireText) {
        guard !applying, !isGhostID(client), let nick = state.nickName(of: client), let details = state.details(of: room)
        else { return }
        let key = roomKey(room)
        let message = BusMessage.topic(
            room: bytes(room), version: rooms.nextVersion(key, by: nodeID), nick: bytes(nick),
            setBy: Array(details.topicSetBy.utf8), at: UInt64(max(0, details.topicSetAt)), text: Array(text))
        publishOwn(message, room: key, by: client)
    }

    func chatModesChanged(room: Name, by client: ClientID, changes: [RoomModeChange]) {
        guard !applying, !isGhostID(client), let nick = state.nickName(of: client) else { return }
        let key = roomKey(room)
        let changes = changes.map(BusModeChange.init)
        publishOwn(
            .modes(room: bytes(room), version: rooms.nextVersion(key, by: nodeID), nick: bytes(nick), changes: changes),
            room: key, by: client)
    }

    func chatKicked(_ target: ClientID, room: Name, by client: ClientID, reason: WireText) {
        let key = roomKey(room)
        if !isGhostID(target) {
            localLeft(key)
        } else if !applying {
            // A ghost kicked from here is forgotten if that was its last room shared with this
            // node, once the command is over (the state may not be re-entered from inside it).
            server.reactor.runLater { [unowned self] in
                if self.isGhostID(target) { self.collectIfRoomless(target) }
            }
        }
        guard !applying, !isGhostID(client), let kicker = state.nickName(of: client), let kicked = state.nickName(of: target)
        else { return }
        publish(.kicked(room: bytes(room), nick: bytes(kicked), by: bytes(kicker), reason: Array(reason)), on: roomChannel(key))
    }

    func chatInvited(_ target: ClientID, room: Name, by client: ClientID) {
        guard !applying, !isGhostID(client), let node = ghostNodes[target], let invitee = state.nickName(of: target),
            let inviter = state.nickName(of: client)
        else { return }
        publish(.invited(room: bytes(room), nick: bytes(invitee), by: bytes(inviter)), on: nodeChannel(node))
    }

    func chatAwayChanged(_ client: ClientID, message: WireText) {
        guard !applying, !isGhostID(client), let nick = state.nickName(of: client) else { return }
        publish(.away(nick: bytes(nick), message: Array(message)), on: Self.globalChannel)
    }

    /// A local client's first join of a room whose state this node does not hold waits until the
    /// nodes following the room have said who is there and what the room is (or a second has
    /// passed): then its bans, key, limit and invite-only apply, its operators stay its own, and
    /// the joiner sees its topic, as on a single server.
    func chatWillJoin(_ client: ClientID, room: Name, key: WireText?) -> Bool {
        guard !releasing, !isGhostID(client), subscriber.state == .ready, commands.state == .ready else { return false }
        let roomKey = roomKey(room)
        if rooms.known.contains(roomKey), roomKey.withUnsafeBytes({ state.roomName($0) }) != nil { return false }
        guard let session = server.delivery.table.session(client) else { return false }
        // Asked again as the client asked the first time, through its own front end, so that it
        // gets exactly the replies a join gets (IRC: the topic, the names).
        var line: [UInt8]
        if session is IRCSession {
            line = Array("JOIN #\(room.string)".utf8)
            if let key, !key.isEmpty { line += [0x20] + Array(key) }
        } else {
            line = Array("/join \(room.string)".utf8)
        }
        if rooms.held[roomKey] != nil {
            rooms.held[roomKey]?.clients.append((client, line))
            return true
        }
        var held = HeldJoin()
        held.clients = [(client, line)]
        held.timer = server.reactor.schedule(afterMilliseconds: Self.holdMilliseconds) { [unowned self] in
            if self.rooms.held[roomKey] != nil { self.counters.joinsHeldTimedOut += 1 }
            self.release(roomKey)
        }
        counters.joinsHeld += 1
        rooms.held[roomKey] = held
        if subscriber.isSubscribed(to: roomChannel(roomKey)) && confirmedRooms.contains(roomKey) {
            askForState(of: roomKey)
        } else {
            subscriber.subscribe([roomChannel(roomKey)])
        }
        return true
    }

    /// Asks the room's other nodes who is there; for a held join, also counts how many will answer.
    func askForState(of key: [UInt8]) {
        guard let held = rooms.held[key] else {
            publish(.sync(room: key), on: roomChannel(key))
            return
        }
        guard !held.asked else { return }
        rooms.held[key]?.asked = true
        publish(.sync(room: key), on: roomChannel(key)) { [unowned self] receivers in
            guard self.rooms.held[key] != nil else { return }
            self.rooms.held[key]?.expected = max(0, receivers - 1)
            // A publish Redis never saw fails at once, possibly inside the join that asked
            // (ChatState is not to be entered again from there): the joins go ahead after it.
            self.server.reactor.runLater { [unowned self] in self.releaseReadyJoins() }
        }
    }

    /// Lets every held join whose answers are all in go ahead.
    func releaseReadyJoins() {
        let ready = rooms.held.filter { _, held in
            held.owing.isEmpty && held.expected.map { held.done.count >= $0 } ?? false
        }
        for key in ready.keys { release(key) }
    }

    private func release(_ key: [UInt8]) {
        guard let held = rooms.held.removeValue(forKey: key) else { return }
        held.timer?.cancel()
        let wasApplying = applying
        applying = false
        releasing = true
        for (client, line) in held.clients {
            guard let session = server.delivery.table.session(client) else { continue }
            line.withUnsafeBytes { session.handle(line: $0) }
        }
        releasing = false
        applying = wasApplying
        if localMembers[key] == nil { linger(key) }
    }

    /// A local client entered the room `key`: a room it created is this node's (and announced,
    /// since another node may have created it at the same moment); one made here for ghosts and
    /// not learned yet is asked about.
    func roomEntered(_ key: [UInt8], _ room: Name, createdHere: Bool) {
        if createdHere {
            rooms.forget(key)
            rooms.known.insert(key)
            rooms.lineages[key] = Lineage(time: Self.wallMilliseconds(), node: nodeID)
            rooms.versions[key] = BusVersion(count: 0, node: nodeID)
            announceState(of: key, room)
        } else if !rooms.known.contains(key), confirmedRooms.contains(key) {
            publish(.sync(room: key), on: roomChannel(key))
        }
    }

    /// Publishes the room's whole state, if this node holds it.
    func announceState(of key: [UInt8], _ name: Name) {
        guard rooms.known.contains(key), let lineage = rooms.lineages[key], let version = rooms.versions[key],
            let room = state.roomState(of: name)
        else { return }
        var flags: [UInt8] = []
        if room.inviteOnly { flags.append(UInt8(ascii: "i")) }
        if room.moderated { flags.append(UInt8(ascii: "m")) }
        if room.noOutsideMessages { flags.append(UInt8(ascii: "n")) }
        if room.topicLocked { flags.append(UInt8(ascii: "t")) }
        let bus = BusRoomState(
            room: bytes(name), lineage: lineage.time, lineageNode: lineage.node, version: version,
            createdAt: UInt64(max(0, room.createdAt)),
            flags: flags, key: room.key, limit: UInt64(max(0, room.limit ?? 0)), ops: room.ops.map(bytes),
            voices: room.voices.map(bytes), bans: room.bans.map { Array($0.utf8) }, topicSetAt: UInt64(max(0, room.topicSetAt)),
            topicSetBy: Array(room.topicSetBy.utf8), topic: room.topic)
        publish(.roomState(bus), on: roomChannel(key))
    }

    private func publishOwn(_ message: BusMessage, room key: [UInt8], by client: ClientID) {
        let sequence = publish(message, on: roomChannel(key))
        rooms.record(OwnChange(sequence: sequence, client: client, message: message), room: key)
    }

    // MARK: What other nodes do to rooms

    func applyRoomChange(_ message: BusMessage, from node: [UInt8]) {
        switch message {
        case .topic(let room, let version, let nick, let setBy, let at, let text):
            rooms.markDirty(roomKey(room))
            rooms.witness(version, roomKey(room))
            guard let ghost = ghost(nick, on: node) else { return }
            applyTopic(room, text, setBy: setBy, at: at, from: ghost)
            collectIfRoomless(ghost)
        case .modes(let room, let version, let nick, let changes):
            rooms.markDirty(roomKey(room))
            rooms.witness(version, roomKey(room))
            guard let ghost = ghost(nick, on: node) else { return }
            applyModes(room, changes, from: ghost)
            collectIfRoomless(ghost)
        case .kicked(let room, let nick, let by, let reason):
            guard let kicker = ghost(by, on: node) else { return }
            let target = nick.withUnsafeBytes { state.client(named: $0) }
            room.withUnsafeBytes { room in nick.withUnsafeBytes { nick in reason.withUnsafeBytes { reason in
                state.replay(.kick(room: room, nick: nick, reason: reason), from: kicker)
            } } }
            collectIfRoomless(kicker)
            if let target, isGhostID(target) { collectIfRoomless(target) }
        case .invited(let room, let nick, let by):
            guard let invitee = nick.withUnsafeBytes({ state.client(named: $0) }), !isGhostID(invitee),
                let name = room.withUnsafeBytes({ state.roomName($0) ?? Name($0) }),
                let inviter = by.withUnsafeBytes({ Name($0, .nick) })
            else { return }
            state.receiveInvitation(invitee, room: name, by: inviter)
        case .away(let nick, let text):
            guard let ghost = existingGhost(nick), (state.awayMessage(of: ghost) ?? []) != text else { return }
            text.withUnsafeBytes { state.replay(.away(message: $0), from: ghost) }
        case .roomState(let bus):
            applyState(bus, from: node)
            rooms.heardState(from: node, room: roomKey(bus.room))
        default:
            break
        }
    }

    private func applyTopic(_ room: [UInt8], _ text: [UInt8], setBy: [UInt8], at: UInt64, from client: ClientID) {
        room.withUnsafeBytes { room in text.withUnsafeBytes { text in
            state.replay(.setTopic(room: room, text: text), from: client)
        } }
        if let name = room.withUnsafeBytes({ state.roomName($0) }) {
            state.stampTopic(of: name, setBy: String(decoding: setBy, as: UTF8.self), at: Int64(at))
        }
    }

    private func applyModes(_ room: [UInt8], _ changes: [BusModeChange], from client: ClientID) {
        let changes = changes.compactMap(RoomModeChange.init)
        guard !changes.isEmpty else { return }
        room.withUnsafeBytes { state.replay(.setModes(room: $0, changes: changes), from: client) }
    }

    /// Another node's view of a room: taken whole if this node's is of a younger room (two
    /// nodes created it at once) or unknown. Of the same room but ahead of this node's (it missed
    /// changes: a split, a gap): its topic, modes and lists, and the standing of the sender's
    /// clients; every other member keeps its standing here, since their own nodes speak for them
    /// when they announce them (``announceMembers(of:answering:)``).
    private func applyState(_ bus: BusRoomState, from node: [UInt8]) {
        let key = roomKey(bus.room)
        rooms.markDirty(key)
        guard let name = bus.room.withUnsafeBytes({ state.roomName($0) }) else { return }
        let theirs = Lineage(time: bus.lineage, node: bus.lineageNode)
        let ours = rooms.known.contains(key) ? rooms.lineages[key] : nil
        let younger = ours == nil || theirs < ours!
        let behind = theirs == ours && rooms.versions[key].map { bus.version.isAhead(of: $0) } ?? true
        guard younger || behind else { return }
        let members = state.members(of: name) ?? []
        let keeping = younger ? [] : Set(members.filter { ghostNodes[$0] != node })
        let room = RoomState(bus)
        // Local members hear what changed as from one of the room's operators.
        let nicks = Set(members.compactMap { state.nickName(of: $0)?.key })
        let announcer = room.ops.first { nicks.contains($0.key) }
        state.adopt(room, in: name, keepingStandingOf: keeping, announcingAs: announcer)
        counters.statesAdopted += 1
        rooms.known.insert(key)
        rooms.lineages[key] = theirs
        rooms.versions[key] = bus.version
    }

    /// This node's own change came back through the room's channel: if another node's change to
    /// the room arrived in between, it is applied again, so every node ends with the state the
    /// channel's order gives.
    func ownEchoed(_ message: BusMessage, sequence: UInt64, room key: [UInt8]) {
        guard var changes = rooms.own[key], let index = changes.firstIndex(where: { $0.sequence == sequence }) else { return }
        let change = changes[index]
        changes.removeFirst(index + 1)
        rooms.own[key] = changes.isEmpty ? nil : changes
        guard change.dirty, !isGhostID(change.client) else { return }
        counters.changesReapplied += 1
        applying = true
        defer { applying = false }
        switch change.message {
        case .topic(let room, _, let nick, let setBy, let at, let text):
            guard state.nickName(of: change.client).map(bytes) == nick else { return }
            applyTopic(room, text, setBy: setBy, at: at, from: change.client)
        case .modes(let room, _, let nick, let changes):
            guard state.nickName(of: change.client).map(bytes) == nick else { return }
            applyModes(room, changes, from: change.client)
        default:
            break
        }
    }
}

extension RoomMode {
    /// IRC's letter for the mode, which the bus uses too.
    var letter: UInt8 {
        switch self {
        case .inviteOnly: UInt8(ascii: "i")
        case .key: UInt8(ascii: "k")
        case .limit: UInt8(ascii: "l")
        case .moderated: UInt8(ascii: "m")
        case .noOutsideMessages: UInt8(ascii: "n")
        case .topicLocked: UInt8(ascii: "t")
        case .ban: UInt8(ascii: "b")
        case .op: UInt8(ascii: "o")
        case .voice: UInt8(ascii: "v")
        }
    }

    init?(letter: UInt8) {
        guard let mode = RoomMode.allCases.first(where: { $0.letter == letter }) else { return nil }
        self = mode
    }
}

extension BusModeChange {
    init(_ change: RoomModeChange) {
        self.init(adding: change.adding, letter: change.mode.letter, argument: Array((change.argument ?? "").utf8))
    }
}

extension RoomModeChange {
    init?(_ change: BusModeChange) {
        guard let mode = RoomMode(letter: change.letter) else { return nil }
        self.init(
            adding: change.adding, mode: mode,
            argument: change.argument.isEmpty ? nil : String(decoding: change.argument, as: UTF8.self))
    }
}

extension RoomState {
    init(_ bus: BusRoomState) {
        self.init()
        createdAt = Int64(bus.createdAt)
        topic = bus.topic
        topicSetBy = String(decoding: bus.topicSetBy, as: UTF8.self)
        topicSetAt = Int64(bus.topicSetAt)
        inviteOnly = bus.flags.contains(UInt8(ascii: "i"))
        moderated = bus.flags.contains(UInt8(ascii: "m"))
        noOutsideMessages = bus.flags.contains(UInt8(ascii: "n"))
        topicLocked = bus.flags.contains(UInt8(ascii: "t"))
        key = bus.key
        limit = bus.limit > 0 ? Int(clamping: bus.limit) : nil
        bans = bus.bans.map { String(decoding: $0, as: UTF8.self) }
        ops = bus.ops.compactMap { nick in nick.withUnsafeBytes { Name($0, .nick) } }
        voices = bus.voices.compactMap { nick in nick.withUnsafeBytes { Name($0, .nick) } }
    }
}
