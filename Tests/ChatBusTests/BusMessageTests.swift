// BusMessageTests: every bus message as golden bytes and back, texts with spaces and any bytes,
// refusals, and the per-sender sequence check.

import ChatBus
import Codec
import Testing

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

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
