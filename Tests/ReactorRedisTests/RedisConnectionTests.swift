// RedisConnectionTests: commands against a real redis-server: replies in order under pipelining,
// one write per iteration, large bulks, error replies, Lua, losing Redis, reconnecting, and the
// output cap while Redis is frozen.

import Glibc
import RESP
import Reactor
import ReactorRedis
import TestHarness
import Testing

@Suite(.enabled(if: RedisServer.isAvailable, RedisServer.unavailableMessage), .timeLimit(.minutes(2)))
struct RedisConnectionTests {
    @Test("commands and replies in order, over TCP and a Unix socket", arguments: RedisServer.Transport.allCases)
    func commandsInOrder(_ transport: RedisServer.Transport) throws {
        let server = try RedisServer(transport)
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        var outcomes: [Outcome] = []
        redis.send(["SET", "greeting", "hello"]) { outcomes.append(Outcome($0)) }
        redis.send(["GET", "greeting"]) { outcomes.append(Outcome($0)) }
        redis.send(["GET", "missing"]) { outcomes.append(Outcome($0)) }
        redis.send(["RPUSH", "list", "a", "b", "c"]) { outcomes.append(Outcome($0)) }
        redis.send(["LRANGE", "list", "0", "-1"]) { outcomes.append(Outcome($0)) }
        redis.send([bytes("ECHO"), [0, 13, 10, 255]]) { outcomes.append(Outcome($0)) }
        #expect(redis.pendingReplies == 6)
        #expect(reactor.spin { outcomes.count == 6 })
        #expect(
            outcomes == [
                .value(.simple("OK")), .value(.bulk("hello")), .value(.null), .value(.integer(3)),
                .value(.array([.bulk("a"), .bulk("b"), .bulk("c")])), .value(.bulkString([0, 13, 10, 255])),
            ])
        #expect(redis.pendingReplies == 0)
        #expect(redis.statistics.replies == 6 && redis.statistics.dropped == 0)
    }

    @Test("10,000 INCRs issued in one iteration leave in one write and their replies arrive in order")
    func pipelining() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        let count = 10_000
        var replies: [Int] = []
        replies.reserveCapacity(count)
        var command = RESPCommand("INCR", "n")
        let writesBefore = threadWriteCalls()
        let start = ContinuousClock.now
        for _ in 0..<count {
            redis.send(command) { result in replies.append((try? result.get())?.integer ?? -1) }
        }
        command.removeAll()
        #expect(redis.queuedBytes == count * 21, "*2 $4 INCR $1 n: 21 bytes each, all queued before the flush")
        reactor.runOnce(timeoutMilliseconds: 0)
        let writesAfterFlush = threadWriteCalls()
        #expect(redis.queuedBytes == 0, "210,000 bytes leave in this iteration's flush (within the 256 KiB budget)")
        #expect(reactor.spin { replies.count == count })
        let elapsed = ContinuousClock.now - start
        #expect(replies == Array(1...count))
        if let writesBefore, let writesAfterFlush {
            #expect(writesAfterFlush - writesBefore == 1, "one write(2) for 10,000 commands")
        }
        print("pipelining: \(count) INCRs, one iteration, \(elapsed) until the last reply")
    }

    @Test("pipelined INCR throughput: 200,000 in iterations of 10,000")
    func throughput() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        let total = 200_000
        var received = 0
        var last = 0
        var inOrder = true
        let command = RESPCommand("INCR", "t")
        let start = ContinuousClock.now
        var sent = 0
        let handler: RedisConnection.ReplyHandler = { result in
            let value = (try? result.get())?.integer ?? -1
            if value != last + 1 { inOrder = false }
            last = value
            received += 1
        }
        #expect(
            reactor.spin(timeout: .seconds(60)) {
                // Keep about two batches in flight: one being answered while the next is written.
                while sent < total && sent - received < 20_000 {
                    for _ in 0..<10_000 { redis.send(command, reply: handler) }
                    sent += 10_000
                }
                return received == total
            })
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        #expect(inOrder && last == total)
        print("throughput: \(total) pipelined INCRs in \(seconds) s = \(Int(Double(total) / seconds)) per second")
    }

    @Test("a 12 MiB bulk string goes out and comes back intact")
    func largeBulk() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        let payload = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 11) }
        var stored: Outcome?
        var fetched: [UInt8]?
        redis.send([bytes("SET"), bytes("big"), payload]) { stored = Outcome($0) }
        redis.send(["GET", "big"]) { result in fetched = (try? result.get()).map { Array($0.bytes) } }
        redis.send(["STRLEN", "big"]) { _ in }
        #expect(reactor.spin(timeout: .seconds(30)) { fetched != nil })
        #expect(stored == .value(.simple("OK")))
        #expect(fetched?.count == payload.count)
        #expect(fetched == payload)
        #expect(reactor.spin { redis.pendingReplies == 0 })
    }

    @Test("error replies are replies: the connection stays usable and they are counted")
    func errorReplies() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        var outcomes: [Outcome] = []
        var errorText = ""
        redis.send(["NOSUCHCOMMAND", "x"]) { result in
            if case .success(let reply) = result, reply.isError { errorText = reply.string ?? "" }
            outcomes.append(Outcome(result))
        }
        redis.send(["SET", "s", "text"]) { outcomes.append(Outcome($0)) }
        redis.send(["INCR", "s"]) { outcomes.append(Outcome($0)) }
        redis.send(["PING"]) { outcomes.append(Outcome($0)) }
        #expect(reactor.spin { outcomes.count == 4 })
        #expect(errorText.hasPrefix("ERR unknown command"), "\(errorText)")
        #expect(outcomes[1] == .value(.simple("OK")))
        #expect(outcomes[2] == .value(.error("ERR value is not an integer or out of range")))
        #expect(outcomes[3] == .value(.simple("PONG")))
        #expect(redis.statistics.errorReplies == 2)
        #expect(redis.state == .ready)
    }

    @Test("Lua EVAL round trip, and an atomic claim script: exactly one of two claimants wins")
    func lua() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = try readyConnection(reactor, server)
        #expect(
            try roundTrip(reactor, redis, ["EVAL", "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}", "1", "k", "v", "41"])
                == .value(.array([.bulk("k"), .bulk("v"), .integer(42)])))
        // The shape of the cluster's nick claim: a hash of nick → owner, set only if absent.
        let claim = "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then return 1 end "
            + "return redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and 1 or 0"
        var results: [Outcome] = []
        for owner in ["node-a", "node-b", "node-a"] {
            redis.send(["EVAL", claim, "1", "nicks", "alice", owner]) { results.append(Outcome($0)) }
        }
        #expect(reactor.spin { results.count == 3 })
        #expect(results == [.value(.integer(1)), .value(.integer(0)), .value(.integer(1))])
        #expect(try roundTrip(reactor, redis, ["EVAL", "return redis.error_reply('NOPE no')", "0"]) == .value(.error("NOPE no")))
    }

    @Test("when redis-server dies, every pending callback fails at once, and later commands fail until it is back")
    func redisDies() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        var states: [RedisState] = []
        let redis = try readyConnection(reactor, server)
        redis.onStateChange = { states.append($0) }
        var failures: [RedisError.Kind] = []
        // Commands that block in Redis: their replies can only come from a live server.
        for i in 0..<5 {
            redis.send(["BLPOP", "never-\(i)", "0"]) { result in
                if case .failure(let error) = result { failures.append(error.kind) }
            }
        }
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(redis.pendingReplies == 5)
        server.kill()
        let start = ContinuousClock.now
        #expect(reactor.spin { failures.count == 5 })
        #expect(ContinuousClock.now - start < .seconds(1), "the loss is seen when the socket closes, not on a timer")
        #expect(failures == Array(repeating: .connectionLost, count: 5))
        #expect(redis.pendingReplies == 0)
        #expect(states.first == .down)
        #expect(redis.statistics.failedInFlight == 5 && redis.statistics.disconnects == 1)

        var refused: Outcome?
        if redis.state == .down {
            redis.send(["PING"]) { refused = Outcome($0) }
            #expect(refused == .failure(.notConnected), "refused before send returns")
            #expect(redis.statistics.droppedNotConnected == 1)
        }

        try server.restart()
        #expect(reactor.spin { redis.state == .ready })
        #expect(try roundTrip(reactor, redis, ["PING"]) == .value(.simple("PONG")))
        #expect(redis.statistics.connects == 2)
        #expect(states.contains(.connecting) && states.last == .ready)
    }

    @Test("a connect refused goes down and retries with backoff until redis-server appears")
    func retriesUntilServerAppears() throws {
        let port = try freePort()
        let reactor = try Reactor()
        let configuration = RedisConfiguration(backoff: ExponentialBackoff(initialMilliseconds: 20, maximumMilliseconds: 200))
        let redis = RedisConnection(
            reactor: reactor, address: try SocketAddress(host: "127.0.0.1", port: port), configuration: configuration)
        var early: Outcome?
        redis.start()
        #expect(redis.state == .connecting)
        redis.send(["PING"]) { early = Outcome($0) }
        #expect(reactor.spin { redis.statistics.connectFailures >= 3 })
        #expect(early == .failure(.connectFailed), "a command queued while connecting fails with the connect")
        #expect(redis.state == .down || redis.state == .connecting)
        let server = try RedisServer(port: port)
        defer { server.kill() }
        #expect(reactor.spin { redis.state == .ready })
        #expect(try roundTrip(reactor, redis, ["PING"]) == .value(.simple("PONG")))
        redis.stop()
        #expect(redis.state == .stopped)
        var afterStop: Outcome?
        redis.send(["PING"]) { afterStop = Outcome($0) }
        #expect(afterStop == .failure(.notConnected))
    }

    @Test("commands queued while connecting leave with the connect, after the handshake")
    func queuedWhileConnecting() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = RedisConnection(
            reactor: reactor, address: server.address,
            configuration: RedisConfiguration(database: 3, clientName: "switchboard-test"))
        redis.start()
        var outcomes: [Outcome] = []
        redis.send(["CLIENT", "GETNAME"]) { outcomes.append(Outcome($0)) }
        redis.send(["SET", "where", "db3"]) { outcomes.append(Outcome($0)) }
        #expect(reactor.spin { outcomes.count == 2 })
        #expect(outcomes == [.value(.bulk("switchboard-test")), .value(.simple("OK"))])
        #expect(try roundTrip(reactor, redis, ["SELECT", "0"]) == .value(.simple("OK")))
        #expect(try roundTrip(reactor, redis, ["GET", "where"]) == .value(.null), "the key went to database 3")
    }

    @Test("a refused handshake closes the connection and is retried")
    func handshakeRefused() throws {
        let server = try RedisServer()
        let reactor = try Reactor()
        let redis = RedisConnection(
            reactor: reactor, address: server.address,
            configuration: RedisConfiguration(
                backoff: ExponentialBackoff(initialMilliseconds: 10, maximumMilliseconds: 50), password: "wrong"))
        var states: [RedisState] = []
        redis.onStateChange = { states.append($0) }
        redis.start()
        #expect(reactor.spin { redis.statistics.disconnects >= 2 })
        #expect(states.contains(.down))
        redis.stop()
    }

    @Test("while redis-server is frozen, commands beyond the output cap are dropped and counted; after it thaws, the rest are answered")
    func outputCap() throws {
        let server = try RedisServer()
        defer { server.thaw() }
        let reactor = try Reactor()
        let cap = 1 << 20
        let redis = try readyConnection(reactor, server, RedisConfiguration(maxOutputBytes: cap))
        server.freeze()
        let value = [UInt8](repeating: 0x61, count: 16 * 1024)
        var answered = 0
        var dropped = 0
        var otherFailures = 0
        var sent = 0
        // The kernel takes a few MB before the queue fills: keep issuing across iterations.
        #expect(
            reactor.spin(timeout: .seconds(30)) {
                for _ in 0..<32 {
                    sent += 1
                    redis.send([bytes("SET"), bytes("k"), value]) { result in
                        switch result {
                        case .success: answered += 1
                        case .failure(let error) where error.kind == .outputLimitExceeded: dropped += 1
                        case .failure: otherFailures += 1
                        }
                    }
                }
                return dropped >= 100
            })
        #expect(redis.queuedBytes <= cap)
        #expect(redis.statistics.droppedOutputLimit == dropped)
        #expect(redis.state == .ready, "a full queue drops commands, not the connection")
        let accepted = sent - dropped
        server.thaw()
        #expect(reactor.spin(timeout: .seconds(30)) { answered == accepted })
        #expect(otherFailures == 0)
        #expect(redis.pendingReplies == 0 && redis.queuedBytes == 0)
        print("output cap: \(accepted) commands accepted, \(dropped) dropped at the \(cap)-byte cap")
    }
}

/// The client against servers that are not Redis: a listener on the same reactor that answers
/// whatever it is told to.
@Suite(.timeLimit(.minutes(1)))
struct RedisConnectionProtocolTests {
    /// Answers every read with `answer`.
    final class Answering: ConnectionHandler {
        let answer: [UInt8]
        init(_ answer: String) { self.answer = Array(answer.utf8) }
        func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) { connection.write(self.answer) }
    }

    @Test("bytes that are not RESP close the connection: pending callbacks fail with .protocolError, and it reconnects")
    func protocolError() throws {
        let reactor = try Reactor()
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { $0.handler = Answering("+OK\r\n?bad\r\n") }
        let redis = RedisConnection(
            reactor: reactor, address: listener.address,
            configuration: RedisConfiguration(backoff: ExponentialBackoff(initialMilliseconds: 10, maximumMilliseconds: 20)))
        redis.start()
        var outcomes: [Outcome] = []
        for _ in 0..<3 { redis.send(["PING"]) { outcomes.append(Outcome($0)) } }
        #expect(reactor.spin { outcomes.count == 3 })
        #expect(outcomes == [.value(.simple("OK")), .failure(.protocolError), .failure(.protocolError)])
        #expect(redis.statistics.protocolErrors >= 1)
        #expect(reactor.spin { redis.statistics.connects >= 2 }, "reconnected after the protocol error")
        redis.stop()
    }

    @Test("beyond maxPendingReplies, commands are refused at once and counted")
    func pendingCap() throws {
        let reactor = try Reactor()
        // A server that never answers.
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { _ in }
        let redis = RedisConnection(
            reactor: reactor, address: listener.address, configuration: RedisConfiguration(maxPendingReplies: 10))
        redis.start()
        #expect(reactor.spin { redis.state == .ready })
        var refused: [RedisError.Kind] = []
        for _ in 0..<12 {
            redis.send(["PING"]) { result in if case .failure(let error) = result { refused.append(error.kind) } }
        }
        #expect(refused == [.tooManyPending, .tooManyPending])
        #expect(redis.pendingReplies == 10 && redis.statistics.droppedTooManyPending == 2)
        redis.stop()
        #expect(refused.count == 12 && refused.suffix(10).allSatisfy { $0 == .stopped }, "stop fails the rest")
    }

    @Test("pre-encoded commands: each gets a reply slot, the handler hears the last")
    func encoded() throws {
        let reactor = try Reactor()
        let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { $0.handler = Answering(":1\r\n:2\r\n") }
        let redis = RedisConnection(reactor: reactor, address: listener.address)
        redis.start()
        var outcome: Outcome?
        let wire = Array("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n".utf8)
        wire.withUnsafeBytes { redis.send(encoded: $0, commands: 2) { outcome = Outcome($0) } }
        #expect(redis.pendingReplies == 2)
        #expect(reactor.spin { outcome != nil })
        #expect(outcome == .value(.integer(2)))
        #expect(redis.pendingReplies == 0)
        redis.stop()
    }
}
