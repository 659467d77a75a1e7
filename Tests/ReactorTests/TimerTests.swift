// TimerTests: deadline order, FIFO ties, cancellation from anywhere, repeating timers, and 20,000
// timers on a reactor driven from the test thread.

import Glibc
import Testing

@testable import Reactor

@Suite struct TimerTests {
    @Test("timers fire in deadline order, and in scheduling order when deadlines are equal")
    func deadlineOrderAndFIFO() throws {
        let reactor = try Reactor()
        let delays = [30, 10, 20, 10, 0, 20, 10, 0, 30]
        var fired: [Int] = []
        var early: [Int] = []
        for (index, delay) in delays.enumerated() {
            var timer: Reactor.Timer?
            timer = reactor.schedule(afterMilliseconds: delay) {
                fired.append(index)
                if reactor.now < timer!.fireTime { early.append(index) }
            }
        }
        #expect(reactor.timerCount == delays.count)
        #expect(reactor.spin { reactor.timerCount == 0 })
        let expected = delays.indices.sorted { (delays[$0], $0) < (delays[$1], $1) }
        #expect(fired == expected)
        #expect(early.isEmpty)
    }

    @Test("a timer does not fire before its delay has passed")
    func notEarly() throws {
        let reactor = try Reactor()
        reactor.runOnce(timeoutMilliseconds: 0)  // refresh the loop clock
        let start = ContinuousClock.now
        var elapsed: Duration?
        reactor.schedule(afterMilliseconds: 50) { elapsed = ContinuousClock.now - start }
        #expect(reactor.spin { elapsed != nil })
        let waited = try #require(elapsed)
        #expect(waited >= .milliseconds(48))
        #expect(waited < .seconds(1))
    }

    @Test("runOnce without a timeout wakes up for the earliest timer")
    func waitIsBoundedByEarliestTimer() throws {
        let reactor = try Reactor()
        var fired = false
        reactor.schedule(afterMilliseconds: 20) { fired = true }
        reactor.schedule(afterMilliseconds: 60_000) {}
        let took = milliseconds {
            for _ in 0..<10 where !fired { reactor.runOnce(timeoutMilliseconds: nil) }
        }
        #expect(fired)
        #expect(took < 1000)
        #expect(reactor.timerCount == 1)
    }

    @Test("a cancelled timer never fires and leaves the heap at once")
    func cancelBeforeFiring() throws {
        let reactor = try Reactor()
        var fired: [String] = []
        let keep = reactor.schedule(afterMilliseconds: 10) { fired.append("keep") }
        let drop = reactor.schedule(afterMilliseconds: 5) { fired.append("drop") }
        #expect(drop.isScheduled)
        drop.cancel()
        #expect(!drop.isScheduled)
        #expect(reactor.timerCount == 1)
        reactor.spin(for: .milliseconds(40))
        #expect(fired == ["keep"])
        #expect(!keep.isScheduled)
        #expect(reactor.timerCount == 0)
    }

    @Test("a timer cancelled from another timer's callback does not fire, even when due in the same iteration")
    func cancelFromAnotherCallback() throws {
        let reactor = try Reactor()
        var fired: [String] = []
        var sameDeadline: Reactor.Timer!
        var later: Reactor.Timer!
        reactor.schedule(afterMilliseconds: 10) {
            fired.append("first")
            sameDeadline.cancel()
            later.cancel()
        }
        sameDeadline = reactor.schedule(afterMilliseconds: 10) { fired.append("same deadline") }
        later = reactor.schedule(afterMilliseconds: 30) { fired.append("later") }
        let bystander = reactor.schedule(afterMilliseconds: 20) { fired.append("bystander") }
        reactor.spin(for: .milliseconds(60))
        #expect(fired == ["first", "bystander"])
        #expect(!bystander.isScheduled)
        #expect(reactor.timerCount == 0)
    }

    @Test("cancelling twice, or after the timer fired, is harmless")
    func cancelTwiceAndAfterFiring() throws {
        let reactor = try Reactor()
        var count = 0
        let once = reactor.schedule(afterMilliseconds: 1) { count += 1 }
        let twice = reactor.schedule(afterMilliseconds: 1) { count += 100 }
        let other = reactor.schedule(afterMilliseconds: 10_000) {}
        twice.cancel()
        twice.cancel()
        #expect(reactor.timerCount == 2)
        #expect(reactor.spin { count > 0 })
        once.cancel()
        once.cancel()
        #expect(count == 1)
        #expect(reactor.timerCount == 1)
        #expect(other.isScheduled)
        other.cancel()
        #expect(reactor.timerCount == 0)
    }

    @Test("a repeating timer fires repeatedly and stops when cancelled from its own callback")
    func repeatingCancelledFromItself() throws {
        let reactor = try Reactor()
        var fireTimes: [Int64] = []
        var timer: Reactor.Timer!
        timer = reactor.scheduleRepeating(everyMilliseconds: 3) {
            fireTimes.append(timer.fireTime)
            if fireTimes.count == 5 { timer.cancel() }
        }
        #expect(reactor.spin { fireTimes.count >= 5 })
        reactor.spin(for: .milliseconds(30))
        #expect(fireTimes.count == 5)
        #expect(!timer.isScheduled)
        #expect(reactor.timerCount == 0)
        // Re-armed before each callback, at least one interval after the previous deadline.
        for (previous, next) in zip(fireTimes, fireTimes.dropFirst()) { #expect(next - previous >= 3) }
    }

    @Test("a repeating timer cancelled from outside stops too")
    func repeatingCancelledFromOutside() throws {
        let reactor = try Reactor()
        var count = 0
        let timer = reactor.scheduleRepeating(everyMilliseconds: 1) { count += 1 }
        #expect(reactor.spin { count >= 3 })
        timer.cancel()
        let seen = count
        reactor.spin(for: .milliseconds(20))
        #expect(count == seen)
        #expect(reactor.timerCount == 0)
    }

    @Test("a timer that re-schedules itself at zero delay runs once per iteration and cannot starve the loop")
    func zeroDelayChainDoesNotStarve() throws {
        let reactor = try Reactor()
        var count = 0
        var stop = false
        func again() {
            reactor.schedule(afterMilliseconds: 0) {
                count += 1
                if !stop { again() }
            }
        }
        again()
        for _ in 0..<10 { reactor.runOnce(timeoutMilliseconds: 0) }
        #expect(count == 10)
        #expect(reactor.timerCount == 1)
        stop = true
        reactor.runOnce(timeoutMilliseconds: 0)
        #expect(reactor.timerCount == 0)
    }

    @Test("20,000 timers with random deadlines fire in order, cancelled ones never, and the heap empties")
    func twentyThousandRandomTimers() throws {
        let reactor = try Reactor()
        var generator = SplitMix64(seed: 20_000)
        let delays = (0..<20_000).map { _ in Int.random(in: 0...150, using: &generator) }
        var fired: [Int] = []
        fired.reserveCapacity(delays.count)
        var timers: [Reactor.Timer] = []
        for (index, delay) in delays.enumerated() {
            timers.append(reactor.schedule(afterMilliseconds: delay) { fired.append(index) })
        }
        var cancelled = Set<Int>()
        for _ in 0..<5000 {
            let index = Int.random(in: 0..<delays.count, using: &generator)
            timers[index].cancel()
            cancelled.insert(index)
        }
        #expect(reactor.timerCount == delays.count - cancelled.count)
        #expect(reactor.spin(timeout: .seconds(20)) { reactor.timerCount == 0 })
        let expected = delays.indices.filter { !cancelled.contains($0) }.sorted { (delays[$0], $0) < (delays[$1], $1) }
        #expect(fired.count == expected.count)
        #expect(fired == expected)
        #expect(timers.allSatisfy { !$0.isScheduled })
    }
}
