// LoadRun: one load-generator run on one thread and one Reactor. It opens the plan's
// connections a few hundred at a time, starts the senders once every connection is ready, and
// walks the phases: warm-up, measured interval, drain, report.
//
//     connecting ──all ready──▶ warmup ──▶ measuring ──▶ draining ──▶ finished
//          │                                                ▲ (nothing in flight, or --drain)
//          └──all ready (idle)──▶ holding ──────────────────┴──▶ finished
//
// Sending is in LoadRun+Sending.swift, the report in LoadRun+Report.swift.
import Glibc
import Reactor

/// Executes a ``WorkloadPlan`` against one server and collects a ``RunReport``.
///
/// ```swift
/// let run = try LoadRun(options: options)
/// let report = run.run()      // returns when the run is over (or failed)
/// print(report.jsonLine())
/// ```
final class LoadRun {
    enum Phase: Equatable {
        case connecting, warmup, measuring, draining, holding, finished
    }

    let options: Options
    let plan: WorkloadPlan
    let reactor: Reactor
    let address: SocketAddress
    /// Where connection i goes: `addresses[i % count]` (several with --targets).
    let addresses: [SocketAddress]
    let tracker: DeliveryTracker
    let histogram = LatencyHistogram()
    let server: ProcSampler?

    var clients: [LoadClient] = []
    /// Clients by sender index.
    var senderClients: [LoadClient] = []
    var phase = Phase.connecting

    // Setup.
    var nextToConnect = 0
    var readyCount = 0
    var setupStartNanoseconds: UInt64 = 0
    var setupEndNanoseconds: UInt64 = 0

    // Sending (see LoadRun+Sending.swift).
    /// Messages sent so far by each sender; the next sequence number.
    let sent: UnsafeMutablePointer<UInt32>
    /// How many receivers each sender's messages should reach.
    let receiversPerMessage: UnsafeMutablePointer<Int64>
    let scratch: UnsafeMutableRawPointer
    let scratchSize: Int
    let lineEnd: [UInt8]
    let window: UInt32
    var sentTotal: UInt64 = 0
    /// Deliveries still expected: grows by the receiver count per send, shrinks per fresh arrival.
    var outstanding: Int64 = 0
    var deliveries: UInt64 = 0
    var sendStartNanoseconds: UInt64 = 0
    var nextRoundRobin = 0
    var cancelTicker: (() -> Void)?
    /// Senders whose window an ack reopened during the current read (refilled by `readFinished`).
    let pumpQueue: UnsafeMutablePointer<Int32>
    let pumpQueued: UnsafeMutablePointer<Bool>
    var pumpQueueCount = 0

    // Measurement.
    var measureStartNanoseconds: UInt64 = 0
    var measureEndNanoseconds: UInt64 = 0
    var deliveriesAtStart: UInt64 = 0
    var deliveriesAtEnd: UInt64 = 0
    var serverCPUAtStart: Double?
    var serverCPUAtEnd: Double?
    var clientCPUAtStart = 0.0
    var clientCPUAtEnd = 0.0
    var residentBefore: Int?
    var residentAfter: Int?
    var latencies: (p50: UInt64, p90: UInt64, p99: UInt64, p999: UInt64, max: UInt64, mean: Double)?

    // Progress and failure.
    var lastProgress: (nanoseconds: UInt64, deliveries: UInt64, sent: UInt64) = (0, 0, 0)
    var disconnects = 0
    var failure: String?

    /// Prepares a run; nothing is connected until ``run()``.
    ///
    /// - Throws: `ReactorError` if the reactor cannot be created or the address is invalid.
    init(options: Options) throws(ReactorError) {
        guard let adapter = ProtocolAdapters.adapter(for: options) else {
            preconditionFailure("Options.parse admits known protocols only")
        }
        self.options = options
        self.plan = WorkloadPlan(options: options, adapter: adapter)
        self.reactor = try Reactor()
        if let path = options.unixPath {
            self.address = try SocketAddress(unixPath: path)
        } else {
            self.address = try SocketAddress(host: options.connectHost, port: options.port ?? 0)
        }
        var addresses: [SocketAddress] = []
        for target in options.targets {
            addresses.append(try SocketAddress(host: target.host == "localhost" ? "127.0.0.1" : target.host, port: target.port))
        }
        self.addresses = addresses.isEmpty ? [self.address] : addresses
        self.tracker = DeliveryTracker(topology: self.plan.topology, receivers: self.plan.receiverCount)
        self.server = options.serverPIDs.isEmpty ? nil : ProcSampler(pids: options.serverPIDs)
        let senders = max(1, self.plan.senderCount)
        self.sent = .allocate(capacity: senders)
        self.sent.initialize(repeating: 0, count: senders)
        self.receiversPerMessage = .allocate(capacity: senders)
        self.receiversPerMessage.initialize(repeating: 0, count: senders)
        self.pumpQueue = .allocate(capacity: senders)
        self.pumpQueue.initialize(repeating: 0, count: senders)
        self.pumpQueued = .allocate(capacity: senders)
        self.pumpQueued.initialize(repeating: false, count: senders)
        self.lineEnd = adapter.lineEnd
        // Room for a window's worth of small messages per write, and for one of the largest.
        self.scratchSize = 16 << 10 + 256 + max(self.plan.payload, Stamp.maxLength)
        self.scratch = .allocate(byteCount: self.scratchSize, alignment: 16)
        if case .window(let window) = self.plan.pacing {
            self.window = UInt32(window)
        } else {
            self.window = 0
        }
        for sender in 0..<self.plan.senderCount {
            self.receiversPerMessage[sender] = Int64(self.tracker.expectedReceivers(of: sender))
        }
    }

    deinit {
        self.sent.deallocate()
        self.receiversPerMessage.deallocate()
        self.pumpQueue.deallocate()
        self.pumpQueued.deallocate()
        self.scratch.deallocate()
    }

    /// Runs the whole workload on the calling thread and returns its report.
    func run() -> RunReport {
        self.clients = (0..<self.plan.connectionCount).map { LoadClient(run: self, index: $0, plan: self.plan) }
        self.senderClients = (0..<self.plan.senderCount).map { self.clients[self.plan.connection(ofSender: $0)] }
        for signal in [SIGINT, SIGTERM] {
            try? self.reactor.onSignal(signal) { [unowned self] signo in
                self.fail("interrupted by signal \(signo)")
            }
        }
        self.residentBefore = self.server?.residentBytes()
        self.serverCPUAtStart = self.server?.cpuSeconds()
        self.setupStartNanoseconds = Stamp.now()
        self.lastProgress = (self.setupStartNanoseconds, 0, 0)
        _ = self.reactor.schedule(afterMilliseconds: Self.milliseconds(self.options.setupTimeout)) { [unowned self] in
            self.setupTimedOut()
        }
        if self.showsProgress {
            _ = self.reactor.scheduleRepeating(everyMilliseconds: 1000) { [unowned self] in
                self.printProgress()
            }
        }
        self.connectMore()
        self.reactor.run()
        for client in self.clients { client.resetOnExit() }
        return self.makeReport()
    }

    // MARK: Setup

    /// Starts connects until `connectConcurrency` setups are in flight (started, not ready).
    private func connectMore() {
        while self.nextToConnect < self.plan.connectionCount
            && self.nextToConnect - self.readyCount < self.options.connectConcurrency
            && self.phase == .connecting
        {
            let index = self.nextToConnect
            self.nextToConnect += 1
            let address = self.addresses[index % self.addresses.count]
            self.reactor.connect(to: address, timeoutMilliseconds: 10_000) { [unowned self] result in
                switch result {
                case .success(let connection):
                    guard self.phase != .finished else {
                        connection.close()
                        return
                    }
                    self.clients[index].attach(connection)
                case .failure(let error):
                    self.fail("connection #\(index) could not connect to \(address): \(error)")
                }
            }
        }
    }

    /// Called by a client when its ready marker arrived (or at connect, if it needs none).
    func clientBecameReady(_ client: LoadClient) {
        self.readyCount += 1
        if self.readyCount == self.plan.connectionCount {
            self.allReady()
        } else {
            self.connectMore()
        }
    }

    /// Called by a client whose setup request got an error reply.
    func clientFailedSetup(_ client: LoadClient, reply: String) {
        self.fail("connection #\(client.index) got an error reply while setting up: \(reply)")
    }

    /// Called by a client when its connection closed.
    func clientClosed(_ client: LoadClient, reason: CloseReason) {
        guard self.phase != .finished else { return }
        self.disconnects += 1
        let role =
            client.receiver >= 0 && client.sender >= 0
            ? "client \(client.index)"
            : client.receiver >= 0 ? "receiver \(client.receiver)" : "sender \(client.sender)"
        let when = self.phase == .connecting ? "during setup" : "during the run"
        var message = "connection #\(client.index) (\(role)) closed \(when): \(reason)"
        if !client.isReady {
            message += "; it had received '\(client.setupTranscript())'"
        }
        self.fail(message)
    }

    private func setupTimedOut() {
        guard self.phase == .connecting else { return }
        var message =
            "only \(self.readyCount) of \(self.plan.connectionCount) connections were ready after "
            + "\(Format.number(self.options.setupTimeout)) s (\(self.nextToConnect) started)"
        if let pending = self.clients.first(where: { $0.connection != nil && !$0.isReady }) {
            message += "; connection #\(pending.index) had received '\(pending.setupTranscript())'"
        }
        self.fail(message)
    }

    private func allReady() {
        self.setupEndNanoseconds = Stamp.now()
        if self.plan.pacing == .none {
            self.phase = .holding
            self.serverCPUAtEnd = self.server?.cpuSeconds()
            _ = self.reactor.schedule(afterMilliseconds: Self.milliseconds(self.options.hold)) { [unowned self] in
                self.residentAfter = self.server?.residentBytes()
                self.finish()
            }
            return
        }
        self.startSending()
        let warmup = Self.milliseconds(self.options.effectiveWarmup)
        if warmup > 0 {
            _ = self.reactor.schedule(afterMilliseconds: warmup) { [unowned self] in self.beginMeasuring() }
        } else {
            self.beginMeasuring()
        }
    }

    // MARK: Phases

    private func beginMeasuring() {
        guard self.phase == .warmup else { return }
        self.phase = .measuring
        self.histogram.reset()
        self.measureStartNanoseconds = Stamp.now()
        self.deliveriesAtStart = self.deliveries
        self.serverCPUAtStart = self.server?.cpuSeconds()
        self.clientCPUAtStart = ProcSampler.selfCPUSeconds()
        _ = self.reactor.schedule(afterMilliseconds: Self.milliseconds(self.options.duration)) { [unowned self] in
            self.endMeasuring()
        }
    }

    private func endMeasuring() {
        guard self.phase == .measuring else { return }
        self.measureEndNanoseconds = Stamp.now()
        self.deliveriesAtEnd = self.deliveries
        self.serverCPUAtEnd = self.server?.cpuSeconds()
        self.clientCPUAtEnd = ProcSampler.selfCPUSeconds()
        self.latencies = self.histogram.percentile(50).map { p50 in
            (
                p50, self.histogram.percentile(90) ?? 0, self.histogram.percentile(99) ?? 0,
                self.histogram.percentile(99.9) ?? 0, self.histogram.maxNanoseconds,
                self.histogram.meanNanoseconds ?? 0
            )
        }
        self.phase = .draining
        self.stopSending()
        if self.outstanding <= 0 {
            self.finish()
        } else {
            _ = self.reactor.schedule(afterMilliseconds: Self.milliseconds(self.options.drain)) { [unowned self] in
                self.finish()
            }
        }
    }

    /// Ends the run after the current loop iteration.
    func finish() {
        guard self.phase != .finished else { return }
        self.phase = .finished
        self.stopSending()
        self.reactor.stop()
    }

    /// Records the first failure and ends the run.
    func fail(_ message: String) {
        if self.failure == nil { self.failure = message }
        self.finish()
    }

    // MARK: Progress

    private var showsProgress: Bool {
        self.options.progress && !self.options.jsonOnly
            && (self.options.effectiveWarmup + self.options.duration >= 3 || self.plan.connectionCount >= 5_000)
    }

    private func printProgress() {
        let now = Stamp.now()
        let seconds = Double(now - self.lastProgress.nanoseconds) / 1e9
        let elapsed = Int((Double(now - self.setupStartNanoseconds) / 1e9).rounded())
        var line = "chatload: [\(elapsed) s] "
        switch self.phase {
        case .connecting:
            line += "setup: \(self.readyCount)/\(self.plan.connectionCount) ready, \(self.nextToConnect) started"
        case .holding:
            line += "holding \(self.plan.connectionCount) connections"
        case .warmup, .measuring, .draining:
            let deliveryRate = Double(self.deliveries - self.lastProgress.deliveries) / seconds
            let sendRate = Double(self.sentTotal - self.lastProgress.sent) / seconds
            line += "\(self.phase == .warmup ? "warm-up" : self.phase == .measuring ? "measuring" : "draining"): "
            line += "\(Format.number(deliveryRate)) deliveries/s, sent \(Format.number(sendRate))/s, "
            line += "\(self.outstanding) in flight"
            if self.phase == .measuring, let p99 = self.histogram.percentile(99) {
                line += ", p99 \(Format.duration(p99))"
            }
        case .finished:
            return
        }
        self.lastProgress = (now, self.deliveries, self.sentTotal)
        StandardError.print(line)
    }

    static func milliseconds(_ seconds: Double) -> Int {
        max(0, Int((seconds * 1000).rounded()))
    }
}
