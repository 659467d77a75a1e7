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
    /// members after it reconnects.
    case here(room: [UInt8], nicks: [[UInt8]])
    /// Asks every node with members in `room` to say who they are (``here(room:nicks:)``).
    case sync(room: [UInt8])
    /// The node `node` is dead: forget its clients, announcing their departure.
    case nodeDown(node: [UInt8])
    /// The sender's liveness probe through its own channel: it expects to hear it back.
    case probe(token: UInt64)
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
            buffer.append(byte: ASCII.space)
            buffer.append(decimal: token)
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
            while let nick = fields.nextIfAny() { nicks.append(nick) }
            return (origin, .here(room: room, nicks: nicks))
        case 0x53: return (origin, .sync(room: try fields.next("room")))
        case 0x44: return (origin, .nodeDown(node: try fields.next("node")))
        case 0x4B: return (origin, .probe(token: try fields.number("token")))
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
