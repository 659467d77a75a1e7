// DeliveryTests: ordering without loss under load, slow consumers, and the backpressure rate limit.
import Glibc
import Synchronization
import TestHarness
import Testing

extension EndToEnd {
    @Suite("Delivery")
    struct Delivery {
        /// A counter one thread publishes and another polls.
        private final class Progress: Sendable {
            let value = Atomic<Int>(0)
        }

        /// What one receiving client has seen of a many-sender exchange.
        private struct Tally {
            /// Next expected sequence number per sender index.
            var next: [Int]
            var problems: [String] = []

            init(senders: Int) { next = Array(repeating: 0, count: senders) }
        }

        @Test(
            "50 clients × 200 messages: each gets every other's messages once and in order, and none of its own",
            .timeLimit(.minutes(1))
        )
        func orderingWithoutLoss() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let count = 50
            let perClient = 200
            let clients = try server.connectAll(count)
            let senderIndex = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1.nick, $0) })
            var tallies = Array(repeating: Tally(senders: count), count: count)
            var received = 0
            let expectedTotal = count * (count - 1) * perClient

            func drain(_ receiver: Int, within timeout: Duration = .zero) -> Int {
                let lines = clients[receiver].availableLines(within: timeout)
                for line in lines {
                    // MSG lobby <nick> m <sender> <seq>
                    let words = line.split(separator: " ")
                    guard words.count == 6, words[0] == "MSG", words[1] == "lobby", words[3] == "m",
                        let sender = Int(words[4]), let seq = Int(words[5]), senderIndex[String(words[2])] == sender
                    else {
                        tallies[receiver].problems.append("unexpected line \(line)")
                        continue
                    }
                    if sender == receiver {
                        tallies[receiver].problems.append("echo of own message \(seq)")
                    } else if seq != tallies[receiver].next[sender] {
                        tallies[receiver].problems.append(
                            "from \(sender): got \(seq), expected \(tallies[receiver].next[sender])"
                        )
                        tallies[receiver].next[sender] = seq + 1
                    } else {
                        tallies[receiver].next[sender] = seq + 1
                    }
                }
                received += lines.count
                return lines.count
            }

            // Interleave the senders, each writing 1 to 5 lines per write, and keep reading meanwhile.
            var sent = Array(repeating: 0, count: count)
            while sent.contains(where: { $0 < perClient }) {
                for i in 0..<count where sent[i] < perClient {
                    let batch = min(1 + i % 5, perClient - sent[i])
                    let bytes = (sent[i]..<sent[i] + batch).flatMap { Array("m \(i) \($0)\n".utf8) }
                    try clients[i].sendRaw(bytes)
                    sent[i] += batch
                }
                for i in 0..<count { _ = drain(i) }
            }
            let deadline = ContinuousClock.now + .seconds(40)
            while received < expectedTotal && ContinuousClock.now < deadline {
                var progress = 0
                for i in 0..<count { progress += drain(i) }
                if progress == 0 { sleep(for: .milliseconds(2)) }
            }

            #expect(received == expectedTotal)
            for (receiver, tally) in tallies.enumerated() {
                #expect(tally.problems.isEmpty, "client \(receiver): \(tally.problems.prefix(5))")
                for sender in 0..<count where sender != receiver {
                    #expect(
                        tally.next[sender] == perClient,
                        "client \(receiver) got \(tally.next[sender]) of \(perClient) from \(sender)"
                    )
                }
            }
            for client in clients { try client.expectNothingQueued() }
        }

        @Test(
            "a client that stops reading under a flood is dropped as a slow consumer while readers get everything",
            .timeLimit(.minutes(1))
        )
        func slowConsumer() throws {
            // --max-outbuf is the soft limit now (kept for --slow-consumer-grace, 10 s): the hard limit
            // at the same 64 KiB keeps this test what it was, a drop as soon as the queue passes it.
            let server = try ServerProcess.start(["--max-outbuf", "65536", "--max-outbuf-hard", "65536"])
            defer { server.stop() }
            let flooder = try server.connect()
            let readers = [try server.connect(), try server.connect()]
            let sluggard = try server.connect(receiveBuffer: 4096)
            for client in [flooder] + readers + [sluggard] { try client.sync() }
            let baseline = server.residentKilobytes

            // 20,000 lines of about 300 bytes, some 6 MB per recipient: far past the sluggard's socket
            // buffers. The flooder sends 50-line batches as fast as the readers keep up: never more
            // than 3 batches (about 48 KB with headers) ahead of the slower reader, so a reader's
            // queue cannot legitimately reach 64 KB, while the sluggard's grows without bound.
            let count = 20_000
            let batchLines = 50
            let padding = String(repeating: "p", count: 280)
            let slowestReader = Progress()
            let flood = BackgroundThread {
                let deadline = ContinuousClock.now + .seconds(40)
                for first in stride(from: 0, to: count, by: batchLines) {
                    while slowestReader.value.load(ordering: .acquiring) < first - 2 * batchLines {
                        guard ContinuousClock.now < deadline else { throw HarnessError("readers stalled at \(first)") }
                        usleep(100)
                    }
                    try flooder.sendRaw((first..<first + batchLines).flatMap { Array("flood \($0) \(padding)\n".utf8) })
                }
            }

            var next = [0, 0]
            var parts: [[String]] = [[], []]
            var problems: [String] = []
            var peak = baseline
            let deadline = ContinuousClock.now + .seconds(40)
            var lastSample = ContinuousClock.now
            while next.contains(where: { $0 < count }) && ContinuousClock.now < deadline
                && !readers.contains(where: \.sawEOF)
            {
                var progress = 0
                for (index, reader) in readers.enumerated() {
                    for line in reader.availableLines() {
                        progress += 1
                        if line.hasPrefix("PART ") {
                            parts[index].append(line)
                        } else if line == "MSG lobby \(flooder.nick) flood \(next[index]) \(padding)" {
                            next[index] += 1
                        } else if problems.count < 10 {
                            problems.append("reader \(index) expected flood \(next[index]), got \(line.prefix(70))")
                        }
                    }
                }
                slowestReader.value.store(next.min()!, ordering: .releasing)
                if ContinuousClock.now - lastSample > .milliseconds(100) {
                    peak = max(peak, server.residentKilobytes)
                    lastSample = .now
                }
                if progress == 0 { usleep(200) }
            }
            slowestReader.value.store(Int.max, ordering: .releasing)
            try flood.wait(timeout: .seconds(10))
            peak = max(peak, server.residentKilobytes)

            #expect(problems.isEmpty, "\(problems)")
            #expect(next == [count, count], "readers got \(next) of \(count) flood lines")
            for index in 0..<2 {
                #expect(parts[index] == ["PART lobby \(sluggard.nick) slow-consumer"])
            }
            // What the sluggard had buffered, maybe the ERR, then the server closed it.
            let leftovers = try sluggard.waitForClose(timeout: .seconds(10))
            #expect(leftovers.count < count, "the sluggard was dropped before the end of the flood")
            #expect(try flooder.sync() == ["PART lobby \(sluggard.nick) slow-consumer"])
            let stats = try flooder.stats()
            #expect(stats["slow_consumer_drops"] == 1)
            #expect(stats["connections"] == 3)
            if !underAddressSanitizer {
                #expect(peak - baseline < 32 << 10, "server RSS grew from \(baseline) KiB to \(peak) KiB")
            }
        }

        /// Whether SO_RCVBUF may be set to 4 MiB (net.core.rmem_max), which the next test needs.
        static let bigReceiveBuffers: Bool = {
            guard let text = try? String(contentsOfFile: "/proc/sys/net/core/rmem_max", encoding: .utf8),
                let max = Int(text.filter(\.isNumber))
            else { return false }
            return max >= 4 << 20
        }()

        @Test(
            "a reader whose socket buffers have room is not dropped when another client floods at full speed",
            .timeLimit(.minutes(1)),
            .enabled(if: bigReceiveBuffers, "needs net.core.rmem_max >= 4 MiB")
        )
        func fullSpeedFlood() throws {
            let server = try ServerProcess.start()  // the default --max-outbuf, 1 MiB
            defer { server.stop() }
            let flooder = try server.connect()
            // Some 8 MiB of kernel buffer: the whole 2 MB flood fits even if we never read, so a
            // correct server never has more than a few hundred KB queued for this reader.
            let reader = try server.connect(receiveBuffer: 4 << 20)
            try flooder.sync()
            try reader.sync()
            let count = 6_000
            let padding = String(repeating: "q", count: 280)
            let flood = (0..<count).flatMap { Array("flood \($0) \(padding)\n".utf8) }
            let sender = BackgroundThread { try flooder.sendRaw(flood) }

            var next = 0
            var unexpected: [String] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while next < count && !reader.sawEOF && ContinuousClock.now < deadline {
                for line in reader.availableLines(within: .milliseconds(10)) {
                    if line == "MSG lobby \(flooder.nick) flood \(next) \(padding)" {
                        next += 1
                    } else if unexpected.count < 5 {
                        unexpected.append(String(line.prefix(70)))
                    }
                }
            }
            try sender.wait(timeout: .seconds(10))
            #expect(unexpected.isEmpty, "\(unexpected)")
            #expect(
                next == count,
                "the reader got \(next) of \(count) lines before \(reader.sawEOF ? "being closed" : "the deadline")"
            )
            #expect(try flooder.sync().isEmpty, "the flooder saw the reader leave")
            #expect(try flooder.stats()["slow_consumer_drops"] == 0)
        }

        @Test(
            "under --rate, replies keep the order of the lines, an over-long line's ERR included",
            .timeLimit(.minutes(1))
        )
        func rateLimitKeepsReplyOrder() throws {
            let server = try ServerProcess.start(["--rate", "20", "--max-line", "64"])
            defer { server.stop() }
            let client = try server.connect()
            // 25 pings: 20 go at once, 5 wait for tokens; the over-long line comes after them.
            let pings = (0..<25).flatMap { Array("/ping \($0)\n".utf8) }
            try client.sendRaw(pings + Array(String(repeating: "x", count: 100).utf8) + Array("\n/ping last\n".utf8))
            let replies = client.readLines(27, timeout: .seconds(5))
            #expect(replies.count == 27, "got \(replies)")
            #expect(Array(replies.prefix(25)) == (0..<25).map { "PONG \($0)" }, "got \(replies)")
            #expect(replies.dropFirst(25).first?.hasPrefix("ERR line-too-long ") == true, "got \(replies)")
            #expect(replies.last == "PONG last")
        }

        @Test(
            "a client held back by --rate is not idle while its lines wait, and none of them is lost",
            .timeLimit(.minutes(1))
        )
        func rateLimitIsNotIdleness() throws {
            let server = try ServerProcess.start(["--rate", "20", "--idle-timeout", "1"])
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (sender, reader) = (clients[0], clients[1])
            // A burst of 20, then 20 lines a second: the last of 70 lines leaves about 2.5 s later,
            // while the sender itself has nothing more to say.
            try sender.sendRaw((0..<70).flatMap { Array("held \($0)\n".utf8) })
            var seen = 0
            var other: [String] = []
            var beat = 0
            let deadline = ContinuousClock.now + .seconds(8)
            while seen < 70 && other.isEmpty && !reader.sawEOF && ContinuousClock.now < deadline {
                beat += 1
                try reader.send("/ping beat-\(beat)")  // the reader keeps itself from idling out
                for line in reader.availableLines(within: .milliseconds(250)) {
                    if line == "MSG lobby \(sender.nick) held \(seen)" {
                        seen += 1
                    } else if !line.hasPrefix("PONG beat-") {
                        other.append(line)
                    }
                }
            }
            #expect(seen == 70, "the reader got \(seen) of 70 lines")
            #expect(other.isEmpty, "got \(other)")
            // Checked without a /ping, which would count as activity: no ERR, and still open.
            sender.expectNothing(for: .milliseconds(100))
            #expect(!sender.sawEOF, "the sender was closed")
        }

        @Test(
            "--rate 20 delays a burst of 100 lines by backpressure without dropping any, and others are unaffected",
            .timeLimit(.minutes(1))
        )
        func rateLimit() throws {
            let server = try ServerProcess.start(["--rate", "20"])
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (sender, reader, other) = (clients[0], clients[1], clients[2])
            let start = ContinuousClock.now
            try sender.sendRaw((0..<100).flatMap { Array("burst \($0)\n".utf8) })

            var seen = 0
            var otherSentAt: ContinuousClock.Instant?
            var otherLatency: Duration?
            var seenWhenOtherArrived = 0
            var unexpected: [String] = []
            let deadline = start + .seconds(20)
            while seen < 100 && ContinuousClock.now < deadline {
                if otherSentAt == nil && ContinuousClock.now - start >= .seconds(1) {
                    try other.send("meanwhile")
                    otherSentAt = .now
                }
                guard let line = reader.readLine(timeout: .milliseconds(50)) else { continue }
                if line == "MSG lobby \(other.nick) meanwhile", let sentAt = otherSentAt {
                    otherLatency = .now - sentAt
                    seenWhenOtherArrived = seen
                } else if line == "MSG lobby \(sender.nick) burst \(seen)" {
                    seen += 1
                } else {
                    unexpected.append(line)
                }
            }
            let elapsed = ContinuousClock.now - start

            #expect(seen == 100, "received \(seen) of 100 burst lines")
            #expect(unexpected.isEmpty, "\(unexpected)")
            #expect(elapsed >= .seconds(3), "100 lines at 20/s with a burst of 20 took only \(elapsed)")
            let latency = try #require(otherLatency, "the other client's message never arrived")
            #expect(latency < .milliseconds(500), "the other client's message took \(latency)")
            #expect(seenWhenOtherArrived < 100, "the other client's message waited for the whole burst")
            // No ERR was queued for the sender, and the other client got the whole burst in order too.
            #expect(try sender.sync(timeout: .seconds(5)) == ["MSG lobby \(other.nick) meanwhile"])
            #expect(try other.sync() == (0..<100).map { "MSG lobby \(sender.nick) burst \($0)" })
        }
    }
}
