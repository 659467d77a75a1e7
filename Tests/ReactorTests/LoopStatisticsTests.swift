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

    @Test("the on-CPU maximum counts the thread's CPU time and leaves out time off the CPU")
    func onCPUTime() throws {
        let reactor = try Reactor()
        reactor.runLater {
            // 30 ms of this thread's CPU time, however long the machine takes to give it (the
            // deadline only bounds the test).
            let start = Posix.threadCPUNanoseconds()
            let deadline = Deadline(.seconds(20))
            while Posix.threadCPUNanoseconds() - start < 30_000_000 && !deadline.hasPassed {}
        }
        reactor.runOnce(timeoutMilliseconds: 0)
        let busy = reactor.loopStatistics
        #expect(busy.maxOnCPUMicroseconds >= 30_000)
        #expect(busy.maxOnCPUMicroseconds <= busy.maxMicroseconds)
        // Asleep for 50 ms: as long an iteration, with next to no CPU time in it.
        let sleeper = try Reactor()
        sleeper.runOnce(timeoutMilliseconds: 0)
        sleeper.runLater { usleep(50_000) }
        sleeper.runOnce(timeoutMilliseconds: 0)
        let asleep = sleeper.loopStatistics
        #expect(asleep.maxMicroseconds >= 50_000)
        #expect(asleep.maxOnCPUMicroseconds < 10_000, "\(asleep.maxOnCPUMicroseconds) µs")
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

    @Test("resident memory and open descriptors come from /proc")
    func processFigures() throws {
        let rss = try #require(ProcessStatistics.residentMemoryBytes())
        #expect(rss > 1 << 20)
        // Other suites open and close sockets in parallel, so this process's own count moves
        // under the test: only its bounds hold.
        let own = try #require(ProcessStatistics.openDescriptorCount())
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #expect(own >= 3 && own <= Int(limit.rlim_cur))
    }

    @Test("the descriptor count follows what a process opens and closes")
    func descriptorCountFollowsTheProcess() throws {
        // A child that holds still while it is counted: it stops itself after each step, and
        // only shell builtins run in between, so nothing opens behind the count's back.
        let child = try ChildProcess("/bin/sh", ["-c", """
            echo start; kill -STOP $$
            exec 3</dev/null 4</dev/null; echo opened; kill -STOP $$
            exec 3<&- 4<&-; echo closed; kill -STOP $$
            """])
        func countAfter(_ line: String) throws -> Int? {
            #expect(try child.readLine() == line)
            #expect(waitUntil(timeout: .seconds(10)) { Self.isStopped(child.pid) })
            defer { child.signal(SIGCONT) }
            return ProcessStatistics.openDescriptorCount(process: child.pid)
        }
        // 0, 1 and 2, unless this libc cannot close the rest at spawn: then also what the test
        // process had open, the same at every step.
        let start = try #require(try countAfter("start"))
        #expect(ChildProcess.closesInheritedDescriptors ? start == 3 : start >= 3)
        #expect(try countAfter("opened") == start + 2)
        #expect(try countAfter("closed") == start)
        #expect(child.waitForExit() == .exited(0))
        #expect(ProcessStatistics.openDescriptorCount(process: child.pid) == nil)
    }

    /// Whether /proc/PID/stat gives the process state as stopped ("T").
    private static func isStopped(_ pid: pid_t) -> Bool {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        // "PID (COMM) STATE ...": the state follows the last ')'.
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].hasPrefix(" T")
    }
}
