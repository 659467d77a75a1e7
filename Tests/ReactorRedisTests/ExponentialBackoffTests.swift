// ExponentialBackoffTests: the reconnect policy's ceilings, its full jitter, its reset, and that it
// never overflows. No sockets.

import ReactorRedis
import Testing

/// SplitMix64, so the random draws are the same every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ExponentialBackoffTests {
    @Test("ceilings double from 100 ms and stop at 5 s")
    func ceilings() {
        var backoff = ExponentialBackoff()
        var random = SeededGenerator(state: 1)
        var ceilings: [Int] = []
        for _ in 0..<10 {
            ceilings.append(backoff.ceilingMilliseconds)
            _ = backoff.nextDelay(using: &random)
        }
        #expect(ceilings == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000])
        #expect(backoff.attempt == 10)
    }

    @Test("every delay is between 0 and its ceiling, and they spread over the whole range (full jitter)")
    func fullJitter() {
        var random = SeededGenerator(state: 42)
        for attempt in 0..<8 {
            var samples: [Int] = []
            for _ in 0..<2000 {
                var backoff = ExponentialBackoff()
                for _ in 0..<attempt { _ = backoff.nextDelay(using: &random) }
                let ceiling = backoff.ceilingMilliseconds
                let delay = backoff.nextDelay(using: &random)
                #expect(delay >= 0 && delay <= ceiling)
                samples.append(delay)
            }
            let ceiling = min(5000, 100 << attempt)
            let mean = Double(samples.reduce(0, +)) / Double(samples.count)
            #expect(abs(mean - Double(ceiling) / 2) < Double(ceiling) * 0.05, "attempt \(attempt): mean \(mean)")
            #expect(samples.min()! < ceiling / 10 && samples.max()! > ceiling * 9 / 10, "attempt \(attempt)")
        }
    }

    @Test("reset starts over at the first ceiling")
    func reset() {
        var backoff = ExponentialBackoff(initialMilliseconds: 50, maximumMilliseconds: 400)
        var random = SeededGenerator(state: 3)
        for _ in 0..<6 { _ = backoff.nextDelay(using: &random) }
        #expect(backoff.ceilingMilliseconds == 400)
        backoff.reset()
        #expect(backoff.attempt == 0 && backoff.ceilingMilliseconds == 50)
        #expect(backoff.nextDelay(using: &random) <= 50)
    }

    @Test("a very long outage keeps the ceiling at the maximum without overflowing")
    func longOutage() {
        var backoff = ExponentialBackoff(initialMilliseconds: 1000, maximumMilliseconds: Int.max / 2)
        var random = SeededGenerator(state: 9)
        for _ in 0..<200 {
            #expect(backoff.ceilingMilliseconds <= Int.max / 2)
            _ = backoff.nextDelay(using: &random)
        }
        #expect(backoff.ceilingMilliseconds == Int.max / 2)
    }

    @Test("the same seed gives the same delays")
    func deterministic() {
        func delays() -> [Int] {
            var backoff = ExponentialBackoff()
            var random = SeededGenerator(state: 77)
            return (0..<12).map { _ in backoff.nextDelay(using: &random) }
        }
        #expect(delays() == delays())
    }
}
