// RedisSubscriberTests: pub/sub between a RedisConnection publishing and a RedisSubscriber, against
// a real redis-server: no loss and per-publisher order over 100,000 messages, batched subscriptions,
// unsubscribing, and the wanted set restored after Redis is killed and restarted.

import Glibc
import RESP
import Reactor
import ReactorRedis
import TestHarness
import Testing

/// Messages a subscriber received, by channel, as decimal sequence numbers.
final class Inbox {
    var byChannel: [String: [Int]] = [:]
    var count = 0
    var outOfOrder = 0
    var last: [String: Int] = [:]

    func receive(_ channel: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) {
        let name = String(decoding: channel, as: UTF8.self)
        let number = Int(String(decoding: payload, as: UTF8.self)) ?? -1
        if let previous = self.last[name], number != previous + 1 { self.outOfOrder += 1 }
        self.last[name] = number
        self.byChannel[name, default: []].append(number)
        self.count += 1
    }
}

@Suite(.enabled(if: RedisServer.isAvailable, RedisServer.unavailableMessage), .timeLimit(.minutes(2)))
struct RedisSubscriberTests {
    func readySubscriber(_ reactor: Reactor, _ server: RedisServer, _ channels: [String], _ inbox: Inbox) throws
        -> RedisSubscriber
    {
        let subscriber = RedisSubscriber(reactor: reactor, address: server.address)
        subscriber.onMessage = { inbox.receive($0, $1) }
        subscriber.subscribe(channels)
        subscriber.start()
        try #require(reactor.spin { subscriber.subscribedCount == channels.count })
        return subscriber
    }

    @Test("100,000 messages from two publishers arrive, none lost, each publisher's in order", arguments: RedisServer.Transport.allCases)
    func noLossInOrder(_ transport: RedisServer.Transport) throws {
        let server = try RedisServer(transport)
        let reactor = try Reactor()
        let inbox = Inbox()
        let subscriber = try readySubscriber(reactor, server, ["alpha", "beta"], inbox)
        let publishers = [try readyConnection(reactor, server), try readyConnection(reactor, server)]
        let perPublisher = 50_000
        var next = [0, 0]
        var acknowledged = 0
        var receivers = 0
        let start = ContinuousClock.now
        #expect(
            reactor.spin(timeout: .seconds(90)) {
                // A window per publisher, so output stays well under the caps and both interleave.
                for (index, publisher) in publishers.enumerated() {
                    let channel: [UInt8] = index == 0 ? bytes("alpha") : bytes("beta")
                    while next[index] < perPublisher && next[index] - inbox.count / 2 < 2000 {
                        let payload = bytes(String(next[index]))
                        channel.withUnsafeBytes { channel in
                            payload.withUnsafeBytes { payload in
                                publisher.publish(channel: channel, message: payload) { result in
                                    acknowledged += 1
                                    receivers += (try? result.get())?.integer ?? 0
                                }
                            }
                        }
                        next[index] += 1
                    }
                }
                return inbox.count == 2 * perPublisher
            })
        let elapsed = ContinuousClock.now - start
        #expect(inbox.outOfOrder == 0)
        #expect(inbox.byChannel["alpha"] == Array(0..<perPublisher))
        #expect(inbox.byChannel["beta"] == Array(0..<perPublisher))
        #expect(reactor.spin { acknowledged == 2 * perPublisher })
        #expect(receivers == 2 * perPublisher, "every PUBLISH reached exactly one subscriber")
        #expect(subscriber.statistics.messages == 2 * perPublisher)
        #expect(publishers.allSatisfy { $0.statistics.dropped == 0 })
        print("pub/sub over \(transport): \(2 * perPublisher) messages in \(elapsed)")
    }

    @Test("channels changed in one iteration go out as one SUBSCRIBE per 1,000; a channel added and removed sends nothing")
    func batches() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let inbox = Inbox()
        let subscriber = try readySubscriber(reactor, server, ["first"], inbox)
        let before = subscriber.statistics
        subscriber.subscribe((0..<2500).map { "room:\($0)" })
        subscriber.subscribe(["fleeting"])
        subscriber.unsubscribe(["fleeting"])
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(subscriber.statistics.subscribeCommands - before.subscribeCommands == 3)
        #expect(subscriber.statistics.unsubscribeCommands == before.unsubscribeCommands)
        #expect(reactor.spin { subscriber.subscribedCount == 2501 })
        #expect(subscriber.channels.count == 2501)
        #expect(!subscriber.isSubscribed(to: bytes("fleeting")))

        subscriber.unsubscribe((0..<2500).map { "room:\($0)" })
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(subscriber.statistics.unsubscribeCommands - before.unsubscribeCommands == 3)
        #expect(reactor.spin { subscriber.subscribedCount == 1 })
    }

    @Test("after an unsubscribe, that channel's messages stop and the others' keep coming")
    func unsubscribe() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let inbox = Inbox()
        let subscriber = try readySubscriber(reactor, server, ["kept", "dropped"], inbox)
        let publisher = try readyConnection(reactor, server)
        subscriber.unsubscribe(["dropped"])
        #expect(reactor.spin { subscriber.subscribedCount == 1 })
        publisher.send(["PUBLISH", "dropped", "0"])
        publisher.send(["PUBLISH", "kept", "0"])
        #expect(reactor.spin { inbox.count == 1 })
        #expect(inbox.byChannel == ["kept": [0]], "the earlier message to the dropped channel never came")
    }

    @Test("subscriptions are restored after redis-server is killed and restarted on the same address", arguments: RedisServer.Transport.allCases)
    func restoredAfterRestart(_ transport: RedisServer.Transport) throws {
        let server = try RedisServer(transport)
        let reactor = try Reactor()
        let inbox = Inbox()
        var states: [RedisState] = []
        let subscriber = try readySubscriber(reactor, server, ["a", "b", "c"], inbox)
        subscriber.onStateChange = { states.append($0) }
        server.kill()
        #expect(reactor.spin { subscriber.state == .down })
        #expect(subscriber.subscribedCount == 0)
        // Changed while Redis is away: the new connection subscribes the set as it is then.
        subscriber.subscribe(["d"])
        subscriber.unsubscribe(["c"])
        try server.restart()
        #expect(reactor.spin { subscriber.state == .ready && subscriber.subscribedCount == 3 })
        #expect(subscriber.statistics.resubscriptions == 1)
        let publisher = try readyConnection(reactor, server)
        for channel in ["a", "b", "c", "d"] { publisher.send(["PUBLISH", channel, "0"]) }
        publisher.send(["PUBLISH", "a", "1"])
        #expect(reactor.spin { inbox.byChannel["a"] == [0, 1] })
        #expect(inbox.byChannel == ["a": [0, 1], "b": [0], "d": [0]])
        #expect(states.contains(.connecting) && states.last == .ready)

        // And again: each restart is followed by a full resubscription.
        try server.restart()
        #expect(
            reactor.spin {
                subscriber.statistics.disconnects == 2 && subscriber.state == .ready && subscriber.subscribedCount == 3
            })
        #expect(subscriber.statistics.resubscriptions == 2)
    }

    @Test("channel names and payloads are raw bytes: binary, empty and large payloads arrive intact")
    func binaryPayloads() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        var received: [[UInt8]] = []
        let channel: [UInt8] = [0x72, 0, 0xff, 0x0d, 0x0a]
        let subscriber = RedisSubscriber(reactor: reactor, address: server.address)
        subscriber.onMessage = { name, payload in
            #expect(Array(name) == channel)
            received.append(Array(payload))
        }
        subscriber.subscribe([channel])
        subscriber.start()
        #expect(reactor.spin { subscriber.subscribedCount == 1 })
        let publisher = try readyConnection(reactor, server)
        let payloads: [[UInt8]] = [[], [0, 13, 10, 36, 42], (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 * 7) }]
        for payload in payloads {
            channel.withUnsafeBytes { c in payload.withUnsafeBytes { p in publisher.publish(channel: c, message: p) } }
        }
        #expect(reactor.spin { received.count == 3 })
        #expect(received == payloads)
    }
}
