// RandomizedTests: thousands of seeded random steps (connect, admit, rename, join, part, message,
// quit, disconnect, setEncoding, listings, a sink that drops clients mid-broadcast) against a small
// model of the rules, checking after every step what each client received and the state's own
// invariants.

import Testing

@testable import ChatCore

/// xorshift64: a tiny seeded generator, so a failing run replays exactly.
struct Xorshift: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed &* 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        self.state ^= self.state << 13
        self.state ^= self.state >> 7
        self.state ^= self.state << 17
        return self.state
    }
}

/// The rules, kept the slow and obvious way: dictionaries, sorted scans, folded Strings.
struct ChatModel {
    struct Client {
        var encoding: UInt8
        var admitted = false
        /// Set once the client quit: its departure reason.
        var quitReason: String?
        var nick: String?
        /// Folded room names, in the order joined.
        var rooms: [String] = []
    }

    let presenceLimit: Int
    /// Indexed by raw client ID; `nil` when not connected.
    var clients: [Client?]
    /// Folded room name → the spelling of the client that created it; a room exists while it has members.
    var spelling: [String: String] = [:]
    var nextGuest = 1
    var messagesIn = 0
    var deliveriesOut = 0
    /// What each client should receive during the current step, in order.
    var expected: [Int32: [String]] = [:]
    var expectedCloses: [ClientID] = []

    init(presenceLimit: Int, clientCount: Int32) {
        self.presenceLimit = presenceLimit
        self.clients = Array(repeating: nil, count: Int(clientCount))
    }

    /// The connected clients' IDs, ascending.
    var ids: [Int32] { self.clients.indices.filter { self.clients[$0] != nil }.map(Int32.init) }

    var connectionCount: Int { self.clients.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Whether a name from the simulation's pools is valid. The pools hold only plain names and
    /// names that break every rule (empty, or with a space), so this needs no grammar.
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(" ")
    }

    func members(_ room: String) -> [Int32] {
        self.clients.indices.filter { self.clients[$0]?.rooms.contains(room) ?? false }.map(Int32.init)
    }

    func holder(of nick: String) -> Int32? {
        let folded = nick.lowercased()
        return self.clients.indices.first { self.clients[$0]?.nick?.lowercased() == folded }.map(Int32.init)
    }

    func nick(_ id: Int32) -> String { self.clients[Int(id)]!.nick! }

    func display(_ room: String) -> String { self.spelling[room]! }

    /// Whether `id` is connected and has not quit: only then does it get answers.
    func isActive(_ id: Int32) -> Bool { self.clients[id].map { $0.quitReason == nil } ?? false }

    mutating func out(_ id: Int32, _ event: String) {
        self.expected[id, default: []].append(event)
    }

    mutating func beginStep() {
        self.expected = [:]
        self.expectedCloses = []
    }

    // MARK: Presence

    mutating func announce(_ event: String, in room: String, by id: Int32, includingActor: Bool = true) {
        let members = self.members(room)
        if members.count <= self.presenceLimit {
            for member in members where includingActor || member != id { self.out(member, event) }
        } else if includingActor {
            self.out(id, event)
        }
    }

    mutating func enter(_ id: Int32, _ room: String, spelled: String) {
        if self.spelling[room] == nil { self.spelling[room] = spelled }
        self.clients[id]!.rooms.append(room)
        self.announce("joined \(self.display(room)) \(self.nick(id))", in: room, by: id)
    }

    mutating func leave(_ id: Int32, _ room: String, reason: String) {
        let event = "parted \(self.display(room)) \(self.nick(id))" + (reason.isEmpty ? "" : " (\(reason))")
        self.announce(event, in: room, by: id)
        self.clients[id]!.rooms.removeAll { $0 == room }
        if self.members(room).isEmpty { self.spelling[room] = nil }
    }

    /// Rooms within the presence limit, in the client's join order.
    func smallRooms(of id: Int32) -> [String] {
        self.clients[id]!.rooms.filter { self.members($0).count <= self.presenceLimit }
    }

    mutating func announceToPeers(_ event: String, of id: Int32) {
        let rooms = self.smallRooms(of: id)
        guard !rooms.isEmpty else {
            self.out(id, event)
            return
        }
        for member in Set(rooms.flatMap { self.members($0) }).sorted() { self.out(member, event) }
    }

    // MARK: Entry points

    mutating func connect(_ id: Int32, encoding: UInt8) {
        self.clients[id] = Client(encoding: encoding)
    }

    /// Admits as the state does: a guest nick if none was taken, the welcome, then the lobby.
    mutating func admit(_ id: Int32, joiningLobby: Bool) {
        guard let client = self.clients[id], !client.admitted, client.quitReason == nil else { return }
        if client.nick == nil {
            while self.holder(of: "guest\(self.nextGuest)") != nil { self.nextGuest += 1 }
            self.clients[id]!.nick = "guest\(self.nextGuest)"
            self.nextGuest += 1
        }
        self.clients[id]!.admitted = true
        // The welcome names the room the client is put in. (The pool of room names never respells
        // the lobby: see RegistrationTests.welcomeSpellsLobbyAsJoined for why.)
        self.out(id, "welcome \(self.nick(id)) in \(joiningLobby ? self.spelling["lobby"] ?? "lobby" : "no room")")
        if joiningLobby { self.enter(id, "lobby", spelled: "lobby") }
    }

    mutating func rename(_ id: Int32, to nick: String) {
        guard self.isActive(id) else { return }
        guard Self.isValid(nick) else { return self.out(id, "error badName(nick)") }
        let client = self.clients[id]!
        if client.nick == nick {
            if client.admitted { self.out(id, "renamed \(nick) -> \(nick)") }
            return
        }
        if let holder = self.holder(of: nick), holder != id { return self.out(id, "error nickTaken(\(nick))") }
        self.clients[id]!.nick = nick
        if client.admitted { self.announceToPeers("renamed \(client.nick!) -> \(nick)", of: id) }
    }

    /// Common checks: nil when the command goes ahead.
    func refusal(_ id: Int32) -> String? {
        self.clients[id]!.admitted ? nil : "error notRegistered"
    }

    mutating func join(_ id: Int32, _ raw: String, leavingOthers: Bool) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        guard Self.isValid(raw) else { return self.out(id, "error badName(room)") }
        let room = raw.lowercased()
        if leavingOthers {
            for other in self.clients[id]!.rooms where other != room { self.leave(id, other, reason: "") }
        }
        if self.clients[id]!.rooms.contains(room) {
            return self.out(id, "joined \(self.display(room)) \(self.nick(id))")
        }
        self.enter(id, room, spelled: raw)
    }

    mutating func part(_ id: Int32, _ raw: String, reason: String) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        guard Self.isValid(raw) else { return self.out(id, "error badName(room)") }
        let room = raw.lowercased()
        guard self.clients[id]!.rooms.contains(room) else { return self.out(id, "error notInRoom(\(raw))") }
        self.leave(id, room, reason: reason)
    }

    /// `room` nil for the current room.
    mutating func send(_ kind: MessageKind, _ text: String, toRoom raw: String?, from id: Int32) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        let room: String
        if let raw {
            guard Self.isValid(raw) else { return self.out(id, "error badName(room)") }
            room = raw.lowercased()
            guard self.clients[id]!.rooms.contains(room) else { return self.out(id, "error notInRoom(\(raw))") }
        } else {
            guard let first = self.clients[id]!.rooms.first else { return self.out(id, "error notInRoom()") }
            room = first
        }
        guard !text.isEmpty else { return self.out(id, "error missingText(\(kind), private: false)") }
        for member in self.members(room) where member != id {
            self.out(member, "\(kind) \(self.display(room)) \(self.nick(id)): \(text)")
            self.deliveriesOut += 1
        }
        self.messagesIn += 1
    }

    mutating func send(_ kind: MessageKind, _ text: String, toNick raw: String, from id: Int32) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        guard Self.isValid(raw) else { return self.out(id, "error badName(recipient)") }
        guard !text.isEmpty else { return self.out(id, "error missingText(\(kind), private: true)") }
        guard let holder = self.holder(of: raw), self.clients[holder]!.admitted else {
            return self.out(id, "error noSuchNick(\(raw))")
        }
        self.out(holder, "private \(kind) \(self.nick(id)) -> \(self.nick(holder)): \(text)")
        self.messagesIn += 1
        self.deliveriesOut += 1
    }

    mutating func quit(_ id: Int32, reason: String) {
        guard self.isActive(id) else { return }
        self.clients[id]!.quitReason = reason.isEmpty ? "quit" : reason
        self.out(id, reason.isEmpty ? "bye" : "bye (\(reason))")
        self.expectedCloses.append(ClientID(id))
    }

    mutating func disconnect(_ id: Int32, reason: String?) {
        guard let client = self.clients[id] else { return }
        if client.admitted {
            let reason = client.quitReason ?? reason ?? ""
            var told: Set<Int32> = [id]
            for room in self.smallRooms(of: id) {
                for member in self.members(room) where told.insert(member).inserted {
                    self.out(member, "quit \(client.nick!) (\(reason)) via \(self.display(room))")
                }
            }
        }
        self.clients[id] = nil
        for room in client.rooms where self.members(room).isEmpty { self.spelling[room] = nil }
    }

    mutating func listRooms(_ id: Int32) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        let rooms = self.spelling.keys.sorted().map { "\(self.display($0)):\(self.members($0).count)" }
        self.out(id, "rooms " + rooms.joined(separator: ", "))
    }

    mutating func listMembers(_ id: Int32, room raw: String?) {
        guard self.isActive(id) else { return }
        if let refusal = self.refusal(id) { return self.out(id, refusal) }
        let room: String
        let shown: String
        if let raw {
            guard Self.isValid(raw) else { return self.out(id, "error badName(room)") }
            room = raw.lowercased()
            shown = self.spelling[room] ?? raw
        } else {
            guard let first = self.clients[id]!.rooms.first else { return self.out(id, "error notInRoom()") }
            room = first
            shown = self.display(room)
        }
        let nicks = self.members(room).map { self.nick($0) }.sorted { $0.lowercased() < $1.lowercased() }
        self.out(id, "members \(shown): " + nicks.joined(separator: ", "))
    }
}

extension Array where Element == ChatModel.Client? {
    /// The model's client with raw ID `id`.
    subscript(_ id: Int32) -> ChatModel.Client? {
        get { self[Int(id)] }
        set { self[Int(id)] = newValue }
    }
}

/// One seeded run: how many encodings the clients use and the presence limit.
struct RandomRun: Sendable, CustomTestStringConvertible {
    let seed: UInt64
    let encodings: UInt8
    let presenceLimit: Int
    var testDescription: String {
        "seed \(self.seed), \(self.encodings) encodings, presence limit \(self.presenceLimit)"
    }
}

/// Drives a ``Chat`` and a ``ChatModel`` with the same random steps.
final class Simulation {
    static let clientCount: Int32 = 30
    static let roomNames = ["lobby", "den", "Den", "attic", "ATTIC", "cellar", "roof", "yard", "bad room"]
    static let nicks = [
        "alice", "Alice", "bob", "carol", "dave", "eve", "mallory", "trent", "guest1", "Guest2", "guest3", "x",
        "bad nick", "",
    ]

    let chat: Chat
    var model: ChatModel
    var rng: Xorshift
    let encodings: UInt8
    /// Set for one message step: the sink then drops one recipient of the first call, re-entrantly.
    var chaos = false
    var dropped: [ClientID] = []
    /// Broken rules seen from inside the sink during the current step.
    var violations: [String] = []
    /// Recipients of room chat lines during the current step, in delivery order.
    var chatRecipients: [ClientID] = []

    init(_ run: RandomRun) {
        self.chat = Chat(presenceLimit: run.presenceLimit)
        self.model = ChatModel(presenceLimit: run.presenceLimit, clientCount: Self.clientCount)
        self.rng = Xorshift(seed: run.seed)
        self.encodings = run.encodings
        self.chat.recorder.onDeliver = { [unowned self] delivery in self.inspect(delivery) }
    }

    /// Runs inside the sink: every recipient must be connected, of the call's encoding, listed once.
    func inspect(_ delivery: Delivery) {
        let state = self.chat.state
        if Set(delivery.recipients).count != delivery.recipients.count {
            self.violations.append("duplicate recipients in \(delivery)")
        }
        for recipient in delivery.recipients {
            guard let client = state.client(recipient) else {
                self.violations.append("\(recipient) is not connected: \(delivery)")
                continue
            }
            if Int(client.encoding.index) != delivery.encoding {
                self.violations.append("\(recipient) has \(client.encoding): \(delivery)")
            }
            if !client.isAdmitted && !delivery.event.hasPrefix("error") && !delivery.event.hasPrefix("bye") {
                self.violations.append("\(recipient) is pending: \(delivery)")
            }
        }
        guard !delivery.isPresence, case .room = delivery.audience else { return }
        self.chatRecipients += delivery.recipients
        if self.chaos, !delivery.recipients.isEmpty {
            self.chaos = false
            let victim = delivery.recipients[Int.random(in: 0..<delivery.recipients.count, using: &self.rng)]
            self.dropped.append(victim)
            state.disconnect(victim, reason: "slow")
        }
    }

    func pick<T>(_ values: [T]) -> T {
        values[Int.random(in: 0..<values.count, using: &self.rng)]
    }

    func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &self.rng) < percent
    }

    /// A connected client mostly, sometimes any identifier (commands to strangers do nothing).
    func anyClient() -> Int32 {
        let connected = self.model.ids
        if connected.isEmpty || self.chance(4) { return Int32.random(in: 0..<Self.clientCount, using: &self.rng) }
        return self.pick(connected)
    }

    /// A room name for `id` to use: with `held` percent chance one it is in (spelled in any case), else any.
    func roomName(for id: Int32, held: Int) -> String {
        let rooms = self.model.clients[id]?.rooms ?? []
        guard !rooms.isEmpty, self.chance(held) else { return self.pick(Self.roomNames) }
        let room = self.model.display(self.pick(rooms))
        return self.chance(20) ? room.uppercased() : room
    }

    /// Performs one random step on both sides and returns what it was, for failure messages.
    func step() -> String {
        self.model.beginStep()
        self.chat.reset()
        self.violations = []
        self.chatRecipients = []
        self.dropped = []
        let roll = Int.random(in: 0..<100, using: &self.rng)
        let state = self.chat.state
        switch roll {
        case 0..<12:
            let free = (0..<Self.clientCount).filter { self.model.clients[$0] == nil }
            guard !free.isEmpty else { return "connect: none free" }
            let id = self.pick(free)
            let encoding = UInt8.random(in: 0..<self.encodings, using: &self.rng)
            self.model.connect(id, encoding: encoding)
            self.chat.connect(id, encoding: encoding)
            // Most front ends admit at once; the rest register first.
            guard self.chance(70) else { return "connect \(id) encoding \(encoding)" }
            let lobby = self.chance(85)
            self.model.admit(id, joiningLobby: lobby)
            state.admit(ClientID(id), joiningLobby: lobby)
            return "connect and admit \(id) encoding \(encoding) lobby \(lobby)"
        case 12..<22:
            let pending = self.model.ids.filter { !self.model.clients[$0]!.admitted }
            let id = pending.isEmpty || self.chance(20) ? self.anyClient() : self.pick(pending)
            let lobby = self.chance(85)
            self.model.admit(id, joiningLobby: lobby)
            state.admit(ClientID(id), joiningLobby: lobby)
            return "admit \(id) lobby \(lobby)"
        case 22..<30:
            let (id, nick) = (self.anyClient(), self.pick(Self.nicks))
            self.model.rename(id, to: nick)
            self.chat.rename(ClientID(id), to: nick)
            return "rename \(id) to '\(nick)'"
        case 30..<44:
            let (id, room, leaving) = (self.anyClient(), self.pick(Self.roomNames), self.chance(25))
            self.model.join(id, room, leavingOthers: leaving)
            self.chat.join(ClientID(id), room, leavingOthers: leaving)
            return "join \(id) '\(room)' leavingOthers \(leaving)"
        case 44..<52:
            let id = self.anyClient()
            let (room, reason) = (self.roomName(for: id, held: 60), self.pick(["", "later"]))
            self.model.part(id, room, reason: reason)
            self.chat.part(ClientID(id), room, reason: reason)
            return "part \(id) '\(room)' '\(reason)'"
        case 52..<74:
            return self.roomMessage()
        case 74..<80:
            let (id, nick) = (self.anyClient(), self.pick(Self.nicks))
            let kind = self.pick([MessageKind.message, .action, .notice])
            let text = self.chance(5) ? "" : "psst \(Int.random(in: 0..<1000, using: &self.rng))"
            self.model.send(kind, text, toNick: nick, from: id)
            self.chat.send(text, to: .nick(nick), from: ClientID(id), kind: kind)
            return "private \(kind) \(id) to '\(nick)': '\(text)'"
        case 80..<83:
            let (id, reason) = (self.anyClient(), self.pick(["", "bye all"]))
            self.model.quit(id, reason: reason)
            self.chat.quit(ClientID(id), reason: reason)
            return "quit \(id) '\(reason)'"
        case 83..<91:
            let (id, reason) = (self.anyClient(), self.pick([nil, "closed"]))
            self.model.disconnect(id, reason: reason)
            self.chat.disconnect(ClientID(id), reason: reason)
            return "disconnect \(id) \(reason ?? "nil")"
        case 91..<95:
            let (id, encoding) = (self.anyClient(), UInt8.random(in: 0..<self.encodings, using: &self.rng))
            self.model.clients[id]?.encoding = encoding
            state.setEncoding(ClientID(id), Encoding(encoding))
            return "setEncoding \(id) \(encoding)"
        case 95..<98:
            let id = self.anyClient()
            if self.chance(30) {
                self.model.listRooms(id)
                self.chat.perform(.listRooms, from: ClientID(id))
                return "listRooms \(id)"
            }
            let room: String? = self.chance(40) ? nil : self.pick(Self.roomNames)
            self.model.listMembers(id, room: room)
            self.chat.listMembers(ClientID(id), room: room)
            return "listMembers \(id) \(room ?? "nil")"
        default:
            let id = self.anyClient()
            if self.model.isActive(id) { self.model.out(id, "error badLine") }
            state.report(.badLine, to: ClientID(id))
            return "report \(id)"
        }
    }

    /// A chat line to a room, sometimes with a sink that drops one recipient in the middle of it.
    func roomMessage() -> String {
        let id = self.anyClient()
        let room: String? = self.chance(35) ? nil : self.roomName(for: id, held: 75)
        let kind = self.pick([MessageKind.message, .message, .action, .notice])
        let text = self.chance(4) ? "" : "line \(Int.random(in: 0..<100_000, using: &self.rng))"
        self.chaos = self.chance(15)
        // The room's members by the state's own account, before the line: its recipients must be these.
        let client = self.chat.state.client(ClientID(id))
        let target = room.map { Name($0).flatMap { self.chat.state.rooms.find($0.key) } } ?? client?.firstRoom
        let members = target.map { self.chat.state.members(of: $0.name.string) } ?? []
        self.model.send(kind, text, toRoom: room, from: id)
        self.chat.send(text, to: room.map { To.room($0) } ?? .currentRoom, from: ClientID(id), kind: kind)
        self.chaos = false
        for victim in self.dropped { self.model.disconnect(victim.raw, reason: "slow") }
        if !self.chatRecipients.isEmpty,
            self.chatRecipients.map(\.raw).sorted() != members.map(\.raw).filter({ $0 != id })
        {
            self.violations.append("line reached \(self.chatRecipients), room has \(members)")
        }
        return "\(kind) \(id) to \(room.map { "'\($0)'" } ?? "current room"): '\(text)' dropping \(self.dropped)"
    }

    /// Compares the step's deliveries with the model, then the state with the model and with itself;
    /// stops the run at the first step that breaks anything.
    func check(_ label: String) throws {
        var problems = Problems()
        self.compare(&problems)
        Self.checkInvariants(of: self.chat.state, &problems)
        try #require(problems.list.isEmpty, "\(label): \(problems.list)")
    }

    func compare(_ problems: inout Problems) {
        let state = self.chat.state
        problems.list += self.violations
        for raw in 0..<Self.clientCount {
            let got = self.chat.received(ClientID(raw))
            let want = self.model.expected[raw] ?? []
            problems.check(got == want, "client \(raw) received \(got), expected \(want)")
        }
        problems.check(self.chat.recorder.closes == self.model.expectedCloses, "closes \(self.chat.recorder.closes)")
        for raw in 0..<Self.clientCount {
            let id = ClientID(raw)
            let client = self.model.clients[raw]
            problems.check((state.client(id) != nil) == (client != nil), "\(id) connected")
            problems.check(state.isAdmitted(id) == (client?.admitted ?? false), "\(id) admitted")
            problems.check(state.hasQuit(id) == (client?.quitReason != nil), "\(id) quit")
            problems.check(state.nick(of: id) == client?.nick, "\(id) nick \(state.nick(of: id) ?? "nil")")
            let rooms = client?.rooms.map { self.model.display($0) } ?? []
            problems.check(state.rooms(of: id) == rooms, "\(id) rooms \(state.rooms(of: id)), expected \(rooms)")
            problems.check(state.room(of: id) == rooms.first, "\(id) current room")
            if let client { problems.check(state.client(id)?.encoding.index == client.encoding, "\(id) encoding") }
        }
        problems.check(state.counters.connections == self.model.connectionCount, "connections")
        problems.check(state.counters.messagesIn == self.model.messagesIn, "messagesIn")
        problems.check(state.counters.deliveriesOut == self.model.deliveriesOut, "deliveriesOut")
        problems.check(state.roomCount == self.model.spelling.count, "roomCount")
    }

    /// What must hold of any ChatState, read through its internals.
    static func checkInvariants(of state: ChatState, _ problems: inout Problems) {
        var keys: Set<NameKey> = []
        var held: Set<ObjectIdentifier> = []
        var connections = 0
        for (index, client) in state.clients.enumerated() {
            guard let client else { continue }
            let id = ClientID(Int32(index))
            connections += 1
            if client.hasNick {
                problems.check(keys.insert(client.nick.key).inserted, "nick \(client.nick.string) held twice")
                problems.check(state.nickOwner(client.nick.key) == id, "registry owner of \(client.nick.string)")
            }
            problems.check(client.isAdmitted || client.roomCount == 0, "pending \(id) is in a room")
            let rooms = client.rooms
            problems.check(rooms.count == client.roomCount, "\(id) roomCount")
            problems.check(Set(rooms.map(ObjectIdentifier.init)).count == rooms.count, "\(id) joined a room twice")
            for room in rooms {
                problems.check(state.rooms.find(room.name.key) === room, "\(id) is in a room not in the directory")
                let partition = room.partitions[Int(client.encoding.index)]
                let slot = client.slot(in: room)
                problems.check(
                    partition.indices.contains(slot) && partition[slot] == id, "\(id) slot in \(room.name.string)")
                held.insert(ObjectIdentifier(room))
            }
        }
        problems.check(state.nicks.count == keys.count, "registry holds freed nicks")
        problems.check(state.counters.connections == connections, "connections counter")
        let directory = state.rooms.sortedByName()
        problems.check(directory.count == state.roomCount, "roomCount")
        problems.check(Set(directory.map(ObjectIdentifier.init)) == held, "rooms with members are not the rooms")
        for room in directory {
            let name = room.name.string
            problems.check(!room.isEmpty, "empty room \(name) kept")
            let members = room.partitions.flatMap { $0 }
            problems.check(room.count == members.count, "\(name) count is not the sum of partitions")
            problems.check(Set(members).count == members.count, "\(name) lists a member twice")
            for (index, partition) in room.partitions.enumerated() {
                for member in partition {
                    guard let client = state.client(member) else {
                        problems.list.append("\(member) in \(name) is gone")
                        continue
                    }
                    problems.check(client.isAdmitted, "\(member) in \(name) is pending")
                    problems.check(Int(client.encoding.index) == index, "\(member) in the wrong partition of \(name)")
                    problems.check(client.isMember(of: room), "\(member) does not know it is in \(name)")
                }
            }
        }
    }
}

/// Broken rules found in one step, collected without a macro call per check.
struct Problems {
    var list: [String] = []

    mutating func check(_ holds: Bool, _ problem: @autoclosure () -> String) {
        if !holds { self.list.append(problem()) }
    }
}

@Suite struct RandomizedTests {
    static let runs = [
        RandomRun(seed: 1, encodings: 2, presenceLimit: 1000),
        RandomRun(seed: 2, encodings: 3, presenceLimit: 1000),
        RandomRun(seed: 3, encodings: 3, presenceLimit: 4),
        RandomRun(seed: 4, encodings: 2, presenceLimit: 7),
    ]

    @Test("random steps keep every rule and invariant", arguments: runs)
    func randomSteps(_ run: RandomRun) throws {
        let simulation = Simulation(run)
        for step in 0..<2500 {
            let label = "step \(step): " + simulation.step()
            try simulation.check(label)
        }
        // The run must have exercised the interesting paths, or it proves little.
        #expect(simulation.model.messagesIn > 150)
        #expect(simulation.chat.state.counters.connections > 5)
    }
}
