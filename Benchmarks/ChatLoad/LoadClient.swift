// LoadClient: one simulated chat client, the per-connection state machine of chatload (the
// analogue of redis-benchmark's `client`). Two states: setting up (collect bytes until the
// protocol's ready marker) and ready (scan every byte read for stamps and hand them to the run).
import Glibc
import Reactor

/// The handler of one load-generator connection.
///
/// Until it is ready the client keeps what it reads in a small buffer and looks for the
/// adapter's ready marker (or an error reply). Once ready, a receiving client runs the
/// ``StampScanner`` over each read and reports every stamp to its ``LoadRun``; nothing else is
/// parsed and nothing is allocated per message.
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

    private(set) var connection: Connection?
    private(set) var isReady = false
    private let readyMarker: [UInt8]?
    private let errorMarker: [UInt8]
    /// Setup-phase bytes; starts with a virtual newline so markers can anchor at line starts.
    private var setupBytes: [UInt8] = [UInt8(ascii: "\n")]
    private var scanner = StampScanner()

    init(run: LoadRun, index: Int, plan: WorkloadPlan) {
        self.run = run
        self.index = index
        self.receiver = plan.receiver(of: index)
        self.sender = plan.sender(of: index)
        self.messagePrefix = self.sender >= 0 ? plan.messagePrefix(ofSender: self.sender) : []
        self.readyMarker = plan.readyMarker(of: index)
        self.errorMarker = plan.adapter.errorMarker
    }

    /// Adopts the freshly connected `connection` and sends the setup request.
    func attach(_ connection: Connection, setup: [UInt8]) {
        self.connection = connection
        connection.handler = self
        if !setup.isEmpty { connection.write(setup) }
        if self.readyMarker == nil { self.becomeReady() }
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
        if let marker = self.readyMarker, Self.find(marker, in: self.setupBytes) {
            self.becomeReady()
        } else if let start = Self.firstIndex(of: self.errorMarker, in: self.setupBytes) {
            // Report the error line once it is complete.
            let reply = self.setupBytes[start...].drop { $0 == UInt8(ascii: "\n") }
            if let end = reply.firstIndex(of: UInt8(ascii: "\n")) {
                let line = reply[..<end].filter { $0 != UInt8(ascii: "\r") }
                self.run.clientFailedSetup(self, reply: String(decoding: line, as: UTF8.self))
            }
        } else if self.setupBytes.count > 16 << 10 {
            // A chatty server (presence lines) before our marker: keep the tail a marker could span.
            self.setupBytes.removeFirst(self.setupBytes.count - 256)
        }
    }

    // connectionDidReachEOF: the default closes with `.peerClosed`, which `clientClosed` reports.

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.run.clientClosed(self, reason: reason)
    }

    // MARK: Private

    private func becomeReady() {
        self.isReady = true
        self.setupBytes = []
        self.run.clientBecameReady(self)
    }

    private static func find(_ marker: [UInt8], in haystack: [UInt8]) -> Bool {
        self.firstIndex(of: marker, in: haystack) != nil
    }

    /// Where the first occurrence of `marker` starts, or nil.
    private static func firstIndex(of marker: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !marker.isEmpty, haystack.count >= marker.count else { return nil }
        var start = 0
        while start + marker.count <= haystack.count {
            if haystack[start] == marker[0] && haystack[start..<start + marker.count].elementsEqual(marker) {
                return start
            }
            start += 1
        }
        return nil
    }
}
