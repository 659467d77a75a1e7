// OutputPolicy: the slow-consumer limits and the output budget, from the flags onto the reactor,
// and the reactor's output figures back into /stats and the log.
import ChatCore
import Reactor

extension Server {
    /// Sets the per-client slow-consumer policy on a new client connection, whatever its front end:
    /// `--max-outbuf` may be exceeded for `--slow-consumer-grace`, `--max-outbuf-hard` never, and
    /// either drop writes `ERR slow-consumer` first, best effort.
    func applyOutputLimits(to connection: Connection) {
        connection.setOutboundLimits(
            soft: options.maxOutbuf, graceMilliseconds: options.slowConsumerGraceMilliseconds,
            hard: options.hardOutbuf)
        connection.overflowNotice = slowConsumerLine
    }

    /// Sets the reactor-wide budget (`--max-total-outbuf`, 0 for none) and lets `/stats` read the
    /// reactor's output figures.
    func applyOutputBudget() {
        reactor.outputBudget = options.maxTotalOutbuf > 0 ? OutputBudget(limit: options.maxTotalOutbuf) : nil
        state.refreshCounters = { [unowned reactor] counters in
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
