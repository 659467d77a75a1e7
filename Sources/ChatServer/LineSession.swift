// LineSession: one line-protocol connection: framing, rate limiting and idle tracking in front of
// the line codec and ChatState.
import ChatCore
import LineProtocol
import Reactor

/// The handler of one line-protocol connection. Frames lines, applies the rate limit by pausing
/// reads, parses each line with ``LineParser`` and hands the command to ``ChatState``; the few
/// requests the front end answers itself (`/ping`, `/help`) are rendered here.
///
/// Kept small: at 10,000 idle clients every byte here is 10 KB of server memory. Rate-limit state
/// lives in a ``Throttle`` allocated only when `--rate` is set.
final class LineSession: ConnectionHandler {
    /// Why the server itself closed this session; becomes the PART reason.
    enum Ending: UInt8 {
        case none, quit, idleTimeout, shutdown

        var reason: String? {
            switch self {
            case .none: return nil
            case .quit: return "quit"
            case .idleTimeout: return "idle-timeout"
            case .shutdown: return "shutting-down"
            }
        }
    }

    unowned(unsafe) let server: Server
    let connection: Connection
    private var framer: LineFramer
    /// Loop-clock time of the last byte received; the idle timer compares against it when it fires,
    /// so activity costs one store instead of a timer re-arm per line.
    var lastActivity: Int64
    var idleTimer: Reactor.Timer?
    private var throttle: Throttle?
    var ending = Ending.none
    /// This client's slot in the session table and in ChatState.
    let id: ClientID

    init(server: Server, connection: Connection, id: ClientID) {
        self.server = server
        self.connection = connection
        self.id = id
        self.framer = LineFramer(maxLineLength: server.options.maxLine)
        self.lastActivity = connection.reactor.now
        if server.options.rate > 0 {
            throttle = Throttle(rate: server.options.rate, now: connection.reactor.now)
        }
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        server.state.counters.bytesIn &+= bytes.count
        lastActivity = connection.reactor.now
        if let throttle {
            throttle.process(bytes, framer: &framer, session: self)
            return
        }
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line): self.handle(line: line)
            case .overlong: self.lineTooLong()
            }
        }
    }

    /// One complete line, without its newline.
    @inline(__always)
    func handle(line: UnsafeRawBufferPointer) {
        if let reply = LineParser.handle(line, from: id, state: server.state) {
            server.delivery.reply(to: self) { LineEncoder.encode(reply, into: &$0) }
        }
    }

    /// The framer discarded a line over the limit.
    func lineTooLong() {
        server.state.report(.lineTooLong(limit: server.options.maxLine), to: id)
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        idleTimer?.cancel()
        throttle?.cancel()
        server.sessionClosed(self, reason: reason)
    }
}

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

    func process(_ bytes: UnsafeRawBufferPointer, framer: inout LineFramer, session: LineSession) {
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

    private func scheduleDrain(_ session: LineSession) {
        let interval = max(1, Int(1000 / rate))
        drainTimer = session.connection.reactor.schedule(afterMilliseconds: interval) { [unowned self, unowned session] in
            self.drain(session)
        }
    }

    /// Releases backlogged lines as tokens allow; resumes reading when the backlog is gone.
    private func drain(_ session: LineSession) {
        let connection = session.connection
        guard connection.isOpen else { return }
        refill(now: connection.reactor.now)
        // Reads are paused while lines wait here, so no byte arrives to mark activity: a client
        // whose lines are still draining is not idle, and must not be dropped with them unsent.
        session.lastActivity = connection.reactor.now
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
