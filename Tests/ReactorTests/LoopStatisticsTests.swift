// LoopStatisticsTests: the loop's iteration-time histogram and maximum, and the process figures
// from /proc that metrics export next to them.

import Glibc
import TestHarness
import Testing

@testable import Reactor

@Suite struct LoopStatisticsTests {
    @Test("each iteration lands in the first bucket whose bound it does not exceed")
    func buckets() {
        var statistics = LoopStatistics()
        for micros in [0, 50, 51, 100, 999, 1_000, 10_001, 1_000_000, 1_000_001] { statistics.record(micros) }
        let bounds = LoopStatistics.bucketBoundsMicroseconds
        func count(upTo bound: Int) -> Int { statistics.bucketCounts[bounds.firstIndex(of: bound)!] }
        #expect(statistics.count == 9)
        #expect(count(upTo: 50) == 2)
        #expect(count(upTo: 100) == 2)
        #expect(count(upTo: 1_000) == 2)
        #expect(count(upTo: 25_000) == 1)
        #expect(count(upTo: 1_000_000) == 1)
        // Above the last bound: counted, in no bucket (Prometheus' +Inf is the count).
        #expect(statistics.bucketCounts.reduce(0, +) == 8)
        #expect(statistics.maxMicroseconds == 1_000_001)
        #expect(statistics.totalMicroseconds == [0, 50, 51, 100, 999, 1_000, 10_001, 1_000_000, 1_000_001].reduce(0, +))
    }

    @Test("a callback that keeps the loop busy shows as that iteration's time and the maximum")
    func measuresWork() throws {
        let reactor = try Reactor()
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(reactor.loopStatistics.count == 1)
        reactor.runLater {
            // Busy for 30 ms of monotonic time: what a stall in a callback looks like.
            let start = Posix.monotonicNanoseconds()
            while Posix.monotonicNanoseconds() - start < 30_000_000 {}
        }
        reactor.runOnce(timeoutMilliseconds: 0)
        let statistics = reactor.loopStatistics
        #expect(statistics.count == 2)
        #expect(statistics.maxMicroseconds >= 30_000)
        #expect(statistics.totalMicroseconds >= 30_000)
        let slow = LoopStatistics.bucketBoundsMicroseconds.firstIndex { $0 >= statistics.maxMicroseconds }
        #expect(slow.map { statistics.bucketCounts[$0] } == 1)
    }

    @Test("waiting for events is not counted as work")
    func waitingIsNotWork() throws {
        let reactor = try Reactor()
        // 300 ms in epoll_wait; an iteration with nothing to do takes microseconds, so even a
        // badly loaded machine stays far below the wait.
        reactor.runOnce(timeoutMilliseconds: 300)
        #expect(reactor.loopStatistics.count == 1)
        #expect(reactor.loopStatistics.maxMicroseconds < 250_000, "\(reactor.loopStatistics.maxMicroseconds) µs")
    }

    @Test("resident memory and open descriptors come from /proc and follow what the process opens")
    func processFigures() throws {
        let rss = try #require(ProcessStatistics.residentMemoryBytes())
        #expect(rss > 1 << 20)
        let before = try #require(ProcessStatistics.openDescriptorCount())
        var pipes: [Int32] = [0, 0]
        #expect(pipe(&pipes) == 0)
        #expect(ProcessStatistics.openDescriptorCount() == before + 2)
        close(pipes[0])
        close(pipes[1])
        #expect(ProcessStatistics.openDescriptorCount() == before)
    }
}
