// RESPPubSubTests: pub/sub pushes recognised in replies, RESP2 arrays and RESP3 pushes alike.

import RESP
import Testing

/// What a push was recognised as, copied out of its callback.
enum Push: Equatable {
    case message(String, String)
    case patternMessage(String, String, String)
    case shardMessage(String, String)
    case confirmation(RESPSubscriptionKind, String?, Int)
    case pong(String)
    case none
}

func recognise(_ wire: String) -> [Push] {
    var decoder = RESPDecoder()
    var pushes: [Push] = []
    func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    do {
        try decoder.process(bytes(wire)) { reply in
            switch reply.pubSubEvent {
            case .message(let channel, let payload): pushes.append(.message(text(channel), text(payload)))
            case .patternMessage(let pattern, let channel, let payload):
                pushes.append(.patternMessage(text(pattern), text(channel), text(payload)))
            case .shardMessage(let channel, let payload): pushes.append(.shardMessage(text(channel), text(payload)))
            case .confirmation(let kind, let channel, let isNull, let count):
                pushes.append(.confirmation(kind, isNull ? nil : text(channel), count))
            case .pong(let payload): pushes.append(.pong(text(payload)))
            case nil: pushes.append(.none)
            }
        }
    } catch {
        Issue.record("\(error)")
    }
    return pushes
}

@Suite struct RESPPubSubTests {
    @Test("messages, pattern messages and shard messages give channel and payload")
    func messages() {
        #expect(recognise("*3\r\n$7\r\nmessage\r\n$5\r\nlobby\r\n$5\r\nhello\r\n") == [.message("lobby", "hello")])
        #expect(recognise(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$0\r\n\r\n") == [.message("c", "")])
        #expect(
            recognise("*4\r\n$8\r\npmessage\r\n$6\r\nroom:*\r\n$6\r\nroom:a\r\n$2\r\nhi\r\n")
                == [.patternMessage("room:*", "room:a", "hi")])
        #expect(recognise("*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\np\r\n") == [.shardMessage("s", "p")])
    }

    @Test("subscribe and unsubscribe confirmations give the channel and the subscription count")
    func confirmations() {
        #expect(
            recognise("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
                == [.confirmation(.subscribe, "a", 1), .confirmation(.subscribe, "b", 2)])
        #expect(recognise("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n") == [.confirmation(.unsubscribe, "a", 0)])
        #expect(recognise("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n") == [.confirmation(.unsubscribe, nil, 0)])
        #expect(recognise("*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:3\r\n") == [.confirmation(.psubscribe, "a*", 3)])
        #expect(recognise("*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:2\r\n") == [.confirmation(.punsubscribe, "a*", 2)])
        #expect(RESPSubscriptionKind.psubscribe.isSubscribe && !RESPSubscriptionKind.sunsubscribe.isSubscribe)
    }

    @Test("PING on a subscribed connection answers pong")
    func pong() {
        #expect(recognise("*2\r\n$4\r\npong\r\n$0\r\n\r\n") == [.pong("")])
        #expect(recognise("*2\r\n$4\r\npong\r\n$3\r\nabc\r\n") == [.pong("abc")])
    }

    @Test("other replies, and arrays of the wrong shape, are not pushes")
    func notPushes() {
        let wires = [
            "+OK\r\n", ":3\r\n", "$7\r\nmessage\r\n", "*0\r\n",
            "*2\r\n$7\r\nmessage\r\n$1\r\nc\r\n",  // no payload
            "*3\r\n$7\r\nmessage\r\n:1\r\n$1\r\np\r\n",  // a channel that is no string
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n$1\r\n1\r\n",  // a count that is no integer
            "*3\r\n:1\r\n$1\r\na\r\n$1\r\nb\r\n",
            "*3\r\n$3\r\nget\r\n$1\r\na\r\n$1\r\nb\r\n",
            "%1\r\n$7\r\nmessage\r\n$1\r\nc\r\n",
        ]
        for wire in wires {
            #expect(recognise(wire) == [.none], "\(wire.debugDescription)")
        }
    }

    @Test("the first word is matched ignoring case, as Redis's own clients do")
    func caseInsensitive() {
        #expect(recognise("*3\r\n$7\r\nMESSAGE\r\n$1\r\nc\r\n$1\r\np\r\n") == [.message("c", "p")])
    }
}
