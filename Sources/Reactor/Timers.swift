// Timers: one-shot and repeating timers on a binary min-heap keyed by deadline.
//
// A heap rather than a hashed wheel: schedule and cancel are O(log n) with an index kept in each
// timer, the earliest deadline (the epoll_wait timeout) is O(1), and there is no tick to run when
// nothing is due. At 20,000 connections with one idle timer each, log2(20,000) ≈ 15 swaps per
// operation. A wheel wins only when timers are re-armed on every message, which we avoid by
// letting an idle timer re-check the connection's last activity when it fires.

extension Reactor {
    /// A scheduled timer. Cancel it with ``cancel()``; cancelling twice, or after it fired, is harmless.
    public final class Timer {
        var deadline: Int64
        var sequence: UInt64
        let interval: Int64?
        var body: (() -> Void)?
        /// Position in the heap, or -1 when not scheduled.
        var index = -1
        unowned let reactor: Reactor

        init(reactor: Reactor, deadline: Int64, sequence: UInt64, interval: Int64?, body: @escaping () -> Void) {
            self.reactor = reactor
            self.deadline = deadline
            self.sequence = sequence
            self.interval = interval
            self.body = body
        }

        /// The loop-clock time (``Reactor/now``) at which the timer fires next.
        public var fireTime: Int64 { deadline }

        /// True until the timer fired (for one-shot timers) or was cancelled.
        public var isScheduled: Bool { index >= 0 }

        /// Stops the timer; its closure is released at once.
        public func cancel() {
            if index >= 0 { reactor.timers.remove(self) }
            body = nil
        }
    }

    /// Calls `body` once, `milliseconds` from now (measured from ``now``).
    @discardableResult
    public func schedule(afterMilliseconds milliseconds: Int, _ body: @escaping () -> Void) -> Timer {
        timers.insert(reactor: self, deadline: now + Int64(max(0, milliseconds)), interval: nil, body: body)
    }

    /// Calls `body` every `milliseconds` until the returned timer is cancelled.
    @discardableResult
    public func scheduleRepeating(everyMilliseconds milliseconds: Int, _ body: @escaping () -> Void) -> Timer {
        let interval = Int64(max(1, milliseconds))
        return timers.insert(reactor: self, deadline: now + interval, interval: interval, body: body)
    }

    /// Number of scheduled timers.
    public var timerCount: Int { timers.count }

    /// Fires every timer due at ``now``, earliest (then first scheduled) first. Each body runs
    /// outside any access to `timers`, so it may schedule and cancel timers.
    func fireExpiredTimers() {
        // Bound the work: timers scheduled by callbacks for "now" run next iteration.
        var budget = timers.count
        while budget > 0, let body = timers.popExpired(now: now) {
            budget -= 1
            body()
        }
    }
}

struct TimerHeap {
    private var heap: [Reactor.Timer] = []
    private var sequence: UInt64 = 0

    var count: Int { heap.count }

    /// Milliseconds until the earliest deadline, -1 for none, at most `cap` when given.
    func timeout(now: Int64, cap: Int64?) -> Int64 {
        guard let first = heap.first else { return cap ?? -1 }
        let wait = max(0, first.deadline - now)
        if let cap, cap >= 0 { return min(wait, cap) }
        return wait
    }

    mutating func insert(reactor: Reactor, deadline: Int64, interval: Int64?, body: @escaping () -> Void)
        -> Reactor.Timer
    {
        sequence &+= 1
        let timer = Reactor.Timer(
            reactor: reactor, deadline: deadline, sequence: sequence, interval: interval, body: body)
        timer.index = heap.count
        heap.append(timer)
        siftUp(heap.count - 1)
        return timer
    }

    mutating func remove(_ timer: Reactor.Timer) {
        let i = timer.index
        precondition(i >= 0 && i < heap.count && heap[i] === timer, "timer heap corrupted")
        let last = heap.count - 1
        if i != last {
            heap.swapAt(i, last)
            heap[i].index = i
        }
        heap.removeLast()
        timer.index = -1
        if i < heap.count {
            siftDown(i)
            siftUp(i)
        }
    }

    /// Removes the earliest timer if it is due at `now` and returns its body for the caller to run.
    /// A repeating timer is re-armed from its previous deadline, so it does not drift, but never
    /// into the past twice.
    ///
    /// The body is returned rather than called here: a callback may schedule or cancel timers, and
    /// doing that from inside this mutating method is an exclusivity violation (a runtime trap).
    mutating func popExpired(now: Int64) -> (() -> Void)? {
        while let first = heap.first, first.deadline <= now {
            remove(first)
            guard let body = first.body else { continue }
            if let interval = first.interval {
                // Re-armed before the callback runs, so the callback may cancel it.
                sequence &+= 1
                first.deadline = max(first.deadline + interval, now + 1)
                first.sequence = sequence
                first.index = heap.count
                heap.append(first)
                siftUp(heap.count - 1)
            } else {
                first.body = nil
            }
            return body
        }
        return nil
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = heap[a]
        let y = heap[b]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.sequence < y.sequence)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            heap[i].index = i
            heap[parent].index = parent
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count && less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, i) else { break }
            heap.swapAt(i, smallest)
            heap[i].index = i
            heap[smallest].index = smallest
            i = smallest
        }
    }
}
