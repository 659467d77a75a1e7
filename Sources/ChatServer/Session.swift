// Session: one client connection, whatever its protocol: framing, rate limiting and idle tracking
// in front of the front end's codec and ChatState.
import ChatCore
import Reactor

/// The handler of one client connection. Frames lines, applies the rate limit by pausing reads,
/// and hands each complete line to ``handle(line:)``, which each front end's subclass implements
/// with its codec.
///
/// Kept small: at 10,000 idle clients every byte here is 10 KB of server memory. Rate-limit state
/// lives in a ``Throttle`` allocated only when `--rate` is set, or while the output budget holds
/// some of this client's lines.
class Session: ConnectionHandler {
    /// Why the server itself closed this session; becomes the departure reason.
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

    init(server: Server, connection: Connection, id: ClientID, maxLineLength: Int) {
        self.server = server
        self.connection = connection
        self.id = id
        self.framer = LineFramer(maxLineLength: maxLineLength)
        self.lastActivity = connection.reactor.now
        if server.options.rate > 0 {
            throttle = Throttle(rate: server.options.rate, now: connection.reactor.now)
        }
    }

    /// One complete line, without its newline (and without a CR before it). Subclasses parse it.
    func handle(line: UnsafeRawBufferPointer) {
        preconditionFailure("Session.handle(line:) is implemented by each front end")
    }

    /// The framer discarded a line over the limit. Subclasses report it in their protocol.
    func lineTooLong() {
        preconditionFailure("Session.lineTooLong() is implemented by each front end")
    }

    /// A line over the limit was discarded: counted, then reported in the front end's protocol.
    final func overlong() {
        server.refusals.lineTooLong &+= 1
        lineTooLong()
    }

    /// The line the server writes before closing the connection itself (idle timeout, shutdown).
    func farewell(_ error: ChatError?, bye reason: String?) {
        preconditionFailure("Session.farewell(_:bye:) is implemented by each front end")
    }

    final func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        receive(bytes)
    }

    /// Bytes from the client, framed into lines: what the socket read, or (for a WebSocket
    /// session) one message's payload and then its line end.
    final func receive(_ bytes: UnsafeRawBufferPointer) {
        let connection = self.connection
        server.state.counters.bytesIn &+= bytes.count
        lastActivity = connection.reactor.now
        if let throttle {
            throttle.process(bytes, framer: &framer, session: self)
            return
        }
        // Past the budget's high watermark a read may cause only so much output; its other lines
        // wait in a throttle (one comparison per line, against a threshold taken once per read).
        let reactor = connection.reactor
        let holdAbove = server.outputHold.threshold(queued: reactor.queuedOutputBytes)
        var held: Throttle?
        framer.process(bytes) { frame in
            if held == nil && reactor.queuedOutputBytes <= holdAbove {
                switch frame {
                case .line(let line): self.handle(line: line)
                case .overlong: self.overlong()
                }
                return
            }
            let throttle = held ?? Throttle(rate: 0, now: reactor.now)
            held = throttle
            switch frame {
            case .line(let line): throttle.keep(line)
            case .overlong: throttle.keepOverlong(self)
            }
        }
        if let held, !held.isEmpty {
            throttle = held
            held.holdIfNeeded(self)
        }
    }

    /// A throttle without a rate limit has handled the last line the budget held.
    func throttleDrained() {
        throttle = nil
    }

    /// The connection is gone; subclasses cancel their own timers.
    func closed() {}

    /// Closes the connection once what is queued has been sent (after a farewell, a QUIT, a
    /// timeout). A WebSocket session sends its close frame first.
    func hangUp() {
        connection.closeAfterFlush()
    }

    final func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        ended(reason)
    }

    /// The connection closed for `reason`: timers go, and the server forgets the client.
    final func ended(_ reason: CloseReason) {
        idleTimer?.cancel()
        throttle?.cancel()
        closed()
        server.sessionClosed(self, reason: reason)
    }
}
