// OutputPolicy: the slow-consumer limits and the output budget, from the flags onto the reactor,
// and the reactor's output figures back into /stats and the log.
import ChatCore
import Reactor

extension Server {
    /// Sets the per-client slow-consumer policy on a new client connection, whatever its front end:
    /// `--max-outbuf` may be exceeded for `--slow-consumer-grace`, `--max-outbuf-hard` never, and
    /// either drop writes `notice` first, best effort (by default the line protocol's
    /// `ERR slow-consumer`; another front end passes its own).
    func applyOutputLimits(to connection: Connection, notice: [UInt8]? = nil) {
        connection.setOutboundLimits(
            soft: options.maxOutbuf, graceMilliseconds: options.slowConsumerGraceMilliseconds,
            hard: options.hardOutbuf)
        connection.overflowNotice = notice ?? slowConsumerLine
    }

    /// Sets the reactor-wide budget (`--max-total-outbuf`, 0 for none) and lets `/stats` read the
    /// reactor's output figures.
    func applyOutputBudget() {
        reactor.outputBudget = options.maxTotalOutbuf > 0 ? OutputBudget(limit: options.maxTotalOutbuf) : nil
        outputHold = OutputHold(reactor.outputBudget)
        state.refreshCounters = { [unowned reactor, unowned self] counters in
            counters.loopIterationMaxMicroseconds = reactor.loopStatistics.maxMicroseconds
            counters.loopIterationMaxOnCPUMicroseconds = reactor.loopStatistics.maxOnCPUMicroseconds
            counters.bus = self.cluster?.busCounters
            let output = reactor.outputStatistics
            counters.outputQueuedBytes = output.queuedBytes
            counters.outputQueuedPeakBytes = max(output.peakQueuedBytes, output.queuedBytes)
            counters.outputBudgetPauses = output.budgetPauses
            counters.outputBudgetPausedConnections = output.budgetPausedConnections
            counters.outputBudgetPausedMilliseconds = Int(output.budgetPausedMilliseconds)
        }
    }

    /// Counts a slow-consumer drop by its reason and says, for the log, which limit it was.
    func countSlowConsumerDrop(_ reason: CloseReason) -> String {
        state.counters.slowConsumerDrops += 1
        if reason == .slowConsumerTimedOut {
            state.counters.slowConsumerSoftLimitDrops += 1
            return "more than \(options.maxOutbuf) bytes queued (--max-outbuf) for "
                + "\(Self.seconds(options.slowConsumerGraceMilliseconds)) s (--slow-consumer-grace)"
        }
        state.counters.slowConsumerHardLimitDrops += 1
        return "more than \(options.hardOutbuf) bytes queued (--max-outbuf-hard)"
    }

    /// The output part of the periodic summary line.
    var outputSummary: String {
        let counters = state.counters
        let output = reactor.outputStatistics
        var summary = "\(counters.slowConsumerDrops) slow consumers dropped "
            + "(\(counters.slowConsumerSoftLimitDrops) after the grace period, "
            + "\(counters.slowConsumerHardLimitDrops) at the hard limit), \(output.queuedBytes) bytes queued"
        if output.budgetPauses > 0 {
            summary += ", reading paused for the output budget \(output.budgetPauses) times "
                + "(\(output.budgetPausedMilliseconds) ms in all)"
        }
        return summary
    }

    /// Milliseconds as seconds for people: `10`, `0.5`, `2.25`.
    static func seconds(_ milliseconds: Int) -> String {
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)" }
        var text = "\(milliseconds / 1000)." + String(String(1000 + milliseconds % 1000).dropFirst())
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

/// When the output budget makes a client's lines wait: a read (or a drain of held lines) that
/// finds all queued output above the budget's high watermark may add ``perRead`` bytes to it, and
/// its remaining lines wait until the budget lets the client read again.
///
/// The reactor pauses the heaviest producers only after their read; without this, one read of a
/// flooder in a room of N members (up to 64 KiB of lines) would queue N times that at once, far
/// past the budget. With it the total stays below the high watermark plus ``perRead`` plus one
/// line to the room per client reading at that moment. A client typing now and then is never held:
/// its first line always goes, and later ones only wait while a single read has caused more than
/// ``perRead``.
struct OutputHold {
    /// The budget's high watermark; `Int.max` without a budget.
    let highWatermark: Int
    /// Output one read may cause above the watermark: an eighth of the room between the
    /// watermark and the limit, at least 64 KiB.
    let perRead: Int

    static let off = OutputHold(highWatermark: .max, perRead: 0)

    init(highWatermark: Int, perRead: Int) {
        self.highWatermark = highWatermark
        self.perRead = perRead
    }

    init(_ budget: OutputBudget?) {
        guard let budget else {
            self = .off
            return
        }
        self.init(highWatermark: budget.highWatermark, perRead: max(64 << 10, (budget.limit - budget.highWatermark) / 8))
    }

    /// The total above which a read that started at `queued` keeps its remaining lines.
    @inline(__always)
    func threshold(queued: Int) -> Int {
        max(highWatermark, queued &+ perRead)
    }

    /// Whether held lines may go: the total is back at or below the watermark.
    func allowsDrain(queued: Int) -> Bool { queued <= highWatermark }
}
