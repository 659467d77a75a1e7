// WorkloadPlan: turns options into who does what — which connections receive, which send,
// which room each joins, what each sends to get ready and what it waits for, how senders are
// paced. LoadRun executes a plan and never looks at the workload name; this file is the one
// place that knows the four shapes.

/// The connections, roles, rooms and pacing of one run.
///
/// Connection indices are dense: in fan-out, receivers are `0..<N` and sender `s` is
/// connection `N + s`; in rooms and echo, connection `i` is both sender `i` and receiver `i`.
/// Stamps carry the sender index.
struct WorkloadPlan {
    /// How senders decide when to send.
    enum Pacing: Equatable {
        /// Nobody sends (idle).
        case none
        /// Closed loop: a sender keeps at most `window` messages that its ack receiver has not
        /// yet seen (fan-out: receiver 0; echo: the sender's own connection).
        case window(Int)
        /// Open loop: `perSender` messages per second from every sender, spread evenly.
        case rate(perSender: Double)
    }

    let workload: Workload
    let adapter: any ProtocolAdapter
    let connectionCount: Int
    let receiverCount: Int
    let senderCount: Int
    let topology: DeliveryTracker.Topology
    let pacing: Pacing
    /// Whether window acks come from the sender's own connection (echo) or from receiver 0.
    let acksFromSelf: Bool
    let payload: Int
    private let room: String
    private let roomsSize: Int

    init(options: Options, adapter: any ProtocolAdapter) {
        self.workload = options.workload
        self.adapter = adapter
        self.payload = options.effectivePayload
        self.room = options.room
        self.roomsSize = options.roomsSize
        let total = options.totalConnections
        self.connectionCount = total
        switch options.workload {
        case .fanout:
            self.receiverCount = options.receivers
            self.senderCount = options.senders
            self.topology = .shared(senders: options.senders)
            self.pacing = options.rate.map { .rate(perSender: $0) } ?? .window(options.window)
            self.acksFromSelf = false
        case .rooms:
            self.receiverCount = total
            self.senderCount = total
            self.topology = .groups(size: options.roomsSize, count: total, includeSelf: false)
            self.pacing = .rate(perSender: options.effectiveRate ?? 2)
            self.acksFromSelf = false
        case .echo:
            self.receiverCount = total
            self.senderCount = total
            self.topology = .groups(size: 1, count: total, includeSelf: true)
            self.pacing = .window(options.pipeline)
            self.acksFromSelf = true
        case .idle:
            self.receiverCount = 0
            self.senderCount = 0
            self.topology = .shared(senders: 0)
            self.pacing = .none
            self.acksFromSelf = false
        }
    }

    /// The receiver index of `connection`, or -1.
    func receiver(of connection: Int) -> Int {
        switch self.workload {
        case .fanout: return connection < self.receiverCount ? connection : -1
        case .rooms, .echo: return connection
        case .idle: return -1
        }
    }

    /// The sender index of `connection`, or -1.
    func sender(of connection: Int) -> Int {
        switch self.workload {
        case .fanout: return connection >= self.receiverCount ? connection - self.receiverCount : -1
        case .rooms, .echo: return connection
        case .idle: return -1
        }
    }

    /// The connection that sends as `sender`.
    func connection(ofSender sender: Int) -> Int {
        self.workload == .fanout ? self.receiverCount + sender : sender
    }

    /// The receiver whose arrivals open `sender`'s window.
    func ackReceiver(of sender: Int) -> Int {
        self.acksFromSelf ? sender : 0
    }

    /// The room `connection` subscribes to (or joins) during setup; nil for none.
    func room(of connection: Int) -> String? {
        switch self.workload {
        case .fanout:
            let isSender = connection >= self.receiverCount
            return isSender && !self.adapter.publisherJoinsRoom ? nil : self.room
        case .rooms:
            return "\(self.room)\(connection / self.roomsSize)"
        case .idle:
            return self.adapter.idleRoom
        case .echo:
            return nil
        }
    }

    /// The room `sender` publishes to (nil for pings).
    func publishRoom(ofSender sender: Int) -> String? {
        switch self.workload {
        case .fanout: return self.room
        case .rooms: return "\(self.room)\(sender / self.roomsSize)"
        case .echo, .idle: return nil
        }
    }

    /// How `connection` gets ready: what it sends, and what it waits for, step by step.
    func setupSteps(of connection: Int) -> [SetupStep] {
        let role = ConnectionRole(
            index: connection, room: self.room(of: connection), isSender: self.sender(of: connection) >= 0,
            publishesWhileSubscribed: self.workload == .rooms)
        return self.adapter.setupSteps(for: role)
    }

    /// The bytes before the payload of each of `sender`'s messages.
    func messagePrefix(ofSender sender: Int) -> [UInt8] {
        if let room = self.publishRoom(ofSender: sender) {
            return self.adapter.publishPrefix(room: room)
        }
        return self.adapter.pingPrefix
    }
}
