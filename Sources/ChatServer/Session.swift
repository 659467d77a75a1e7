// Session: one client connection: framing, rate limiting and idle tracking in front of ChatState.
import ChatCore
import Reactor

/// The handler of one client connection. Frames lines, applies the rate limit by pausing reads,
/// and hands each line to ``ChatState``.
final class Session: ConnectionHandler {
    unowned let server: Server
    let id: ClientID
    let connection: Connection
    private var framer: LineFramer
    /// Loop-clock time of the last byte received; the idle timer compares against it when it fires,
    /// so activity costs one store instead of a timer re-arm per line.
    var lastActivity: Int64
    var idleTimer: Reactor.Timer?
    /// The PART reason when the server closes this session itself (quit, idle-timeout, shutdown).
    var closeReason: String?

    // Rate limiting (token bucket, refilled lazily). Lines beyond the budget wait in `backlog`
    // (at most what one read returned) while reads are paused; nothing is dropped.
    private var tokens: Double
    private var refilledAt: Int64
    private var backlog: [UInt8] = []
    private var backlogStart = 0
    private var drainTimer: Reactor.Timer?

    init(server: Server, connection: Connection) {
        self.server = server
        self.connection = connection
        self.id = ClientID(connection.descriptor)
        self.framer = LineFramer(maxLineLength: server.options.maxLine)
        self.lastActivity = connection.reactor.now
        self.tokens = Double(max(1, server.options.rate))
        self.refilledAt = connection.reactor.now
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        server.state.counters.bytesIn &+= bytes.count
        lastActivity = connection.reactor.now
        if server.options.rate > 0 {
            throttledProcess(bytes)
            return
        }
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                server.state.receive(line: line, from: id, transport: server)
            case .overlong:
                server.state.lineTooLong(from: id, limit: server.options.maxLine, transport: server)
            }
        }
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        idleTimer?.cancel()
        drainTimer?.cancel()
        server.sessionClosed(self, reason: reason)
    }

    // MARK: Rate limiting

    private func refill() {
        let now = connection.reactor.now
        let rate = Double(server.options.rate)
        tokens = min(rate, tokens + Double(now - refilledAt) * rate / 1000)
        refilledAt = now
    }

    private func throttledProcess(_ bytes: UnsafeRawBufferPointer) {
        refill()
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                if backlog.isEmpty && tokens >= 1 {
                    tokens -= 1
                    server.state.receive(line: line, from: id, transport: server)
                } else {
                    backlog.append(contentsOf: line)
                    backlog.append(10)
                }
            case .overlong:
                server.state.lineTooLong(from: id, limit: server.options.maxLine, transport: server)
            }
        }
        if backlog.count > backlogStart && !connection.isReadingPaused {
            connection.pauseReading()
            scheduleDrain()
        }
    }

    private func scheduleDrain() {
        let interval = max(1, 1000 / server.options.rate)
        drainTimer = connection.reactor.schedule(afterMilliseconds: interval) { [unowned self] in
            self.drain()
        }
    }

    /// Releases backlogged lines as tokens allow; resumes reading when the backlog is gone.
    private func drain() {
        guard connection.isOpen else { return }
        refill()
        while tokens >= 1, backlogStart < backlog.count {
            let end = backlog[backlogStart...].firstIndex(of: 10)!
            tokens -= 1
            backlog.withUnsafeBytes { raw in
                let line = UnsafeRawBufferPointer(rebasing: raw[backlogStart..<end])
                server.state.receive(line: line, from: id, transport: server)
            }
            backlogStart = end + 1
        }
        guard connection.isOpen else { return }
        if backlogStart >= backlog.count {
            backlog = []
            backlogStart = 0
            connection.resumeReading()
        } else {
            scheduleDrain()
        }
    }
}
