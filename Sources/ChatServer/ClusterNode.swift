// ClusterNode: this server as one node of several sharing rooms, nicks and presence through
// Redis pub/sub (--redis). The design and its guarantees are in docs/CLUSTER.md.
import ChatBus
import ChatCore
import Codec
import Glibc
import RESP
import Reactor
import ReactorRedis

/// One node of a cluster: it publishes what its own clients do (it observes ``ChatState``), and
/// applies what other nodes publish by having stand-ins ("ghosts") of their clients perform the
/// same commands in its state, so its own clients see everyone, and `/who`, `NAMES`, `WHOIS`
/// list members on every node.
///
/// Redis keys and channels (prefix `sb:`): `lease:<node>` (the node's liveness, its epoch, with a
/// 3 s expiry renewed every second), `nodes` (the set of node ids), `nicks` (nick key → owning
/// node), `guests` (a counter handing out guest-number blocks), `reap:<node>` (who reaps a dead
/// node); channels `r:<room key>` per room (subscribed while a local client is in it, and for a
/// linger after), `n:<node>` per node (private messages, liveness probes), and `g` (renames,
/// departures, dead nodes).
final class ClusterNode: ChatObserver {
    unowned let server: Server
    let nodeID: [UInt8]
    var epoch: UInt64
    let commands: RedisConnection
    let subscriber: RedisSubscriber
    var state: ChatState { server.state }

    /// Ghosts by client ID: the node each one lives on. `isGhost` is the test on the message path.
    var ghostNodes: [ClientID: [UInt8]] = [:]
    private var isGhost: [Bool] = []
    /// While applying a message from another node: what ghosts do is not published again.
    var applying = false
    /// While held joins are asked again: they go ahead whatever is known.
    var releasing = false
    /// Local members per room (by room key), and the rooms whose channel lingers after its last
    /// local member left.
    var localMembers: [[UInt8]: Int] = [:]
    private var lingering: [[UInt8]: Reactor.Timer] = [:]
    /// Rooms whose channel's subscription Redis has confirmed.
    var confirmedRooms: Set<[UInt8]> = []
    /// What this node knows of its rooms' state (ClusterNode+Rooms.swift).
    var rooms = RoomReplication()
    /// Outgoing sequence numbers per channel.
    private var sequences: [[UInt8]: UInt64] = [:]
    var tracker = SequenceTracker()
    @exclusivity(unchecked) private var scratch = EncodeBuffer(capacity: 1024)
    private var timers: [Reactor.Timer] = []
    private var guestBlock = 0
    private var nextGuest = 0
    /// The liveness probe in flight through this node's own channel, and when it left.
    var probe: (token: UInt64, sentAt: Int64)?
    /// When the once-a-second timer last ran, and when Redis last answered a lease renewal
    /// (loop-clock ms). They tell a stalled Redis (connected, answering nothing) or a Redis that
    /// restarted from a node that was frozen itself, and from a wedged subscription.
    var lastTickAt: Int64 = 0
    var lastRenewalAnsweredAt: Int64 = 0
    /// Rooms whose members are still to be re-claimed and announced after a reconnect, a few per
    /// loop iteration, so a node with many rooms keeps serving its clients meanwhile.
    var reassertQueue: [[UInt8]] = []
    var reassertClaimed: Set<ClientID> = []
    var reassertTimer: Reactor.Timer?
    static let reassertRoomsPerIteration = 64
    /// No reaping before this: after Redis stalled, every lease lapsed at once, and the other
    /// nodes get a full lease period to renew theirs before any is taken for dead.
    var reapingResumesAt: Int64 = 0
    var generator = SystemRandomNumberGenerator()

    /// How long a room's channel stays subscribed after its last local member left.
    static let lingerMilliseconds = 5_000
    static let leaseMilliseconds = 3_000

    struct Counters {
        var published = 0
        var received = 0
        var echoes = 0
        var duplicates = 0
        var gaps = 0
        /// Chat lines other nodes sent that gaps show never arrived.
        var missed = 0
        /// Other messages (joins, parts, member lists, syncs) the same way.
        var missedControl = 0
        var malformed = 0
        var nickConflicts = 0
        var reapedNodes = 0
        var probesLost = 0
        /// First joins held until the room's other nodes answered, and those that gave up waiting.
        var joinsHeld = 0
        var joinsHeldTimedOut = 0
        /// Private lines to nicks not known here, looked up in Redis: sent to the node holding
        /// the nick, or answered with no-such-nick.
        var privateLookupsSent = 0
        var privateLookupsAbsent = 0
        /// Rooms whose state came whole from another node (a younger room, or one behind).
        var statesAdopted = 0
        /// Own topic and mode changes applied again, another node's having come in between.
        var changesReapplied = 0
    }
    var counters = Counters()
    var ghostCount: Int { ghostNodes.count }
    /// The bus for `/stats` and the log.
    var busCounters: BusCounters {
        var bus = BusCounters()
        let redis = commands.statistics
        bus.connected = commands.state == .ready && subscriber.state == .ready ? 1 : 0
        bus.published = counters.published
        bus.received = counters.received
        bus.dropped = redis.droppedNotConnected + redis.droppedOutputLimit + redis.droppedTooManyPending
            + redis.failedInFlight + counters.duplicates + counters.malformed
        bus.gaps = counters.gaps
        bus.missed = counters.missed
        bus.duplicates = counters.duplicates
        bus.reconnects = max(0, redis.connects - 1) + max(0, subscriber.statistics.connects - 1)
        bus.subscriptions = subscriber.subscribedCount
        bus.remoteClients = ghostNodes.count
        return bus
    }

    /// Whether new clients can be registered: their nicks need Redis to confirm them.
    var canRegister: Bool { commands.state == .ready }

    init(server: Server, nodeID: String, address: SocketAddress) {
        self.server = server
        self.nodeID = Array(nodeID.utf8)
        self.epoch = 0
        let configuration = RedisConfiguration(clientName: "switchboard-\(nodeID)")
        self.commands = RedisConnection(reactor: server.reactor, address: address, configuration: configuration)
        self.subscriber = RedisSubscriber(reactor: server.reactor, address: address, configuration: configuration)
        self.epoch = self.freshEpoch()
    }

    func freshEpoch() -> UInt64 { UInt64.random(in: 1...UInt64(Int64.max), using: &generator) }

    // MARK: Joining the cluster

    /// Takes the node's lease and a guest block, subscribes to the node's and the global channels,
    /// and starts the lease, reaper and probe timers. Runs the loop until Redis has answered (at
    /// most `timeout` ms): the node must not accept clients before it knows its id is its own.
    func join(timeout: Int = 5_000) throws(StartError) {
        commands.start()
        subscriber.start()
        var outcome: Result<Void, StartError>?
        let node = String(decoding: nodeID, as: UTF8.self)
        commands.send(["SET", "sb:lease:\(node)", String(epoch), "NX", "PX", String(Self.leaseMilliseconds)]) { reply in
            switch reply {
            case .failure(let error): outcome = .failure(StartError("--redis: \(error)"))
            case .success(let reply) where reply.isNull:
                outcome = .failure(StartError("--node-id \(node): a live node holds this id (its lease sb:lease:\(node) is set)"))
            case .success(let reply) where reply.isError:
                outcome = .failure(StartError("--redis: \(reply.string ?? "error")"))
            case .success: outcome = .success(())
            }
        }
        commands.send(["INCR", "sb:guests"]) { reply in
            if case .success(let reply) = reply, let block = reply.integer { self.guestBlock = block }
        }
        commands.send(["SADD", "sb:nodes", node])
        let deadline = server.reactor.now + Int64(timeout)
        while outcome == nil && server.reactor.now < deadline {
            server.reactor.runOnce(timeoutMilliseconds: 50)
        }
        guard let outcome else { throw StartError("--redis: no answer from Redis within \(timeout / 1000) s") }
        try outcome.get()
        lastTickAt = server.reactor.now
        lastRenewalAnsweredAt = server.reactor.now
        // Guests of block k are guest<k>00001 and on: no two nodes hand out the same guest nick.
        nextGuest = max(1, guestBlock) * 100_000 + 1
        state.numberGuests(from: nextGuest)
        subscriber.onMessage = { [unowned self] channel, payload in self.received(channel, payload) }
        subscriber.onConfirmation = { [unowned self] kind, channel, _ in self.confirmed(kind, channel) }
        commands.onStateChange = { [unowned self] state in if state == .ready { self.reassert() } }
        subscriber.subscribe([Array("sb:g".utf8), nodeChannel(nodeID)])
        state.observer = self
        timers.append(server.reactor.scheduleRepeating(everyMilliseconds: 1_000) { [unowned self] in
            self.renewLease()
            self.reapDeadNodes()
            self.checkProbe()
            self.lastTickAt = self.server.reactor.now
        })
        server.log(.info, "cluster: node \(node) (epoch \(epoch)) joined through Redis at \(commands.address)")
    }

    func leave(answered: (() -> Void)? = nil) {
        for timer in timers { timer.cancel() }
        reassertTimer?.cancel()
        let node = String(decoding: nodeID, as: UTF8.self)
        commands.send(["DEL", "sb:lease:\(node)"])
        commands.send(["SREM", "sb:nodes", node]) { _ in answered?() }
    }

    /// ``leave()`` for a start that failed after joining: runs the loop until Redis has answered
    /// (at most `timeout` ms), since the process exits next.
    func leaveBeforeExit(timeout: Int = 1_000) {
        var done = false
        leave { done = true }
        let deadline = server.reactor.now + Int64(timeout)
        while !done && server.reactor.now < deadline { server.reactor.runOnce(timeoutMilliseconds: 50) }
    }

    func nodeChannel(_ node: [UInt8]) -> [UInt8] { Array("sb:n:".utf8) + node }
    func roomChannel(_ key: [UInt8]) -> [UInt8] { Array("sb:r:".utf8) + key }
    static let globalChannel = Array("sb:g".utf8)

    /// The folded name of a room, for its channel and the local-member count.
    func roomKey(_ name: Name) -> [UInt8] { Array(name.string.lowercased().utf8) }
    func roomKey(_ raw: [UInt8]) -> [UInt8] { Array(String(decoding: raw, as: UTF8.self).lowercased().utf8) }

    // MARK: Publishing

    /// Chat lines and the rest (joins, parts, member lists, syncs, room state) are numbered apart
    /// on each channel, so a gap in the lines counts exactly the lines lost, whatever else was.
    private static func stream(_ channel: [UInt8], of message: BusMessage) -> [UInt8] {
        switch message {
        case .said, .saidPrivately: channel
        default: channel + [0]
        }
    }

    /// Publishes `message` on `channel`; returns its sequence number in its stream there.
    /// `receivers`, if given, hears how many subscribers Redis delivered it to (this node's own
    /// subscription included).
    @discardableResult
    func publish(_ message: BusMessage, on channel: [UInt8], receivers: ((Int) -> Void)? = nil) -> UInt64 {
        let stream = Self.stream(channel, of: message)
        let sequence = (sequences[stream] ?? 0) + 1
        sequences[stream] = sequence
        scratch.removeAll()
        message.encode(from: BusOrigin(node: nodeID, epoch: epoch, sequence: sequence), into: &scratch)
        let reply: RedisConnection.ReplyHandler? = receivers.map { receivers in
            { result in
                if case .success(let reply) = result, let count = reply.integer { receivers(count) } else { receivers(0) }
            }
        }
        channel.withUnsafeBytes { channel in commands.publish(channel: channel, message: scratch.bytes, reply: reply) }
        counters.published += 1
        return sequence
    }

    @inline(__always)
    func isGhostID(_ id: ClientID) -> Bool { id.index < isGhost.count && isGhost[id.index] }

    private static let claimScript = """
        local owner = redis.call('HGET', KEYS[1], ARGV[1])
        if (not owner) or owner == ARGV[2] or redis.call('EXISTS', 'sb:lease:' .. owner) == 0 then
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          return 1
        end
        return 0
        """
    private static let releaseScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
        return 1
        """

    /// Claims `nick` for this node in Redis. The rename happened locally already; if another live
    /// node holds the nick, this client loses it: it is told, and renamed to a fresh guest nick.
    func claim(_ nick: Name, for id: ClientID) {
        let key = nick.string.lowercased()
        let node = String(decoding: nodeID, as: UTF8.self)
        commands.send(["EVAL", Self.claimScript, "1", "sb:nicks", key, node]) { reply in
            guard case .success(let reply) = reply, reply.integer == 0 else { return }
            guard self.state.nickName(of: id) == nick else { return }
            self.counters.nickConflicts += 1
            self.state.report(.nickTaken(nick), to: id)
            while true {
                self.nextGuest += 1
                var guest = Array("guest\(self.nextGuest)".utf8)
                if self.state.client(named: guest.withUnsafeBytes { $0 }) == nil {
                    guest.withUnsafeMutableBytes { self.state.perform(.rename(to: UnsafeRawBufferPointer($0)), from: id) }
                    // Nodes that heard of this client under the nick it lost (which they give to
                    // its owner) learn its new one from its rooms' member lists. And this node asks
                    // for theirs: one that came while this client held the nick could not show
                    // its owner here (a thawed node's member lists race its nick claims).
                    for room in self.state.roomNames(of: id) {
                        let key = self.roomKey(room)
                        self.announceMembers(of: key)
                        self.publish(.sync(room: key), on: self.roomChannel(key))
                    }
                    break
                }
            }
        }
    }

    private func release(_ nick: Name) {
        commands.send(["EVAL", Self.releaseScript, "1", "sb:nicks", nick.string.lowercased(), String(decoding: nodeID, as: UTF8.self)])
    }

    // MARK: ChatObserver: what local clients do

    func chatAdmitted(_ client: ClientID, nick: Name) {
        guard !applying, !isGhostID(client) else { return }
        claim(nick, for: client)
    }

    func chatRenamed(_ client: ClientID, from old: Name, to new: Name) {
        guard !applying, !isGhostID(client) else { return }
        claim(new, for: client)
        release(old)
        publish(.renamed(old: Array(old.string.utf8), new: Array(new.string.utf8)), on: Self.globalChannel)
    }

    // A local client's join or part is this node's news even while it applies another node's
    // message (a line client kicked from its last room goes back to the lobby).
    func chatJoined(_ client: ClientID, room: Name) {
        guard !isGhostID(client), let nick = state.nickName(of: client) else { return }
        let key = roomKey(room)
        let created = state.memberCount(of: room) == 1
        let count = (localMembers[key] ?? 0) + 1
        localMembers[key] = count
        if count == 1 {
            if let timer = lingering.removeValue(forKey: key) {
                timer.cancel()
            } else {
                // Who else is in the room is asked once the subscription is confirmed (confirmed(_:_:)).
                subscriber.subscribe([roomChannel(key)])
            }
        }
        publishIdentity(of: client, nick, on: roomChannel(key))
        publish(.joined(room: Array(room.string.utf8), nick: Array(nick.string.utf8)), on: roomChannel(key))
        if let away = state.awayMessage(of: client) {
            publish(.away(nick: Array(nick.string.utf8), message: away), on: roomChannel(key))
        }
        roomEntered(key, room, createdHere: created)
    }

    func chatLeft(_ client: ClientID, room: Name, reason: WireText) {
        guard !isGhostID(client), let nick = state.nickName(of: client) else { return }
        let key = roomKey(room)
        if !applying {
            publish(.left(room: Array(room.string.utf8), nick: Array(nick.string.utf8), reason: Array(reason)),
                on: roomChannel(key))
        }
        localLeft(key)
    }

    func chatSaid(_ kind: MessageKind, room: Name, from client: ClientID, text: WireText) {
        guard !applying, !isGhostID(client), let nick = state.nickName(of: client) else { return }
        publish(.said(BusMessageKind(kind), room: Array(room.string.utf8), nick: Array(nick.string.utf8), text: Array(text)),
            on: roomChannel(roomKey(room)))
    }

    func chatSaid(_ kind: MessageKind, to recipient: ClientID, from client: ClientID, text: WireText) {
        guard !applying, !isGhostID(client), let node = ghostNodes[recipient],
            let to = state.nickName(of: recipient), let from = state.nickName(of: client)
        else { return }
        publish(.saidPrivately(BusMessageKind(kind), to: Array(to.string.utf8), from: Array(from.string.utf8), text: Array(text)),
            on: nodeChannel(node))
    }

    /// A node knows only the other nodes' clients it shares a room with: a private line for any
    /// other nick asks Redis which node holds it (one round trip; the answers come in the order
    /// asked, so one sender's lines keep their order) and goes to that node's channel.
    func chatWillMessageAbsent(_ kind: MessageKind, to nick: Name, from client: ClientID, text: WireText) -> Bool {
        guard !applying, !isGhostID(client), commands.state == .ready, let from = state.nickName(of: client) else {
            return false
        }
        let to = Array(nick.string.utf8)
        let text = Array(text)
        commands.send(["HGET", "sb:nicks", nick.string.lowercased()]) { reply in
            // The sender may have left meanwhile, and its id gone to another client.
            let senderHere = self.state.nickName(of: client) == from
            if case .success(let reply) = reply, !reply.isNull, !reply.isError, !reply.bytes.elementsEqual(self.nodeID) {
                self.counters.privateLookupsSent += 1
                let channel = self.nodeChannel(Array(reply.bytes))
                // That node may not know the sender: its stand-in there is made from this line.
                if senderHere { self.publishIdentity(of: client, from, on: channel) }
                self.publish(.saidPrivately(BusMessageKind(kind), to: to, from: Array(from.string.utf8), text: text),
                    on: channel)
                if senderHere, let session = self.server.delivery.table.session(client) as? IRCSession {
                    text.withUnsafeBytes { session.front.echoSent(kind, to: nick, text: $0) }
                }
                return
            }
            self.counters.privateLookupsAbsent += 1
            guard kind != .notice, senderHere else { return }
            to.withUnsafeBytes { self.state.report(.noSuchNick($0), to: client) }
        }
        return true
    }

    func chatDeparted(_ client: ClientID, nick: Name, reason: WireText) {
        if isGhostID(client) {
            ghostNodes[client] = nil
            isGhost[client.index] = false
            return
        }
        rooms.forgetHeld(client)
        guard !applying else { return }
        for room in state.roomNames(of: client) { localLeft(roomKey(room)) }
        release(nick)
        publish(.quit(nick: Array(nick.string.utf8), reason: Array(reason)), on: Self.globalChannel)
    }

    /// A local client left the room `key`: its channel lingers, then goes, with the ghosts' places.
    func localLeft(_ key: [UInt8]) {
        guard let count = localMembers[key] else { return }
        guard count <= 1 else {
            localMembers[key] = count - 1
            return
        }
        localMembers[key] = nil
        linger(key)
    }

    /// The room `key` has no local member: its channel stays for a while, then goes.
    func linger(_ key: [UInt8]) {
        guard lingering[key] == nil else { return }
        lingering[key] = server.reactor.schedule(afterMilliseconds: Self.lingerMilliseconds) { [unowned self] in
            self.lingering[key] = nil
            guard self.localMembers[key] == nil else { return }
            self.subscriber.unsubscribe([self.roomChannel(key)])
            self.confirmedRooms.remove(key)
            let channel = self.roomChannel(key)
            self.tracker.forget(channel: channel)
            self.tracker.forget(channel: channel + [0])
            self.dropGhosts(fromRoom: key)
            self.rooms.forget(key)
        }
    }

    // MARK: What other nodes say

    /// A room's channel is subscribed: say who is here and ask who else is. Both, because two nodes
    /// whose first members join at once may each publish before the other is subscribed; the one
    /// confirmed second then hears the first's answer to its question, and the first hears its news.
    private func confirmed(_ kind: RESPSubscriptionKind, _ channel: UnsafeRawBufferPointer) {
        guard kind == .subscribe, channel.starts(with: "sb:r:".utf8) else { return }
        let key = Array(channel.dropFirst(5))
        confirmedRooms.insert(key)
        announceMembers(of: key)
        askForState(of: key)
    }

    /// Publishes this node's clients in the room `key` (``BusMessage/here(room:nicks:)``), then
    /// the room's state and who of them is away; with `answering` (a sync asked), an empty list
    /// when none is here, so that a node waiting for every answer can count this one.
    func announceMembers(of key: [UInt8], answering: Bool = false) {
        guard localMembers[key] != nil, let name = key.withUnsafeBytes({ state.roomName($0) }) else {
            if answering { publish(.here(room: key, nicks: []), on: roomChannel(key)) }
            return
        }
        let locals = (state.members(of: name) ?? []).filter { !isGhostID($0) }
        // Each with its standing (`@` operator, `+` voiced): a node that meets them anew (after a
        // split it forgot them) takes their own node's word for it.
        let nicks = locals.compactMap { client in
            state.nickName(of: client).map { nick in
                let status = state.status(of: client, in: name)
                return (status.contains(.op) ? [0x40] : []) + (status.contains(.voice) ? [0x2B] : []) + Array(nick.string.utf8)
            }
        }
        for client in locals {
            if let nick = state.nickName(of: client) { publishIdentity(of: client, nick, on: roomChannel(key)) }
        }
        publish(.here(room: Array(name.string.utf8), nicks: nicks), on: roomChannel(key))
        announceState(of: key, name)
        for client in locals {
            guard let away = state.awayMessage(of: client), let nick = state.nickName(of: client) else { continue }
            publish(.away(nick: Array(nick.string.utf8), message: away), on: roomChannel(key))
        }
    }

    /// Who a local client is beyond its nick (IRC's user, host and real name), before a message
    /// that makes other nodes show it: their stand-in then has it from its first line. Line
    /// clients have none, and show as `line@line` everywhere.
    func publishIdentity(of client: ClientID, _ nick: Name, on channel: [UInt8]) {
        state.withIdentity(of: client) { identity in
            guard let identity, !identity.user.isEmpty, !identity.host.isEmpty,
                !identity.user.contains(ASCII.space), !identity.host.contains(ASCII.space)
            else { return }
            publish(.identity(nick: Array(nick.string.utf8), user: Array(identity.user), host: Array(identity.host),
                realName: Array(identity.realName)), on: channel)
        }
    }

    private func received(_ channel: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) {
        counters.received += 1
        let origin: BusOrigin
        let message: BusMessage
        do {
            (origin, message) = try BusMessage.decode(payload)
        } catch {
            counters.malformed += 1
            return
        }
        guard origin.node != nodeID else {
            if case .probe(let token) = message, token == probe?.token { probe = nil } else { counters.echoes += 1 }
            switch message {
            case .topic, .modes:
                if origin.epoch == epoch && channel.starts(with: "sb:r:".utf8) {
                    ownEchoed(message, sequence: origin.sequence, room: Array(channel.dropFirst(5)))
                }
            default:
                break
            }
            return
        }
        let channelBytes = Array(channel)
        switch tracker.record(origin, channel: Self.stream(channelBytes, of: message)) {
        case .next: break
        case .duplicate:
            counters.duplicates += 1
            return
        case .gap(let missed):
            counters.gaps += 1
            switch message {
            case .said, .saidPrivately: counters.missed += Int(missed)
            default: counters.missedControl += Int(missed)
            }
            if channelBytes.starts(with: "sb:r:".utf8) {
                let key = Array(channelBytes.dropFirst(5))
                // A state change may be among what was missed: the answers' state is ahead, then.
                publish(.sync(room: key), on: roomChannel(key))
            }
        }
        applying = true
        apply(message, from: origin.node)
        applying = false
        if !rooms.held.isEmpty { releaseReadyJoins() }
    }

    private func apply(_ message: BusMessage, from node: [UInt8]) {
        switch message {
        case .joined(let room, let nick):
            guard let ghost = ghost(nick, on: node) else { return }
            join(ghost, room)
        case .left(let room, let nick, let reason):
            guard let ghost = existingGhost(nick) else { return }
            room.withUnsafeBytes { room in reason.withUnsafeBytes { reason in
                state.replay(.part(room: room, reason: reason), from: ghost)
            } }
            collectIfRoomless(ghost)
        case .said(let kind, let room, let nick, let text):
            guard let ghost = ghost(nick, on: node) else { return }
            if !isMember(ghost, room) { join(ghost, room) }
            room.withUnsafeBytes { room in text.withUnsafeBytes { text in
                state.replay(.send(MessageKind(kind), text: text, to: .room(room)), from: ghost)
            } }
        case .saidPrivately(let kind, let to, let from, let text):
            guard let ghost = ghost(from, on: node) else { return }
            to.withUnsafeBytes { to in text.withUnsafeBytes { text in
                state.replay(.send(MessageKind(kind), text: text, to: .nick(to)), from: ghost)
            } }
        case .renamed(let old, let new):
            guard let ghost = existingGhost(old) else { return }
            new.withUnsafeBytes { state.replay(.rename(to: $0), from: ghost) }
            // A local client holds the new nick: Redis gave it to the other node, so the local one
            // is about to lose it. This ghost is stale; the rooms' member lists bring it back.
            if let nick = state.nickName(of: ghost), Array(nick.string.utf8) == old {
                remove(ghost, reason: nil)
            }
        case .identity(let nick, let user, let host, let realName):
            guard let ghost = ghost(nick, on: node) else { return }
            let identity = ClientIdentity(
                user: String(decoding: user, as: UTF8.self), host: String(decoding: host, as: UTF8.self),
                realName: String(decoding: realName, as: UTF8.self))
            if state.identity(of: ghost) != identity { state.setIdentity(ghost, identity) }
        case .quit(let nick, let reason):
            guard let ghost = existingGhost(nick) else { return }
            remove(ghost, reason: String(decoding: reason, as: UTF8.self))
        case .here(let room, let nicks):
            // The sender's whole list: its clients here that are not on it left while a message
            // saying so was lost. Each nick may carry its standing (`@`, `+`) in front.
            let entries = nicks.map { entry in (nick: Array(entry.drop { $0 == 0x40 || $0 == 0x2B }), standing: entry.prefix(2)) }
            if let name = room.withUnsafeBytes({ state.roomName($0) }) {
                let listed = Set(entries.map { $0.nick.map(Self.foldASCII) })
                for id in state.members(of: name) ?? [] where ghostNodes[id] == node {
                    guard let nick = state.nickName(of: id), !listed.contains(nick.string.utf8.map(Self.foldASCII)) else { continue }
                    room.withUnsafeBytes { room in
                        state.replay(.part(room: room, reason: UnsafeRawBufferPointer(start: nil, count: 0)), from: id)
                    }
                    collectIfRoomless(id)
                }
            }
            for (nick, standing) in entries {
                guard let ghost = ghost(nick, on: node), !isMember(ghost, room) else { continue }
                join(ghost, room)
                var status: MemberStatus = []
                if standing.contains(0x40) { status.insert(.op) }
                if standing.contains(0x2B) { status.insert(.voice) }
                if !status.isEmpty, let name = room.withUnsafeBytes({ state.roomName($0) }) {
                    state.setStanding(status, of: ghost, in: name)
                }
            }
            rooms.heard(here: !nicks.isEmpty, from: node, room: roomKey(room))
        case .sync(let room):
            announceMembers(of: roomKey(room), answering: true)
        case .nodeDown(let dead):
            if dead == nodeID {
                // Given up for dead while alive. Frozen, the lease renewal rejoins under a new
                // epoch; otherwise (Redis stalled, this node ran on time) saying again who it has
                // restores what the others just forgot.
                if server.reactor.now - lastTickAt < Int64(Self.leaseMilliseconds) { reassert(renewing: false) }
                return
            }
            forgetNode(dead)
        case .probe:
            break
        case .topic, .modes, .kicked, .invited, .away, .roomState:
            applyRoomChange(message, from: node)
        }
    }

    func join(_ ghost: ClientID, _ room: [UInt8]) {
        // A room made here for a ghost: what it holds comes from the nodes where it lives.
        if room.withUnsafeBytes({ state.roomName($0) }) == nil { rooms.forget(roomKey(room)) }
        room.withUnsafeBytes { state.replay(.join(room: $0, leavingOthers: false), from: ghost) }
    }

    func isMember(_ ghost: ClientID, _ room: [UInt8]) -> Bool {
        guard let name = room.withUnsafeBytes({ state.roomName($0) }) else { return false }
        return state.isMember(ghost, of: name)
    }

    @inline(__always)
    private static func foldASCII(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    func existingGhost(_ nick: [UInt8]) -> ClientID? {
        guard let id = nick.withUnsafeBytes({ state.client(named: $0) }), isGhostID(id) else { return nil }
        return id
    }

    /// The ghost of `nick` (a client of `node`), created if this node has not met it yet; `nil`
    /// when a local client holds the nick (Redis settles that conflict: the local one is renamed).
    func ghost(_ nick: [UInt8], on node: [UInt8]) -> ClientID? {
        if let id = nick.withUnsafeBytes({ state.client(named: $0) }) {
            guard isGhostID(id) else {
                counters.nickConflicts += 1
                return nil
            }
            ghostNodes[id] = node
            return id
        }
        let id = server.delivery.table.allocate()
        if id.index >= isGhost.count { isGhost.append(contentsOf: repeatElement(false, count: id.index + 1 - isGhost.count)) }
        isGhost[id.index] = true
        ghostNodes[id] = node
        state.connect(id, encoding: FrontEnd.remote)
        nick.withUnsafeBytes { state.perform(.rename(to: $0), from: id) }
        guard state.nickName(of: id) != nil else {
            remove(id, reason: nil)
            return nil
        }
        state.admit(id, joiningLobby: false)
        return id
    }

    /// Takes a ghost out: its departure is announced to the local clients that shared a room.
    func remove(_ ghost: ClientID, reason: String?) {
        state.disconnect(ghost, reason: reason)
        ghostNodes[ghost] = nil
        if ghost.index < isGhost.count { isGhost[ghost.index] = false }
        server.delivery.table.release(ghost)
    }

    func collectIfRoomless(_ ghost: ClientID) {
        if state.roomNames(of: ghost).isEmpty { remove(ghost, reason: nil) }
    }

    func forgetNode(_ node: [UInt8]) {
        tracker.forget(node: node)
        for (ghost, home) in ghostNodes where home == node {
            remove(ghost, reason: "node down")
        }
    }

    /// This node no longer follows the room `key`: its ghosts leave it quietly (no local client
    /// is there to hear), and those left in no room are forgotten.
    private func dropGhosts(fromRoom key: [UInt8]) {
        guard let name = key.withUnsafeBytes({ state.roomName($0) }) else { return }
        applying = true
        defer { applying = false }
        for member in state.members(of: name) ?? [] where isGhostID(member) {
            key.withUnsafeBytes { room in
                state.replay(.part(room: room, reason: UnsafeRawBufferPointer(start: nil, count: 0)), from: member)
            }
            collectIfRoomless(member)
        }
    }
}

extension BusMessageKind {
    init(_ kind: MessageKind) {
        switch kind {
        case .message: self = .message
        case .action: self = .action
        case .notice: self = .notice
        }
    }
}

extension MessageKind {
    init(_ kind: BusMessageKind) {
        switch kind {
        case .message: self = .message
        case .action: self = .action
        case .notice: self = .notice
        }
    }
}
