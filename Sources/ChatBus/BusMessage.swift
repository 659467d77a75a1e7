// BusMessage: what Switchboard nodes tell each other through Redis pub/sub, as bytes and back.

import Codec

/// Who sent a bus message, and where it is in that sender's stream on its channel.
public struct BusOrigin: Equatable, Sendable {
    /// The sender's `--node-id`.
    public var node: [UInt8]
    /// The sender's boot epoch: a new one after every start (and after a lost lease), so a restarted
    /// node's sequence numbers are not mistaken for old ones.
    public var epoch: UInt64
    /// The message's number on its channel from this sender and epoch, from 1.
    public var sequence: UInt64

    public init(node: [UInt8], epoch: UInt64, sequence: UInt64) {
        self.node = node
        self.epoch = epoch
        self.sequence = sequence
    }
}

/// One fact a node publishes about its own clients, or a request between nodes. Names are raw
/// bytes (a nick or room already valid on the sending node); texts may hold any bytes but CR/LF.
///
/// On the wire, one line of space-separated fields, the last (a text or reason) running to the end:
/// `<node> <epoch> <seq> <type> <fields...>`, e.g. `n1 7 42 M m lobby alice hello there`.
public enum BusMessage: Equatable, Sendable {
    /// `nick` entered `room`.
    case joined(room: [UInt8], nick: [UInt8])
    /// `nick` left `room` (parted, moved or was kicked) with `reason`.
    case left(room: [UInt8], nick: [UInt8], reason: [UInt8])
    /// `nick` sent `text` to `room`.
    case said(BusMessageKind, room: [UInt8], nick: [UInt8], text: [UInt8])
    /// `from` sent `text` to `to` alone (published on the channel of `to`'s node).
    case saidPrivately(BusMessageKind, to: [UInt8], from: [UInt8], text: [UInt8])
    /// `old` is now called `new`.
    case renamed(old: [UInt8], new: [UInt8])
    /// `nick` left the server with `reason`.
    case quit(nick: [UInt8], reason: [UInt8])
    /// The sender's clients in `room`: the answer to ``sync(room:)``, and what a node says of its
    /// members after it reconnects. Each nick may be prefixed with its standing in the room: `@`
    /// for an operator, `+` for voice (`@+` for both); no nick starts with either.
    case here(room: [UInt8], nicks: [[UInt8]])
    /// Asks every node with members in `room` to say who they are (``here(room:nicks:)``).
    case sync(room: [UInt8])
    /// The node `node` is dead: forget its clients, announcing their departure.
    case nodeDown(node: [UInt8])
    /// The sender's liveness probe through its own channel: it expects to hear it back.
    case probe(token: UInt64)
    /// `nick` set the topic of `room` to `text` (empty: cleared), making the room's state
    /// `version`; `setBy` (`nick!user@host`) and `at` (wall-clock seconds) are what topic queries
    /// report.
    case topic(room: [UInt8], version: BusVersion, nick: [UInt8], setBy: [UInt8], at: UInt64, text: [UInt8])
    /// `nick` changed modes of `room`, as applied there, in order (at least one), making the
    /// room's state `version`.
    case modes(room: [UInt8], version: BusVersion, nick: [UInt8], changes: [BusModeChange])
    /// `by` put `nick` out of `room` with `reason` (empty for none).
    case kicked(room: [UInt8], nick: [UInt8], by: [UInt8], reason: [UInt8])
    /// `by` invited `nick` into `room` (published on the channel of `nick`'s node).
    case invited(room: [UInt8], nick: [UInt8], by: [UInt8])
    /// `nick` went away with `message`, or came back (empty).
    case away(nick: [UInt8], message: [UInt8])
    /// Who `nick` is beyond its nick (IRC's `user@host` and real name): published on a room's
    /// channel just before the sender's ``joined(room:nick:)`` or ``here(room:nicks:)`` naming
    /// it, so that its stand-ins elsewhere show it from their first line. `user` and `host` are
    /// not empty and hold no space.
    case identity(nick: [UInt8], user: [UInt8], host: [UInt8], realName: [UInt8])
    /// A room's whole state as the sender holds it: what follows its ``here(room:nicks:)``.
    case roomState(BusRoomState)
}

/// How far a room's state has come: the number of changes made to it (each node counts from the
/// highest it has heard) and the node that made the last one. Of two versions the one with more
/// changes is ahead, and for the same number the one whose node id sorts first. On the wire two
/// fields, `<count> <node>`.
public struct BusVersion: Equatable, Sendable {
    public var count: UInt64
    public var node: [UInt8]

    public init(count: UInt64, node: [UInt8]) {
        self.count = count
        self.node = node
    }

    /// Whether this version is ahead of `other`.
    public func isAhead(of other: BusVersion) -> Bool {
        count != other.count ? count > other.count : node.lexicographicallyPrecedes(other.node)
    }
}

/// One channel mode change on the bus: IRC's letter (`i k l m n t b o v`), `+` or `-`, and its
/// argument (the key, the limit, the mask or the nick; empty for none). On the wire one field,
/// `+kSecret`, `-m`, `+oalice`.
public struct BusModeChange: Equatable, Sendable {
    public var adding: Bool
    public var letter: UInt8
    public var argument: [UInt8]

    public init(adding: Bool, letter: UInt8, argument: [UInt8] = []) {
        self.adding = adding
        self.letter = letter
        self.argument = argument
    }
}

/// A room's state in a ``BusMessage/roomState(_:)``: its lineage (when and where the room was
/// created, which decides between two nodes' versions of one room), its modes and lists, and
/// its topic.
///
/// On the wire: `F <room> <lineage ms> <lineage node> <version> <created> +<flags> <key> <limit> <n> <ops…>
/// <n> <voices…> <n> <bans…> <topic time> <setter> <topic…>`, where the key and the setter are
/// `-` for none or `=` and the value, a limit of 0 is none, and the topic runs to the end.
public struct BusRoomState: Equatable, Sendable {
    public var room: [UInt8]
    /// Wall-clock milliseconds at the room's creation, and the node that created it.
    public var lineage: UInt64
    public var lineageNode: [UInt8]
    public var version: BusVersion
    /// Wall-clock seconds at creation, as IRC's 329 shows it.
    public var createdAt: UInt64
    /// The flag modes set, as IRC letters (`imnt`).
    public var flags: [UInt8]
    public var key: [UInt8]?
    /// 0 for no limit.
    public var limit: UInt64
    public var ops: [[UInt8]]
    public var voices: [[UInt8]]
    public var bans: [[UInt8]]
    public var topicSetAt: UInt64
    /// Empty when no topic was ever set.
    public var topicSetBy: [UInt8]
    public var topic: [UInt8]

    public init(
        room: [UInt8], lineage: UInt64, lineageNode: [UInt8], version: BusVersion, createdAt: UInt64, flags: [UInt8] = [],
        key: [UInt8]? = nil, limit: UInt64 = 0, ops: [[UInt8]] = [], voices: [[UInt8]] = [], bans: [[UInt8]] = [],
        topicSetAt: UInt64 = 0, topicSetBy: [UInt8] = [], topic: [UInt8] = []
    ) {
        self.room = room
        self.lineage = lineage
        self.lineageNode = lineageNode
        self.version = version
        self.createdAt = createdAt
        self.flags = flags
        self.key = key
        self.limit = limit
        self.ops = ops
        self.voices = voices
        self.bans = bans
        self.topicSetAt = topicSetAt
        self.topicSetBy = topicSetBy
        self.topic = topic
    }
}

/// The kind of a chat line on the bus: said, acted or noticed.
public enum BusMessageKind: UInt8, Sendable {
    case message = 0x6D  // m
    case action = 0x61  // a
    case notice = 0x6E  // n
}

/// Why bytes from the bus are not a ``BusMessage``.
public enum BusDecodingError: Error, Equatable, Sendable {
    case missingField(String)
    case badNumber(String)
    case unknownType(UInt8)
    case badKind(UInt8)
    case badMode(String)
}

extension BusMessage {
    /// Appends `origin` and the message as one bus payload.
    public func encode(from origin: BusOrigin, into buffer: inout EncodeBuffer) {
        buffer.append(origin.node)
        buffer.append(byte: ASCII.space)
        buffer.append(decimal: origin.epoch)
        buffer.append(byte: ASCII.space)
        buffer.append(decimal: origin.sequence)
        buffer.append(byte: ASCII.space)
        func field(_ bytes: [UInt8]) {
            buffer.append(byte: ASCII.space)
            buffer.append(bytes)
        }
        func number(_ value: UInt64) {
            buffer.append(byte: ASCII.space)
            buffer.append(decimal: value)
        }
        switch self {
        case .joined(let room, let nick):
            buffer.append(byte: 0x4A)  // J
            field(room)
            field(nick)
        case .left(let room, let nick, let reason):
            buffer.append(byte: 0x50)  // P
            field(room)
            field(nick)
            field(reason)
        case .said(let kind, let room, let nick, let text):
            buffer.append(byte: 0x4D)  // M
            field([kind.rawValue])
            field(room)
            field(nick)
            field(text)
        case .saidPrivately(let kind, let to, let from, let text):
            buffer.append(byte: 0x57)  // W
            field([kind.rawValue])
            field(to)
            field(from)
            field(text)
        case .renamed(let old, let new):
            buffer.append(byte: 0x52)  // R
            field(old)
            field(new)
        case .quit(let nick, let reason):
            buffer.append(byte: 0x51)  // Q
            field(nick)
            field(reason)
        case .here(let room, let nicks):
            buffer.append(byte: 0x48)  // H
            field(room)
            for nick in nicks { field(nick) }
        case .sync(let room):
            buffer.append(byte: 0x53)  // S
            field(room)
        case .nodeDown(let node):
            buffer.append(byte: 0x44)  // D
            field(node)
        case .probe(let token):
            buffer.append(byte: 0x4B)  // K
            number(token)
        case .topic(let room, let version, let nick, let setBy, let at, let text):
            buffer.append(byte: 0x54)  // T
            field(room)
            number(version.count)
            field(version.node)
            field(nick)
            number(at)
            field(setBy)
            field(text)
        case .modes(let room, let version, let nick, let changes):
            buffer.append(byte: 0x43)  // C
            field(room)
            number(version.count)
            field(version.node)
            field(nick)
            for change in changes {
                buffer.append(byte: ASCII.space)
                buffer.append(byte: change.adding ? 0x2B : 0x2D)
                buffer.append(byte: change.letter)
                buffer.append(change.argument)
            }
        case .kicked(let room, let nick, let by, let reason):
            buffer.append(byte: 0x58)  // X
            field(room)
            field(nick)
            field(by)
            field(reason)
        case .invited(let room, let nick, let by):
            buffer.append(byte: 0x49)  // I
            field(room)
            field(nick)
            field(by)
        case .away(let nick, let message):
            buffer.append(byte: 0x41)  // A
            field(nick)
            field(message)
        case .identity(let nick, let user, let host, let realName):
            buffer.append(byte: 0x55)  // U
            field(nick)
            field(user)
            field(host)
            field(realName)
        case .roomState(let state):
            buffer.append(byte: 0x46)  // F
            func optional(_ value: [UInt8]?) {
                buffer.append(byte: ASCII.space)
                guard let value, !value.isEmpty else { return buffer.append(byte: 0x2D) }
                buffer.append(byte: 0x3D)
                buffer.append(value)
            }
            func list(_ items: [[UInt8]]) {
                number(UInt64(items.count))
                for item in items { field(item) }
            }
            field(state.room)
            number(state.lineage)
            field(state.lineageNode)
            number(state.version.count)
            field(state.version.node)
            number(state.createdAt)
            buffer.append(byte: ASCII.space)
            buffer.append(byte: 0x2B)
            buffer.append(state.flags)
            optional(state.key)
            number(state.limit)
            list(state.ops)
            list(state.voices)
            list(state.bans)
            number(state.topicSetAt)
            optional(state.topicSetBy)
            field(state.topic)
        }
    }

    /// The origin and message in `payload`.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(BusDecodingError) -> (BusOrigin, BusMessage) {
        var fields = FieldReader(payload)
        let node = try fields.next("node")
        let epoch = try fields.number("epoch")
        let sequence = try fields.number("sequence")
        let type = try fields.next("type")
        guard type.count == 1 else { throw .unknownType(type.first ?? 0) }
        let origin = BusOrigin(node: node, epoch: epoch, sequence: sequence)
        func version() throws(BusDecodingError) -> BusVersion {
            BusVersion(count: try fields.number("version"), node: try fields.next("version node"))
        }
        func kind() throws(BusDecodingError) -> BusMessageKind {
            let field = try fields.next("kind")
            guard field.count == 1, let kind = BusMessageKind(rawValue: field[0]) else { throw .badKind(field.first ?? 0) }
            return kind
        }
        switch type[0] {
        case 0x4A: return (origin, .joined(room: try fields.next("room"), nick: try fields.next("nick")))
        case 0x50:
            return (origin, .left(room: try fields.next("room"), nick: try fields.next("nick"), reason: fields.rest()))
        case 0x4D:
            let kind = try kind()
            return (origin, .said(kind, room: try fields.next("room"), nick: try fields.next("nick"), text: fields.rest()))
        case 0x57:
            let kind = try kind()
            return (origin, .saidPrivately(kind, to: try fields.next("to"), from: try fields.next("from"), text: fields.rest()))
        case 0x52: return (origin, .renamed(old: try fields.next("old"), new: try fields.next("new")))
        case 0x51: return (origin, .quit(nick: try fields.next("nick"), reason: fields.rest()))
        case 0x48:
            let room = try fields.next("room")
            var nicks: [[UInt8]] = []
            while let nick = try fields.listItem("nick") { nicks.append(nick) }
            return (origin, .here(room: room, nicks: nicks))
        case 0x53: return (origin, .sync(room: try fields.next("room")))
        case 0x44: return (origin, .nodeDown(node: try fields.next("node")))
        case 0x4B: return (origin, .probe(token: try fields.number("token")))
        case 0x54:
            let room = try fields.next("room")
            let version = try version()
            let nick = try fields.next("nick")
            let at = try fields.number("time")
            return (origin, .topic(room: room, version: version, nick: nick, setBy: try fields.next("setter"), at: at, text: fields.rest()))
        case 0x43:
            let room = try fields.next("room")
            let version = try version()
            let nick = try fields.next("nick")
            var changes: [BusModeChange] = []
            while let token = try fields.listItem("mode") {
                guard token.count >= 2, token[0] == 0x2B || token[0] == 0x2D else {
                    throw .badMode(String(decoding: token, as: UTF8.self))
                }
                changes.append(BusModeChange(adding: token[0] == 0x2B, letter: token[1], argument: Array(token.dropFirst(2))))
            }
            guard !changes.isEmpty else { throw .missingField("mode") }
            return (origin, .modes(room: room, version: version, nick: nick, changes: changes))
        case 0x58:
            let room = try fields.next("room")
            let nick = try fields.next("nick")
            return (origin, .kicked(room: room, nick: nick, by: try fields.next("by"), reason: fields.rest()))
        case 0x49:
            let room = try fields.next("room")
            let nick = try fields.next("nick")
            return (origin, .invited(room: room, nick: nick, by: try fields.next("by")))
        case 0x41:
            let nick = try fields.next("nick")
            return (origin, .away(nick: nick, message: fields.rest()))
        case 0x55:
            let nick = try fields.next("nick")
            let user = try fields.next("user")
            let host = try fields.next("host")
            return (origin, .identity(nick: nick, user: user, host: host, realName: fields.rest()))
        case 0x46:
            func optional(_ name: String) throws(BusDecodingError) -> [UInt8]? {
                let field = try fields.next(name)
                if field == [0x2D] { return nil }
                guard field.count > 1, field[0] == 0x3D else { throw .missingField(name) }
                return Array(field.dropFirst())
            }
            func list(_ name: String) throws(BusDecodingError) -> [[UInt8]] {
                let count = try fields.number(name)
                var items: [[UInt8]] = []
                for _ in 0..<count { items.append(try fields.next(name)) }
                return items
            }
            let room = try fields.next("room")
            let lineage = try fields.number("lineage")
            let lineageNode = try fields.next("lineage node")
            let version = try version()
            let createdAt = try fields.number("created")
            let flags = try fields.next("flags")
            guard flags[0] == 0x2B else { throw .badMode(String(decoding: flags, as: UTF8.self)) }
            let key = try optional("key")
            let limit = try fields.number("limit")
            let ops = try list("ops")
            let voices = try list("voices")
            let bans = try list("bans")
            let topicSetAt = try fields.number("topic time")
            let topicSetBy = try optional("setter") ?? []
            return (origin, .roomState(BusRoomState(
                room: room, lineage: lineage, lineageNode: lineageNode, version: version, createdAt: createdAt,
                flags: Array(flags.dropFirst()),
                key: key, limit: limit, ops: ops, voices: voices, bans: bans, topicSetAt: topicSetAt,
                topicSetBy: topicSetBy, topic: fields.rest())))
        default: throw .unknownType(type[0])
        }
    }
}

/// Space-separated fields of a payload, and the rest of it.
private struct FieldReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func nextIfAny() -> [UInt8]? {
        guard index < bytes.count else { return nil }
        let start = index
        while index < bytes.count && bytes[index] != ASCII.space { index += 1 }
        let field = Array(bytes[start..<index])
        if index < bytes.count { index += 1 }
        return field.isEmpty ? nil : field
    }

    /// The next field of a list that runs to the end, nil at the end. An empty field (two spaces) is
    /// an error rather than the end: the items after it would otherwise be dropped without a word.
    mutating func listItem(_ name: String) throws(BusDecodingError) -> [UInt8]? {
        guard index < bytes.count else { return nil }
        guard let item = nextIfAny() else { throw .missingField(name) }
        return item
    }

    mutating func next(_ name: String) throws(BusDecodingError) -> [UInt8] {
        guard let field = nextIfAny() else { throw .missingField(name) }
        return field
    }

    mutating func number(_ name: String) throws(BusDecodingError) -> UInt64 {
        let field = try next(name)
        var value: UInt64 = 0
        for byte in field {
            guard byte >= 0x30 && byte <= 0x39 else { throw .badNumber(name) }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1 && !overflow2 else { throw .badNumber(name) }
            value = sum
        }
        return value
    }

    /// Everything after the fields read so far: a text, which may contain spaces or be empty.
    mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}
