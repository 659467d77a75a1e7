// ReactorHandleTests: cross-thread submission through the eventfd: once each, on the loop thread,
// in per-thread order, and refused once the reactor is gone.

import Glibc
import TestHarness
import Testing

@testable import Reactor

@Suite struct ReactorHandleTests {
    @Test(
        "8 threads x 1,000 submissions each run exactly once, on the loop thread, in per-thread order",
        .timeLimit(.minutes(1)))
    func manyThreadsSubmit() throws {
        let (thread, loopThread) = try ReactorThread.start { _ in pthread_self() }
        defer { thread.stopAndJoin() }
        let threads = 8
        let perThread = 1000
        let runs = Shared(Array(repeating: [Int](), count: threads))
        let offLoop = Shared(0)
        let refused = Shared(0)
        let handle = thread.handle
        runOnThreads(threads) { index in
            for sequence in 0..<perThread {
                let accepted = handle.execute { _ in
                    if pthread_equal(pthread_self(), loopThread) == 0 { offLoop.withLock { $0 += 1 } }
                    runs.withLock { $0[index].append(sequence) }
                }
                if !accepted { refused.withLock { $0 += 1 } }
            }
        }
        #expect(refused.value == 0)
        #expect(runs.eventually { $0.reduce(0) { $0 + $1.count } == threads * perThread })
        // A closure that ran twice would show up a little later: give it the chance.
        let settled = Shared(false)
        handle.execute { _ in settled.withLock { $0 = true } }
        #expect(settled.eventually { $0 })
        #expect(offLoop.value == 0)
        for (index, sequence) in runs.value.enumerated() {
            #expect(sequence == Array(0..<perThread), "thread \(index)")
        }
    }

    @Test("execute from the loop's own thread runs later, not inside the caller", .timeLimit(.minutes(1)))
    func executeFromLoopThread() throws {
        let (thread, _) = try ReactorThread.start { _ in 0 }
        defer { thread.stopAndJoin() }
        let log = Shared([String]())
        thread.handle.execute { reactor in
            log.withLock { $0.append("outer begins") }
            let accepted = reactor.handle.execute { _ in log.withLock { $0.append("inner") } }
            log.withLock { $0.append("outer ends, accepted: \(accepted)") }
        }
        #expect(log.eventually { $0.count == 3 })
        #expect(log.value == ["outer begins", "outer ends, accepted: true", "inner"])
    }

    @Test("execute wakes a loop blocked in epoll_wait with nothing else to do", .timeLimit(.minutes(1)))
    func executeWakesIdleLoop() throws {
        // With no timer, no connection and no cached buffers the loop waits with an infinite
        // timeout, so only the eventfd can wake it: a lost wakeup is a closure that never runs
        // (the deadline), whatever the machine's speed. The iterations between two closures show
        // it slept in between; a loop that spun (a zero timeout) would run them too, but would
        // count hundreds of iterations between two of them while the test polls (392-447, seen).
        let (thread, _) = try ReactorThread.start { _ in 0 }
        defer { thread.stopAndJoin() }
        usleep(50_000)  // let the loop go to sleep; the rounds below re-check that it does
        let ranAt = Shared([Int]())
        for round in 0..<20 {
            thread.handle.execute { reactor in ranAt.withLock { $0.append(reactor.iterations) } }
            try #require(ranAt.eventually(timeout: .seconds(5)) { $0.count == round + 1 }, "submission \(round) never ran")
        }
        let between = zip(ranAt.value, ranAt.value.dropFirst()).map { $1 - $0 }
        #expect(between.allSatisfy { $0 <= 2 }, "iterations between submissions: \(between)")
    }

    @Test("execute after the reactor is gone returns false and the closure never runs", .timeLimit(.minutes(1)))
    func executeAfterReactorIsGone() throws {
        let (thread, _) = try ReactorThread.start { _ in 0 }
        let handle = thread.handle
        thread.stopAndJoin()
        thread.stopAndJoin()  // idempotent
        let ran = Shared(false)
        #expect(handle.execute { _ in ran.withLock { $0 = true } } == false)
        #expect(handle.stop() == false)

        var reactor: Reactor? = try Reactor()
        let localHandle = reactor!.handle
        // Accepted while the reactor lives, but it dies before running an iteration: dropped unrun.
        #expect(localHandle.execute { _ in ran.withLock { $0 = true } })
        reactor = nil
        #expect(localHandle.execute { _ in ran.withLock { $0 = true } } == false)
        usleep(10_000)
        #expect(ran.value == false)
    }

    @Test("stop() through the handle makes run() return and the reactor go away", .timeLimit(.minutes(1)))
    func stopThroughHandle() throws {
        let (thread, _) = try ReactorThread.start { _ in 0 }
        let handle = thread.handle
        #expect(handle.stop())
        // Once run() returns, the thread drops the reactor, and the handle starts refusing work.
        #expect(waitUntil { !handle.execute { _ in } })
        thread.stopAndJoin()
    }
}
