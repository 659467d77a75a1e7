// LoadClient: one simulated chat client, the per-connection state machine of chatload (the
// analogue of redis-benchmark's `client`). Two states: setting up (send each setup step's
// request and collect bytes until its marker; IRC has two steps, register then join) and ready
// (scan every byte read for stamps and hand them to the run).
import Glibc
import Reactor

/// The handler of one load-generator connection.
///
/// Until it is ready the client keeps what it reads in a small buffer, checks each complete line
/// for an error reply (and, for IRC, a server PING to answer), and looks for the current setup
/// step's marker. Once ready, a receiving client runs the ``StampScanner`` over each read and
/// reports every stamp to its ``LoadRun``; nothing else is parsed and nothing is allocated per
/// message (an IRC client also looks for PINGs: a `memchr` for `N` per read).
final class LoadClient: ConnectionHandler {
    /// The run; it owns every client and outlives the event loop.
    unowned(unsafe) let run: LoadRun
    /// This client's connection index in the plan.
    let index: Int
    /// Receiver index, or -1 when this connection's reads are not checked.
    let receiver: Int
    /// Sender index, or -1 when this connection does not send.
    let sender: Int
    /// The bytes before each message's payload (`PUBLISH room `, `/ping `, or nothing).
    let messagePrefix: [UInt8]
    /// PONGs this client sent in answer to the server's PINGs.
    private(set) var pongsSent = 0

    private(set) var connection: Connection?
    private(set) var isReady = false
    private let adapter: any ProtocolAdapter
    private let steps: [SetupStep]
    private var step = 0
    private let answersPings: Bool
    /// Setup-phase bytes of the current step; starts with a virtual newline so markers can
    /// anchor at line starts.
    private var setupBytes: [UInt8] = [UInt8(ascii: "\n")]
    /// Where the first line not yet checked for errors and PINGs starts in `setupBytes`.
    private var checkedUpTo = 1
    private var scanner = StampScanner()
    private var pings = PingWatcher()

    init(run: LoadRun, index: Int, plan: WorkloadPlan) {
        self.run = run
        self.index = index
        self.receiver = plan.receiver(of: index)
        self.sender = plan.sender(of: index)
        self.messagePrefix = self.sender >= 0 ? plan.messagePrefix(ofSender: self.sender) : []
        self.adapter = plan.adapter
        self.steps = plan.setupSteps(of: index)
        self.answersPings = plan.adapter.answersServerPings
    }

    /// Adopts the freshly connected `connection` and sends the first setup request.
    func attach(_ connection: Connection) {
        self.connection = connection
        connection.handler = self
        self.begin(step: 0)
    }

    /// Up to `limit` bytes received during setup, printable, for error messages.
    func setupTranscript(limit: Int = 160) -> String {
        let bytes = self.setupBytes.dropFirst().prefix(limit)
        return String(decoding: bytes, as: UTF8.self).replacing("\r", with: "\\r").replacing("\n", with: "\\n")
    }

    /// Makes the kernel reset rather than close the connection when the process exits.
    ///
    /// With `SO_LINGER` set to zero seconds, `close` sends RST and the client side keeps no
    /// TIME_WAIT entry; a bench opens tens of thousands of connections a minute and would
    /// otherwise crowd the ephemeral port range, which slows down `connect` in later runs.
    func resetOnExit() {
        guard let connection = self.connection, connection.isOpen else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(
            connection.descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    // MARK: ConnectionHandler

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if self.isReady {
            if self.answersPings {
                self.pings.scan(bytes) { line in self.answer(line, on: connection) }
            }
            guard self.receiver >= 0 else { return }
            let now = Stamp.now()
            let run = self.run
            let receiver = self.receiver
            var scanner = self.scanner
            scanner.scan(bytes) { stamp in
                run.deliver(stamp, to: receiver, at: now)
            }
            self.scanner = scanner
            run.readFinished()
            return
        }
        self.setupBytes.append(contentsOf: bytes)
        // Complete lines: error replies fail the run, server PINGs get their PONG.
        while let newline = self.setupBytes[self.checkedUpTo...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = self.setupBytes[self.checkedUpTo..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            self.checkedUpTo = newline + 1
            if self.adapter.isErrorLine(line) {
                self.run.clientFailedSetup(self, reply: String(decoding: line, as: UTF8.self))
                return
            }
            if self.answersPings { self.answer(line, on: connection) }
        }
        if self.steps[self.step].doneMarkers.contains(where: { Self.find($0, in: self.setupBytes) }) {
            self.begin(step: self.step + 1)
        } else if self.setupBytes.count > 16 << 10 {
            // A chatty server (presence lines) before our marker: keep the tail a marker could span.
            let drop = self.setupBytes.count - 256
            self.setupBytes.removeFirst(drop)
            self.checkedUpTo = max(0, self.checkedUpTo - drop)
        }
    }

    // connectionDidReachEOF: the default closes with `.peerClosed`, which `clientClosed` reports.

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.run.clientClosed(self, reason: reason)
    }

    // MARK: Private

    /// Starts setup step `first`: sends its request, and moves on at once through steps that
    /// wait for nothing; past the last step the client is ready.
    private func begin(step first: Int) {
        var step = first
        while step < self.steps.count {
            self.step = step
            self.setupBytes = [UInt8(ascii: "\n")]
            self.checkedUpTo = 1
            if !self.steps[step].send.isEmpty { self.connection?.write(self.steps[step].send) }
            if !self.steps[step].doneMarkers.isEmpty { return }
            step += 1
        }
        self.becomeReady()
    }

    /// Answers `line` if it is a server PING.
    private func answer(_ line: ArraySlice<UInt8>, on connection: Connection) {
        guard let pong = self.adapter.pong(to: line) else { return }
        connection.write(pong)
        self.pongsSent += 1
    }

    private func becomeReady() {
        self.isReady = true
        self.setupBytes = []
        self.run.clientBecameReady(self)
    }

    private static func find(_ marker: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !marker.isEmpty, haystack.count >= marker.count else { return false }
        var start = 0
        while start + marker.count <= haystack.count {
            if haystack[start] == marker[0] && haystack[start..<start + marker.count].elementsEqual(marker) {
                return true
            }
            start += 1
        }
        return false
    }
}
