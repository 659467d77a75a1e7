// Connection+OutputLimits: the slow-consumer policy (a soft limit with a grace period beside the
// hard limit) and the output attribution the reactor's budget uses to find producers.

extension Connection {
    // MARK: Soft limit

    /// The soft output limit: queued bytes that a peer may exceed for a while, but not for longer
    /// than ``softOutboundGraceMilliseconds`` in a row. `nil` (the default) means none.
    ///
    /// When queued output first goes above this, the connection notes the loop time. Each flush
    /// that leaves the queue at or below the limit forgets it again: the peer caught up. If the
    /// queue stays above the limit for the whole grace period, the connection is closed with
    /// ``CloseReason/slowConsumerTimedOut`` after the best-effort ``overflowNotice``. So a reader
    /// that stalls for less than the grace period (a Wi-Fi hiccup, a GC pause) and then reads
    /// faster than its output arrives is never dropped, while one that stopped reading is dropped
    /// once the grace period has passed: on its next flush, or by the reactor's sweep if nothing
    /// is written to it any more. ``maxOutboundBytes`` still applies meanwhile and drops at once.
    ///
    /// Cost: one more number in the comparison every write already makes, and one test per flush
    /// while the connection is over the limit. There is no timer per write or per connection: the
    /// reactor keeps one timer, armed only while some connection is over its soft limit.
    ///
    /// Stored in 32 bits and clamped to 2 GiB, like the watermarks.
    ///
    /// ```swift
    /// connection.softOutboundLimit = 1 << 20            // 1 MiB may wait…
    /// connection.softOutboundGraceMilliseconds = 10_000 // …for at most 10 s in a row
    /// connection.maxOutboundBytes = 16 << 20            // 16 MiB never
    /// connection.overflowNotice = Array("ERR slow-consumer\n".utf8)
    /// ```
    public var softOutboundLimit: Int? {
        get { soft == .max ? nil : Int(soft) }
        set {
            changeSettings { $0.soft = newValue.map { Int32(clamping: max(0, $0)) } ?? .max }
            softLimitChanged()
        }
    }

    /// How long, in milliseconds, queued output may stay above ``softOutboundLimit`` without a
    /// break before the connection is dropped. Default 10,000 (10 s).
    public var softOutboundGraceMilliseconds: Int {
        get { Int(graceMilliseconds) }
        set {
            changeSettings { $0.grace = Int32(clamping: max(0, newValue)) }
            softLimitChanged()
        }
    }

    /// Sets the slow-consumer policy in one call: a soft limit with its grace period, and the hard
    /// limit (``maxOutboundBytes``). `soft` nil turns the soft limit off.
    public func setOutboundLimits(soft: Int?, graceMilliseconds: Int, hard: Int) {
        precondition(soft.map { $0 <= hard } ?? true, "soft output limit above the hard limit")
        changeSettings {
            $0.hard = hard
            $0.grace = Int32(clamping: max(0, graceMilliseconds))
            $0.soft = soft.map { Int32(clamping: max(0, $0)) } ?? .max
        }
        softLimitChanged()
    }

    /// The loop time (``Reactor/now``) since which queued output has been above
    /// ``softOutboundLimit`` without a break, or nil when it is not.
    public var softLimitExceededSince: Int64? { overSoftLimit ? reactor.softLimitEntry(of: self).since : nil }

    /// The limit or the grace period changed: start, end or re-time the grace period.
    private func softLimitChanged() {
        guard isOpen || state == .closingAfterFlush else { return }
        let over = output.count > Int(soft)
        if overSoftLimit {
            if over {
                reactor.armSoftLimitTimer(deadline: reactor.softLimitEntry(of: self).deadline)
            } else {
                reactor.softLimitRecovered(self)
            }
        } else if over {
            reactor.softLimitExceeded(by: self)
        }
    }

    /// The grace period is over: called by the reactor's sweep, which checked the clock.
    func softLimitTimedOut() {
        overflow(.slowConsumerTimedOut)
    }

    // MARK: Output attribution

    /// True while the reactor's ``Reactor/outputBudget`` keeps this connection from reading.
    ///
    /// Independent of ``pauseReading()``/``resumeReading()``: the connection reads again only
    /// when neither the owner nor the budget holds it.
    public var isReadingPausedForBudget: Bool { budgetPaused }

    /// The output this connection recently produced: bytes queued (to any connection, itself
    /// included) by its ``ConnectionHandler/connection(_:didRead:)`` callbacks and by
    /// ``attributingOutput(_:)``, halved every 1,024 ms of loop time. The reactor's output budget
    /// pauses the connections with the most.
    public var recentOutputProduced: Int {
        producedOutput >> Int(UInt32(truncatingIfNeeded: reactor.now >> 10) &- producedEpoch)
    }

    /// Runs `body` and counts the output it queues, on any connection, as produced by this one,
    /// just as output queued from this connection's read callback is counted.
    ///
    /// For work a connection's input causes outside its read callback: lines released later by
    /// a rate limiter's timer, say. Output nobody is credited with (plain timers, other threads'
    /// submissions) still counts toward the reactor's total, but pauses no one in particular until
    /// the total passes the budget's limit. Nested calls credit every connection they name.
    ///
    /// ```swift
    /// reactor.schedule(afterMilliseconds: 10) {
    ///     connection.attributingOutput { room.broadcast(backlog.removeFirst()) }
    /// }
    /// ```
    @discardableResult
    public func attributingOutput<Result>(_ body: () throws -> Result) rethrows -> Result {
        let before = reactor.outputAppended
        defer {
            let produced = reactor.outputAppended &- before
            if produced != 0 { creditOutput(produced) }
        }
        return try body()
    }

    /// Credits `bytes` of output to this connection and lets the budget look at the total.
    @inline(__always)
    func creditOutput(_ bytes: Int) {
        let epoch = UInt32(truncatingIfNeeded: reactor.now >> 10)
        if epoch != producedEpoch {
            producedOutput >>= Int(epoch &- producedEpoch)
            producedEpoch = epoch
        }
        producedOutput &+= bytes
        if reactor.queuedOutputBytes > reactor.budgetTrigger { reactor.outputProduced(by: self) }
    }

    /// Stops reading for the budget; the reactor keeps the list.
    func pauseForBudget() {
        budgetPaused = true
        updateInterest()
    }

    /// The budget is satisfied: read again unless the owner paused reading too.
    func resumeAfterBudget() {
        budgetPaused = false
        updateInterest()
    }
}
