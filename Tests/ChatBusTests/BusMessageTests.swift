// BusMessageTests: every bus message as golden bytes and back, texts with spaces and any bytes,
// refusals, and the per-sender sequence check.

import ChatBus
import Codec
import Testing

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

private func v(_ count: UInt64, _ node: String) -> BusVersion { BusVersion(count: count, node: b(node)) }

private func encoded(_ message: BusMessage, _ origin: BusOrigin) -> [UInt8] {
    var buffer = EncodeBuffer()
    message.encode(from: origin, into: &buffer)
    return buffer.array
}

@Suite struct BusMessageTests {
    let origin = BusOrigin(node: b("node-1"), epoch: 77, sequence: 5)

    @Test("every message has golden bytes and decodes back to itself")
    func roundTrips() throws {
        let cases: [(BusMessage, String)] = [
            (.joined(room: b("lobby"), nick: b("alice")), "node-1 77 5 J lobby alice"),
            (.left(room: b("lobby"), nick: b("alice"), reason: b("off to bed")), "node-1 77 5 P lobby alice off to bed"),
            (.left(room: b("lobby"), nick: b("alice"), reason: []), "node-1 77 5 P lobby alice "),
            (.said(.message, room: b("lobby"), nick: b("alice"), text: b("hello  there ")), "node-1 77 5 M m lobby alice hello  there "),
            (.said(.action, room: b("lobby"), nick: b("bob"), text: b("waves")), "node-1 77 5 M a lobby bob waves"),
            (.saidPrivately(.notice, to: b("bob"), from: b("alice"), text: b("psst")), "node-1 77 5 W n bob alice psst"),
            (.renamed(old: b("alice"), new: b("alicia")), "node-1 77 5 R alice alicia"),
            (.quit(nick: b("bob"), reason: b("Quit: bye")), "node-1 77 5 Q bob Quit: bye"),
            (.here(room: b("lobby"), nicks: [b("a"), b("b"), b("c")]), "node-1 77 5 H lobby a b c"),
            (.here(room: b("lobby"), nicks: []), "node-1 77 5 H lobby"),
            (.sync(room: b("lobby")), "node-1 77 5 S lobby"),
            (.nodeDown(node: b("node-2")), "node-1 77 5 D node-2"),
            (.probe(token: 123456789), "node-1 77 5 K 123456789"),
            (.topic(room: b("den"), version: v(12, "node-1"), nick: b("alice"), setBy: b("alice!al@host"), at: 1_700_000_000,
                text: b("a topic  with spaces")),
                "node-1 77 5 T den 12 node-1 alice 1700000000 alice!al@host a topic  with spaces"),
            (.topic(room: b("den"), version: v(1, "n"), nick: b("alice"), setBy: b("alice!al@host"), at: 9, text: []),
                "node-1 77 5 T den 1 n alice 9 alice!al@host "),
            (.modes(room: b("den"), version: v(13, "node-2"), nick: b("alice"), changes: [
                BusModeChange(adding: true, letter: UInt8(ascii: "m")),
                BusModeChange(adding: true, letter: UInt8(ascii: "k"), argument: b("s3cr:t")),
                BusModeChange(adding: false, letter: UInt8(ascii: "b"), argument: b("*!*@bad.example")),
                BusModeChange(adding: true, letter: UInt8(ascii: "o"), argument: b("bob")),
                BusModeChange(adding: false, letter: UInt8(ascii: "l")),
            ]), "node-1 77 5 C den 13 node-2 alice +m +ks3cr:t -b*!*@bad.example +obob -l"),
            (.kicked(room: b("den"), nick: b("bob"), by: b("alice"), reason: b("out you go")), "node-1 77 5 X den bob alice out you go"),
            (.kicked(room: b("den"), nick: b("bob"), by: b("alice"), reason: []), "node-1 77 5 X den bob alice "),
            (.invited(room: b("den"), nick: b("bob"), by: b("alice")), "node-1 77 5 I den bob alice"),
            (.away(nick: b("bob"), message: b("gone fishing")), "node-1 77 5 A bob gone fishing"),
            (.away(nick: b("bob"), message: []), "node-1 77 5 A bob "),
            (.identity(nick: b("bob"), user: b("~bobby"), host: b("2001:db8::1"), realName: b("Bob  B. Bobson")),
                "node-1 77 5 U bob ~bobby 2001:db8::1 Bob  B. Bobson"),
            (.identity(nick: b("bob"), user: b("b"), host: b("h"), realName: []), "node-1 77 5 U bob b h "),
            (.roomState(BusRoomState(
                room: b("Den"), lineage: 1_700_000_000_123, lineageNode: b("node-2"), version: v(40, "node-3"), createdAt: 1_700_000_000,
                flags: b("imnt"), key: b("s3cret"), limit: 10, ops: [b("alice"), b("carol")], voices: [b("bob")],
                bans: [b("*!*@bad.example"), b("mallory!*@*")], topicSetAt: 1_700_000_100, topicSetBy: b("alice!al@host"),
                topic: b("welcome  to the den"))),
                "node-1 77 5 F Den 1700000000123 node-2 40 node-3 1700000000 +imnt =s3cret 10 2 alice carol 1 bob 2 *!*@bad.example mallory!*@* 1700000100 =alice!al@host welcome  to the den"),
            (.roomState(BusRoomState(room: b("den"), lineage: 5, lineageNode: b("n"), version: v(0, "n"), createdAt: 0)),
                "node-1 77 5 F den 5 n 0 n 0 + - 0 0 0 0 0 - "),
        ]
        for (message, wire) in cases {
            let bytes = encoded(message, origin)
            #expect(String(decoding: bytes, as: UTF8.self) == wire)
            let (decodedOrigin, decoded) = try bytes.withUnsafeBytes { try BusMessage.decode($0) }
            #expect(decodedOrigin == origin)
            #expect(decoded == message, "\(wire)")
        }
    }

    @Test("texts keep any bytes but CR and LF, spaces included")
    func anyBytes() throws {
        let text: [UInt8] = [0x20, 0x00, 0xFF, 0xC3, 0xA9, 0x20, 0x3A]
        let message = BusMessage.said(.message, room: b("r"), nick: b("n"), text: text)
        let (_, decoded) = try encoded(message, origin).withUnsafeBytes { try BusMessage.decode($0) }
        #expect(decoded == message)
    }

    // FuzzBusMessage: the decoder takes any UInt64, but the encoder wrote numbers above Int64.max as
    // negative ones, which no node could read back.
    @Test("epochs, sequence numbers and probe tokens round-trip in all of UInt64", arguments: [
        UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max,
    ])
    func largeNumbers(_ value: UInt64) throws {
        let origin = BusOrigin(node: b("n"), epoch: value, sequence: value)
        let bytes = encoded(.probe(token: value), origin)
        #expect(String(decoding: bytes, as: UTF8.self) == "n \(value) \(value) K \(value)")
        let (decodedOrigin, decoded) = try bytes.withUnsafeBytes { try BusMessage.decode($0) }
        #expect(decodedOrigin == origin)
        #expect(decoded == .probe(token: value))
    }

    @Test("a payload that is not a bus message is refused with what is wrong")
    func refusals() {
        func refusal(_ text: String) -> BusDecodingError? {
            do {
                _ = try b(text).withUnsafeBytes { try BusMessage.decode($0) }
                return nil
            } catch {
                return error as? BusDecodingError
            }
        }
        #expect(refusal("") == .missingField("node"))
        #expect(refusal("n1 x 1 J r n") == .badNumber("epoch"))
        #expect(refusal("n1 1 99999999999999999999999 J r n") == .badNumber("sequence"))
        #expect(refusal("n1 1 1 Z r n") == .unknownType(0x5A))
        #expect(refusal("n1 1 1 JJ r n") == .unknownType(0x4A))
        #expect(refusal("n1 1 1 J lobby") == .missingField("nick"))
        #expect(refusal("n1 1 1 M x lobby alice hi") == .badKind(0x78))
        #expect(refusal("n1 1 1 K") == .missingField("token"))
        #expect(refusal("n1 1 1 T den 1 n alice x alice!a@h hi") == .badNumber("time"))
        #expect(refusal("n1 1 1 T den 1 n alice 5") == .missingField("setter"))
        #expect(refusal("n1 1 1 T den x n alice 5 a!b@c hi") == .badNumber("version"))
        #expect(refusal("n1 1 1 T den 1") == .missingField("version node"))
        #expect(refusal("n1 1 1 C den 1 n alice") == .missingField("mode"))
        #expect(refusal("n1 1 1 C den 1 n alice m") == .badMode("m"))
        #expect(refusal("n1 1 1 C den 1 n alice +") == .badMode("+"))
        // An empty field inside a list that runs to the end: the items after it are not dropped silently.
        #expect(refusal("n1 1 1 H lobby alice  bob") == .missingField("nick"))
        #expect(refusal("n1 1 1 C den 1 n alice +o  -v") == .missingField("mode"))
        #expect(refusal("n1 1 1 X den bob") == .missingField("by"))
        #expect(refusal("n1 1 1 I den bob") == .missingField("by"))
        #expect(refusal("n1 1 1 A") == .missingField("nick"))
        #expect(refusal("n1 1 1 F den 5 n 0 n 0 imnt - 0 0 0 0 0 - ") == .badMode("imnt"))
        #expect(refusal("n1 1 1 F den 5 n 0 n 0 + s3cret 0 0 0 0 0 - ") == .missingField("key"))
        #expect(refusal("n1 1 1 F den 5 n 0 n 0 + - 0 2 alice") == .missingField("ops"))
        #expect(refusal("n1 1 1 F den 5 n 0 n 0 + - 0 0 0 0 7") == .missingField("setter"))
        #expect(refusal("n1 1 1 F den 5 n 0") == .missingField("version node"))
    }

    @Test("a room's state keeps every list and the topic's bytes through a round trip")
    func roomStateRoundTrip() throws {
        let state = BusRoomState(
            room: b("r"), lineage: UInt64(Int64.max), lineageNode: b("n"), version: v(UInt64(Int64.max), "m"), createdAt: 1, flags: b("t"), key: nil, limit: 0,
            ops: [], voices: [b("v1"), b("v2"), b("v3")], bans: [b("a!b@c")], topicSetAt: 2, topicSetBy: b("x!y@z"),
            topic: [0x20, 0xC3, 0xA9, 0x00, 0x20])
        let (_, decoded) = try encoded(.roomState(state), origin).withUnsafeBytes { try BusMessage.decode($0) }
        #expect(decoded == .roomState(state))
    }

    @Test("a version with more changes is ahead; for as many, the one whose node sorts first")
    func versions() {
        #expect(v(3, "b").isAhead(of: v(2, "a")))
        #expect(!v(2, "a").isAhead(of: v(3, "b")))
        #expect(v(3, "a").isAhead(of: v(3, "b")))
        #expect(!v(3, "b").isAhead(of: v(3, "a")))
        #expect(!v(3, "a").isAhead(of: v(3, "a")), "equal versions: neither is ahead")
    }

    @Test("sequence numbers: next, duplicates, gaps, per sender and channel, afresh per epoch")
    func sequences() {
        var tracker = SequenceTracker()
        func record(_ node: String, _ epoch: UInt64, _ sequence: UInt64, _ channel: String = "c") -> SequenceVerdict {
            tracker.record(BusOrigin(node: b(node), epoch: epoch, sequence: sequence), channel: b(channel))
        }
        #expect(record("a", 1, 1) == .next)
        #expect(record("a", 1, 2) == .next)
        #expect(record("a", 1, 2) == .duplicate)
        #expect(record("a", 1, 1) == .duplicate)
        #expect(record("a", 1, 5) == .gap(missed: 2))
        #expect(record("a", 1, 6) == .next)
        #expect(record("b", 9, 1) == .next, "another sender has its own stream")
        #expect(record("a", 1, 1, "other") == .next, "another channel too")
        #expect(record("a", 2, 1) == .next, "a new epoch starts over")
        #expect(record("a", 2, 2) == .next)
        tracker.forget(node: b("a"))
        #expect(record("a", 2, 9) == .next, "after forgetting, the next heard starts the stream")
        tracker.forget(channel: b("c"))
        #expect(record("b", 9, 7) == .next)
    }
}
