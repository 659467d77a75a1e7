// Throttle: the --rate token bucket, which slows a session by pausing its reads.
import Reactor

/// A token bucket for one session (`--rate N`: N lines per second, burst N). Lines beyond the
/// budget wait in `backlog` — at most what one read returned — while reads are paused, so a
/// flooding client is slowed by TCP backpressure and none of its lines is dropped.
final class Throttle {
    private let rate: Double
    private var tokens: Double
    private var refilledAt: Int64
    private var backlog: [UInt8] = []
    private var backlogStart = 0
    /// Backlog offsets where an over-long line was discarded: its ERR waits its turn there, so it
    /// cannot overtake the replies to lines sent before it.
    private var overlongAt: [Int] = []
    private var drainTimer: Reactor.Timer?

    init(rate: Int, now: Int64) {
        self.rate = Double(rate)
        self.tokens = Double(rate)
        self.refilledAt = now
    }

    func cancel() { drainTimer?.cancel() }

    private func refill(now: Int64) {
        tokens = min(rate, tokens + Double(now - refilledAt) * rate / 1000)
        refilledAt = now
    }

    func process(_ bytes: UnsafeRawBufferPointer, framer: inout LineFramer, session: Session) {
        refill(now: session.connection.reactor.now)
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                if backlog.isEmpty && tokens >= 1 {
                    tokens -= 1
                    session.handle(line: line)
                } else {
                    backlog.append(contentsOf: line)
                    backlog.append(10)
                }
            case .overlong:
                if backlog.isEmpty {
                    session.lineTooLong()
                } else {
                    overlongAt.append(backlog.count)
                }
            }
        }
        if backlog.count > backlogStart && !session.connection.isReadingPaused {
            session.connection.pauseReading()
            scheduleDrain(session)
        }
    }

    private func scheduleDrain(_ session: Session) {
        let interval = max(1, Int(1000 / rate))
        drainTimer = session.connection.reactor.schedule(afterMilliseconds: interval) { [unowned self, unowned session] in
            self.drain(session)
        }
    }

    /// Releases backlogged lines as tokens allow; resumes reading when the backlog is gone.
    private func drain(_ session: Session) {
        let connection = session.connection
        guard connection.isOpen else { return }
        refill(now: connection.reactor.now)
        // Reads are paused while lines wait here, so no byte arrives to mark activity: a client
        // whose lines are still draining is not idle, and must not be dropped with them unsent.
        session.lastActivity = connection.reactor.now
        // What these lines cause is this client's output, as if handled when read: so the output
        // budget finds a rate-limited flooder too.
        connection.attributingOutput {
            while backlogStart < backlog.count || !overlongAt.isEmpty {
                if let at = overlongAt.first, at <= backlogStart {
                    overlongAt.removeFirst()
                    session.lineTooLong()
                    continue
                }
                guard tokens >= 1 else { break }
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
        } else {
            scheduleDrain(session)
        }
    }
}
