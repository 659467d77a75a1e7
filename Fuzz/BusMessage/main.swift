// FuzzBusMessage: libFuzzer target for what nodes read off the Redis bus: BusMessage's decoder and
// encoder, and the SequenceTracker that judges each message's place in its sender's stream.
// Raw payloads must decode or be refused (never trap); what decodes must encode to bytes that
// decode to the same origin and message and encode to themselves again. Messages built from the
// input (any numbers, any bytes in texts) must come back exactly. Programs of records and forgets
// must get the verdicts a model of each sender's stream gives.

import ChatBus
import Codec
import FuzzSupport

func encode(_ message: BusMessage, from origin: BusOrigin, into buffer: inout EncodeBuffer) -> [UInt8] {
    buffer.removeAll()
    message.encode(from: origin, into: &buffer)
    return buffer.array
}

func decoded(_ bytes: [UInt8]) -> (BusOrigin, BusMessage)? {
    bytes.withUnsafeBytes { payload in
        do {
            return try BusMessage.decode(payload)
        } catch {
            return nil
        }
    }
}

/// A raw payload: refused, or stable through encode → decode → encode.
func checkPayload(_ payload: UnsafeRawBufferPointer, _ buffer: inout EncodeBuffer) {
    let origin: BusOrigin
    let message: BusMessage
    do {
        (origin, message) = try BusMessage.decode(payload)
    } catch {
        return
    }
    checkFields(origin, message)
    let wire = encode(message, from: origin, into: &buffer)
    guard let (origin2, message2) = decoded(wire) else {
        return require(false, "\(message) from \(origin) encodes to \(wire), which is refused")
    }
    require(origin2 == origin && message2 == message, "\(wire) decodes to \(message2), was \(message)")
    let again = encode(message2, from: origin2, into: &buffer)
    require(again == wire, "encoding is not stable: \(again), was \(wire)")
}

/// What the decoder may hand the node: names as one non-empty word each.
func checkFields(_ origin: BusOrigin, _ message: BusMessage) {
    func isWord(_ name: [UInt8]) -> Bool { !name.isEmpty && !Bytes.contains(ASCII.space, in: name) }
    require(isWord(origin.node), "node \(origin.node)")
    let names: [[UInt8]]
    switch message {
    case .joined(let room, let nick), .left(let room, let nick, _), .said(_, let room, let nick, _):
        names = [room, nick]
    case .saidPrivately(_, let to, let from, _): names = [to, from]
    case .renamed(let old, let new): names = [old, new]
    case .quit(let nick, _): names = [nick]
    case .here(let room, let nicks): names = [room] + nicks
    case .sync(let room): names = [room]
    case .nodeDown(let node): names = [node]
    case .probe: names = []
    case .topic(let room, let version, let nick, let setBy, _, _): names = [room, version.node, nick, setBy]
    case .modes(let room, let version, let nick, let changes):
        names = [room, version.node, nick]
        require(!changes.isEmpty, "\(message): no change")
        for change in changes {
            require(change.letter != ASCII.space && !Bytes.contains(ASCII.space, in: change.argument), "\(message): \(change)")
        }
    case .kicked(let room, let nick, let by, _), .invited(let room, let nick, let by): names = [room, nick, by]
    case .away(let nick, _): names = [nick]
    case .identity(let nick, let user, let host, _): names = [nick, user, host]
    case .roomState(let state):
        names = [state.room, state.lineageNode, state.version.node] + state.ops + state.voices + state.bans
            + (state.key.map { [$0] } ?? []) + (state.topicSetBy.isEmpty ? [] : [state.topicSetBy])
        require(!Bytes.contains(ASCII.space, in: state.flags), "\(message): flags")
    }
    for name in names { require(isWord(name), "\(message): a name that is not one word") }
}

/// A name from the input: 1 to 8 bytes, none of them a space.
func name(_ reader: inout FuzzReader) -> [UInt8] {
    let bytes = Array(reader.take(1 + reader.below(8))).map { $0 == ASCII.space ? UInt8(ascii: "_") : $0 }
    return bytes.isEmpty ? [UInt8(ascii: "n")] : bytes
}

func number(_ reader: inout FuzzReader) -> UInt64 {
    // Small, near the edges of Int64 and UInt64, or any.
    let edges: [UInt64] = [0, 1, UInt64(Int64.max), UInt64(Int64.max) + 1, .max]
    switch reader.below(4) {
    case 0: return UInt64(reader.byte())
    case 1: return edges[reader.below(edges.count)]
    default: return (0..<8).reduce(0) { value, _ in value << 8 | UInt64(reader.byte()) }
    }
}

/// A message and origin built from the input, which must come back exactly.
func checkBuilt(_ reader: inout FuzzReader, _ buffer: inout EncodeBuffer) {
    let origin = BusOrigin(node: name(&reader), epoch: number(&reader), sequence: number(&reader))
    let kinds: [BusMessageKind] = [.message, .action, .notice]
    func text() -> [UInt8] { Array(reader.take(reader.below(40))) }
    let message: BusMessage
    func names() -> [[UInt8]] { (0..<reader.below(4)).map { _ in name(&reader) } }
    func version() -> BusVersion { BusVersion(count: number(&reader), node: name(&reader)) }
    switch reader.below(17) {
    case 0: message = .joined(room: name(&reader), nick: name(&reader))
    case 1: message = .left(room: name(&reader), nick: name(&reader), reason: text())
    case 2: message = .said(kinds[reader.below(3)], room: name(&reader), nick: name(&reader), text: text())
    case 3: message = .saidPrivately(kinds[reader.below(3)], to: name(&reader), from: name(&reader), text: text())
    case 4: message = .renamed(old: name(&reader), new: name(&reader))
    case 5: message = .quit(nick: name(&reader), reason: text())
    case 6: message = .here(room: name(&reader), nicks: (0..<reader.below(6)).map { _ in name(&reader) })
    case 7: message = .sync(room: name(&reader))
    case 8: message = .nodeDown(node: name(&reader))
    case 9: message = .probe(token: number(&reader))
    case 10:
        message = .topic(room: name(&reader), version: version(), nick: name(&reader), setBy: name(&reader), at: number(&reader),
            text: text())
    case 11:
        let changes = (0...reader.below(4)).map { _ in
            // Any letter but a space; an argument of one word or none.
            BusModeChange(
                adding: reader.below(2) == 0, letter: name(&reader)[0], argument: reader.below(2) == 0 ? [] : name(&reader))
        }
        message = .modes(room: name(&reader), version: version(), nick: name(&reader), changes: changes)
    case 12: message = .kicked(room: name(&reader), nick: name(&reader), by: name(&reader), reason: text())
    case 13: message = .invited(room: name(&reader), nick: name(&reader), by: name(&reader))
    case 14: message = .away(nick: name(&reader), message: text())
    case 15: message = .identity(nick: name(&reader), user: name(&reader), host: name(&reader), realName: text())
    default:
        // A key and a setter are one word each, or none (never empty: that is none on the wire).
        message = .roomState(BusRoomState(
            room: name(&reader), lineage: number(&reader), lineageNode: name(&reader), version: version(),
            createdAt: number(&reader), flags: reader.below(2) == 0 ? [] : name(&reader),
            key: reader.below(2) == 0 ? nil : name(&reader), limit: number(&reader), ops: names(), voices: names(),
            bans: names(), topicSetAt: number(&reader), topicSetBy: reader.below(2) == 0 ? [] : name(&reader), topic: text()))
    }
    let wire = encode(message, from: origin, into: &buffer)
    guard let (origin2, message2) = decoded(wire) else {
        return require(false, "\(message) from \(origin) encodes to \(wire), which is refused")
    }
    require(origin2 == origin, "origin \(origin2), encoded \(origin)")
    require(message2 == message, "message \(message2), encoded \(message)")
}

/// Records and forgets against a model that keeps every stream's history, not just its last number.
func checkTracker(_ reader: inout FuzzReader) {
    struct Key: Hashable {
        var node: UInt8
        var channel: UInt8
    }
    var tracker = SequenceTracker()
    // The numbers accepted in each stream's epoch, as bits (they are below 16), and the last one.
    var model: [Key: (epoch: UInt64, accepted: UInt16, last: UInt64)] = [:]
    while !reader.isAtEnd {
        let op = reader.byte()
        let node = op & 3
        let channel = (op >> 2) & 3
        switch op >> 4 {
        case 0:
            tracker.forget(node: [node])
            model = model.filter { $0.key.node != node }
        case 1:
            tracker.forget(channel: [channel])
            model = model.filter { $0.key.channel != channel }
        default:
            let epoch = UInt64(op >> 4 & 1)
            let sequence = UInt64(reader.byte() % 16)
            let key = Key(node: node, channel: channel)
            let verdict = tracker.record(BusOrigin(node: [node], epoch: epoch, sequence: sequence), channel: [channel])
            let expected: SequenceVerdict
            if let stream = model[key], stream.epoch == epoch {
                let last = stream.last
                if stream.accepted & 1 << sequence != 0 || sequence < last {
                    expected = .duplicate
                } else {
                    expected = sequence == last + 1 ? .next : .gap(missed: sequence - last - 1)
                    model[key] = (epoch, stream.accepted | 1 << sequence, sequence)
                }
            } else {
                // A new sender, or a new epoch of one: its stream starts over wherever it starts.
                expected = .next
                model[key] = (epoch, 1 << sequence, sequence)
            }
            require(verdict == expected, "node \(node) channel \(channel) epoch \(epoch) #\(sequence): \(verdict)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    var buffer = EncodeBuffer(capacity: 256)
    switch reader.byte() % 4 {
    case 0:
        checkBuilt(&reader, &buffer)
    case 1:
        checkTracker(&reader)
    default:
        checkPayload(reader.rest(), &buffer)
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
