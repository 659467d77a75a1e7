// Reactor+OutputBudget: the total of all queued output, the reactor-wide budget that pauses the
// heaviest producers instead of dropping anyone, the one sweep timer for soft output limits, and
// the counters an embedder reports.

/// A ceiling on the output all of a reactor's connections hold together, enforced by pausing
/// reading (backpressure), never by dropping output. Set it with ``Reactor/outputBudget``.
///
/// Three levels, `lowWatermark ≤ highWatermark ≤ limit`:
///
/// - **Above `highWatermark`** the reactor pauses reading on the *heaviest producers*: every open
///   connection whose ``Connection/recentOutputProduced`` is at least 1/8 of the largest one's.
///   While the total stays over the low watermark, a connection that reaches that same share by
///   producing more is paused too, after the read that got it there. Connections producing a
///   little (a chat member typing a line now and then) read on.
/// - **Above `limit`** every connection whose read (or ``Connection/attributingOutput(_:)``
///   block) queues any output is paused after that read, whatever its share.
/// - **At or below `lowWatermark`** (checked once per iteration, after the flush) everyone the
///   budget paused reads again.
///
/// A paused connection's input waits in the kernel and TCP slows its sender; nothing is dropped.
///
/// **Who produces.** The reactor cannot know which input causes which output in general, but it
/// sees the causal link that matters in a server: bytes queued while a connection's read callback
/// runs were caused by that read. It credits them to the reader (two loads and a subtraction per
/// read, nothing per write), decays the credit with a half-life of about a second, and lets the
/// embedder credit deferred work with ``Connection/attributingOutput(_:)``. Pausing by produced
/// output rather than by input rate finds the connection whose few bytes fan out to thousands of
/// recipients, and leaves alone the readers who are behind (they produce nothing, and pausing them
/// would only stall their own requests).
///
/// **The bound.** Reads are the only way attributed output grows, and once the total is above
/// `limit` each connection is paused after its first producing read. So the total stays below
/// `limit` plus one read's worth of output from each connection still reading (one
/// ``Reactor/scratchSize`` read per wakeup, times its fan-out), plus what timers and other
/// unattributed work queue before the end of the iteration, when their output is noticed.
///
/// ```swift
/// reactor.outputBudget = OutputBudget(limit: 256 << 20)  // high 192 MiB, low 128 MiB
/// ```
public struct OutputBudget: Hashable, Sendable {
    /// Queued bytes, all connections together, above which every producing connection is paused.
    public var limit: Int
    /// Queued bytes above which the heaviest producers are paused. Default: three quarters of `limit`.
    public var highWatermark: Int
    /// Queued bytes at or below which the connections paused for the budget read again. Default:
    /// half of `limit` (or `highWatermark`, if that is lower).
    public var lowWatermark: Int

    /// A budget of `limit` bytes; the watermarks default to 3/4 and 1/2 of it.
    /// - Precondition: `0 ≤ lowWatermark ≤ highWatermark ≤ limit`.
    public init(limit: Int, highWatermark: Int? = nil, lowWatermark: Int? = nil) {
        let high = highWatermark ?? limit - limit / 4
        let low = lowWatermark ?? min(limit / 2, high)
        precondition(0 <= low && low <= high && high <= limit, "output budget needs 0 ≤ low ≤ high ≤ limit")
        self.limit = limit
        self.highWatermark = high
        self.lowWatermark = low
    }

    /// A heavy producer has produced at least 1/`producerShare` of what the heaviest one has.
    static let producerShare = 8
}

/// What a reactor's output policy has done: a snapshot from ``Reactor/outputStatistics``.
public struct OutputStatistics: Hashable, Sendable {
    /// Output queued on all connections together and not yet accepted by the kernel.
    public internal(set) var queuedBytes = 0
    /// The largest total seen at the end of an iteration's callbacks, just before its flush (the
    /// point where the total peaks, closes aside).
    public internal(set) var peakQueuedBytes = 0
    /// Connections the reactor closed with ``CloseReason/slowConsumerTimedOut``.
    public internal(set) var slowConsumerTimeouts = 0
    /// Connections the reactor closed with ``CloseReason/outputLimitExceeded`` (closes an owner
    /// asks for with that reason are not counted).
    public internal(set) var outputLimitDrops = 0
    /// How often the total passed the budget's high watermark, pausing producers.
    public internal(set) var budgetPauses = 0
    /// How many connections were paused for the budget, over all pauses.
    public internal(set) var budgetPausedConnections = 0
    /// Milliseconds of loop time spent over the budget (from passing the high watermark until back
    /// at the low one), the current pause included.
    public internal(set) var budgetPausedMilliseconds: Int64 = 0
    /// True while the budget keeps producers paused.
    public internal(set) var isOverBudget = false
}

/// A connection whose queue is over its soft limit, in ``Reactor/softLimited``. Only these need
/// the start of their grace period, so it is kept here rather than in every connection.
struct SoftLimitEntry {
    let connection: Connection
    /// Loop time at which the queue went over the soft limit.
    let since: Int64

    /// When the grace period ends (the connection's current grace period, which may have changed).
    var deadline: Int64 { since + Int64(connection.graceMilliseconds) }
}

/// The budget's bookkeeping, apart from the two hot counters in ``Reactor``.
struct OutputBudgetState {
    var isOver = false
    var overSince: Int64 = 0
    /// The producer score (``Connection/recentOutputProduced``) that pauses a connection during
    /// this pause: 1/8 of the heaviest producer's when the high watermark was passed.
    var pauseThreshold = 1
    var paused: [Connection] = []
    var statistics = OutputStatistics()
}

extension Reactor {
    /// Output queued on all connections together, O(1): bytes appended minus bytes written or
    /// dropped.
    public var queuedOutputBytes: Int { outputAppended &- outputDrained }

    /// A snapshot of the output counters: queued bytes, drops by reason, budget pauses.
    public var outputStatistics: OutputStatistics {
        var statistics = budgetState.statistics
        statistics.queuedBytes = queuedOutputBytes
        statistics.isOverBudget = budgetState.isOver
        if budgetState.isOver { statistics.budgetPausedMilliseconds += now - budgetState.overSince }
        return statistics
    }

    func countDrop(_ reason: CloseReason) {
        if reason == .slowConsumerTimedOut {
            budgetState.statistics.slowConsumerTimeouts += 1
        } else {
            budgetState.statistics.outputLimitDrops += 1
        }
    }

    // MARK: Budget

    /// What producing output has to exceed for ``outputProduced(by:)`` to run: the high watermark
    /// normally, anything while over budget, never without a budget.
    func updateBudgetTrigger() {
        budgetTrigger = budgetState.isOver ? .min : (outputBudget?.highWatermark ?? .max)
    }

    /// `connection` just queued output and the total is past the trigger.
    func outputProduced(by connection: Connection) {
        guard let budget = outputBudget else { return }
        let queued = queuedOutputBytes
        if !budgetState.isOver {
            if queued > budget.highWatermark { enterOverBudget() }
            return
        }
        guard connection.state == .open, !connection.budgetPaused else { return }
        if queued > budget.limit || connection.recentOutputProduced >= budgetState.pauseThreshold {
            pause(connection)
        }
    }

    /// The end-of-iteration half of the budget, around the flush: notices output that no read
    /// produced (timers, deferred work) and ends a pause once the total is at the low watermark.
    @inline(__always)
    func checkOutputBudget(beforeFlush: Bool) {
        let queued = queuedOutputBytes
        if beforeFlush {
            if queued > budgetState.statistics.peakQueuedBytes { budgetState.statistics.peakQueuedBytes = queued }
            if queued > budgetTrigger && !budgetState.isOver { enterOverBudget() }
        } else if budgetState.isOver && queued <= (outputBudget?.lowWatermark ?? .max) {
            leaveOverBudget()
        }
    }

    /// The total passed the high watermark: pause the heaviest producers.
    ///
    /// O(registrations), once per pause: the watermarks' hysteresis keeps pauses rare, and a
    /// list of producers kept up to date instead would cost on every read.
    private func enterOverBudget() {
        budgetState.isOver = true
        budgetState.overSince = now
        budgetState.statistics.budgetPauses += 1
        updateBudgetTrigger()
        var heaviest = 0
        for slot in slots {
            guard let connection = slot.target as? Connection, connection.state == .open else { continue }
            heaviest = max(heaviest, connection.recentOutputProduced)
        }
        budgetState.pauseThreshold = max(1, heaviest / OutputBudget.producerShare)
        for slot in slots {
            guard let connection = slot.target as? Connection, connection.state == .open,
                connection.recentOutputProduced >= budgetState.pauseThreshold
            else { continue }
            pause(connection)
        }
    }

    private func pause(_ connection: Connection) {
        connection.pauseForBudget()
        budgetState.paused.append(connection)
        budgetState.statistics.budgetPausedConnections += 1
    }

    private func leaveOverBudget() {
        budgetState.isOver = false
        budgetState.statistics.budgetPausedMilliseconds += now - budgetState.overSince
        let paused = budgetState.paused
        budgetState.paused.removeAll()
        updateBudgetTrigger()
        for connection in paused { connection.resumeAfterBudget() }
    }

    /// A connection paused for the budget closed: stop holding it.
    func forgetBudgetPause(_ connection: Connection) {
        connection.budgetPaused = false
        if let index = budgetState.paused.firstIndex(where: { $0 === connection }) {
            budgetState.paused.remove(at: index)
        }
    }

    // MARK: Soft output limits

    /// `connection`'s queue went over its soft limit: its grace period starts now.
    func softLimitExceeded(by connection: Connection) {
        let fd = Int(connection.fd)
        precondition(fd < slots.count && slots[fd].target === connection, "over a soft limit unregistered")
        slots[fd].softLimitIndex = Int32(softLimited.count)
        softLimited.append(SoftLimitEntry(connection: connection, since: now))
        connection.overSoftLimit = true
        armSoftLimitTimer(deadline: now + Int64(connection.graceMilliseconds))
    }

    /// Where `connection`, which is over its soft limit, sits in ``softLimited``.
    @inline(__always)
    private func softLimitIndex(of connection: Connection) -> Int {
        let fd = Int(connection.fd)
        let index = fd < slots.count ? Int(slots[fd].softLimitIndex) : -1
        precondition(
            connection.overSoftLimit && index >= 0 && index < softLimited.count
                && softLimited[index].connection === connection, "soft-limit list corrupted")
        return index
    }

    /// The listing of `connection`, which is over its soft limit.
    func softLimitEntry(of connection: Connection) -> SoftLimitEntry {
        softLimited[softLimitIndex(of: connection)]
    }

    /// `connection` is no longer over its soft limit (it caught up, or closed).
    func softLimitRecovered(_ connection: Connection) {
        let index = softLimitIndex(of: connection)
        let last = softLimited.count - 1
        if index != last {
            softLimited.swapAt(index, last)
            slots[Int(softLimited[index].connection.fd)].softLimitIndex = Int32(index)
        }
        softLimited.removeLast()
        slots[Int(connection.fd)].softLimitIndex = -1
        connection.overSoftLimit = false
        if softLimited.isEmpty {
            softLimitTimer?.cancel()
            softLimitTimer = nil
        }
    }

    /// Makes the sweep run no later than `deadline`.
    func armSoftLimitTimer(deadline: Int64) {
        if let timer = softLimitTimer, timer.isScheduled, timer.fireTime <= deadline { return }
        softLimitTimer?.cancel()
        softLimitTimer = schedule(afterMilliseconds: Int(clamping: deadline - now)) { [unowned self] in
            self.sweepSoftLimits()
        }
    }

    /// Drops the connections whose grace period is over and re-arms for the earliest of the rest.
    ///
    /// O(connections over their soft limit) per run. Deadlines are loop-clock values shared by
    /// everything in one iteration, so connections that fell behind together expire in one run.
    private func sweepSoftLimits() {
        softLimitTimer = nil
        var earliest = Int64.max
        var index = 0
        while index < softLimited.count {
            let entry = softLimited[index]
            let deadline = entry.deadline
            if deadline <= now {
                // Closing takes it out of the list: the last entry moves into `index`.
                entry.connection.softLimitTimedOut()
                continue
            }
            earliest = min(earliest, deadline)
            index += 1
        }
        if earliest != .max { armSoftLimitTimer(deadline: earliest) }
    }
}
