// Throttle: the --rate token bucket and the output budget's hold, which slow a session by pausing
// its reads and keeping the lines it already sent until they may be handled.
import Reactor

/// Lines of one session that must wait, and why: the token bucket of `--rate N` (N lines per
/// second, burst N), and the output budget (``OutputHold``): once all queued output together is
/// above the budget's high watermark, a read that has caused more than its share keeps the rest of
/// its lines. Waiting lines sit in `backlog` — at most what one read returned — while reads are
/// paused, so a flooding client is slowed by TCP backpressure and none of its lines is dropped.
///
/// A session has one from the start under `--rate`; otherwise only while the budget holds its
/// lines (from ``Session/connection(_:didRead:)``), and it goes once they are all handled.
final class Throttle {
    /// 0: no rate limit, only the budget holds lines.
    private let rate: Double
    private var tokens: Double
    private var refilledAt: Int64
    private var backlog: [UInt8] = []
    private var backlogStart = 0
    /// Backlog offsets where an over-long line was discarded: its ERR waits its turn there, so it
    /// cannot overtake the replies to lines sent before it.
    private var overlongAt: [Int] = []
    private var drainTimer: Reactor.Timer?
    /// How often held lines look at the budget again.
    private static let budgetPollMilliseconds = 10

    init(rate: Int, now: Int64) {
        self.rate = Double(rate)
        self.tokens = rate > 0 ? Double(rate) : .infinity
        self.refilledAt = now
    }

    func cancel() { drainTimer?.cancel() }

    var isEmpty: Bool { backlogStart >= backlog.count && overlongAt.isEmpty }

    private func refill(now: Int64) {
        guard rate > 0 else { return }
        tokens = min(rate, tokens + Double(now - refilledAt) * rate / 1000)
        refilledAt = now
    }

    func process(_ bytes: UnsafeRawBufferPointer, framer: inout LineFramer, session: Session) {
        let connection = session.connection
        refill(now: connection.reactor.now)
        let holdAbove = session.server.outputHold.threshold(queued: connection.reactor.queuedOutputBytes)
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                if backlog.isEmpty && tokens >= 1 && connection.reactor.queuedOutputBytes <= holdAbove {
                    tokens -= 1
                    session.handle(line: line)
                } else {
                    keep(line)
                }
            case .overlong:
                keepOverlong(session)
            }
        }
        holdIfNeeded(session)
    }

    /// Keeps a line for later.
    func keep(_ line: UnsafeRawBufferPointer) {
        backlog.append(contentsOf: line)
        backlog.append(10)
    }

    /// An over-long line was discarded: its ERR goes now, or in its turn after the kept lines.
    func keepOverlong(_ session: Session) {
        if backlog.isEmpty {
            session.overlong()
        } else {
            overlongAt.append(backlog.count)
        }
    }

    /// After a read: if lines were kept, stop reading until they are handled.
    func holdIfNeeded(_ session: Session) {
        if backlog.count > backlogStart && !session.connection.isReadingPaused {
            session.connection.pauseReading()
            scheduleDrain(session)
        }
    }

    private func scheduleDrain(_ session: Session, budget: Bool = false) {
        let interval = budget || rate == 0 ? Self.budgetPollMilliseconds : max(1, Int(1000 / rate))
        drainTimer = session.connection.reactor.schedule(afterMilliseconds: interval) { [unowned self, unowned session] in
            self.drain(session)
        }
    }

    /// Releases backlogged lines as tokens and the budget allow; resumes reading when the backlog
    /// is gone.
    private func drain(_ session: Session) {
        let connection = session.connection
        guard connection.isOpen else { return }
        refill(now: connection.reactor.now)
        // Reads are paused while lines wait here, so no byte arrives to mark activity: a client
        // whose lines are still draining is not idle, and must not be dropped with them unsent.
        session.lastActivity = connection.reactor.now
        let hold = session.server.outputHold
        // While the budget pauses this client, or the total is still above the watermark, its
        // lines wait as its unread input does.
        if connection.isReadingPausedForBudget || !hold.allowsDrain(queued: connection.reactor.queuedOutputBytes) {
            scheduleDrain(session, budget: true)
            return
        }
        let holdAbove = hold.threshold(queued: connection.reactor.queuedOutputBytes)
        // What these lines cause is this client's output, as if handled when read: so the output
        // budget finds a rate-limited flooder too.
        connection.attributingOutput {
            while backlogStart < backlog.count || !overlongAt.isEmpty {
                if let at = overlongAt.first, at <= backlogStart {
                    overlongAt.removeFirst()
                    session.overlong()
                    continue
                }
                guard tokens >= 1 && connection.reactor.queuedOutputBytes <= holdAbove else { break }
                let end = backlog[backlogStart...].firstIndex(of: 10)!
                tokens -= 1
                backlog.withUnsafeBytes { raw in
                    let line = UnsafeRawBufferPointer(rebasing: raw[backlogStart..<end])
                    session.handle(line: line)
                }
                backlogStart = end + 1
            }
        }
        guard connection.isOpen else { return }
        if backlogStart >= backlog.count {
            backlog = []
            backlogStart = 0
            connection.resumeReading()
            // Last: without a rate limit this releases the throttle.
            if rate == 0 { session.throttleDrained() }
        } else {
            scheduleDrain(session, budget: tokens >= 1)
        }
    }
}
