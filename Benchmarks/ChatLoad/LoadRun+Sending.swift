// LoadRun+Sending: the hot path. Senders build `prefix + stamp + filler + line end` messages in
// one scratch buffer (no String, no allocation per message) and hand a batch of them to the
// connection in one write; receivers report each stamp found, which updates the tracker and the
// histogram and, in closed-loop mode, marks the sender's window for refilling once the read has
// been scanned (one clock read and one write per read, not per message).
import Reactor

extension LoadRun {
    /// Begins the warm-up: fills every window, or starts the open-loop ticker.
    func startSending() {
        self.phase = .warmup
        self.sendStartNanoseconds = Stamp.now()
        switch self.plan.pacing {
        case .none:
            break
        case .window:
            for sender in 0..<self.plan.senderCount {
                self.pump(sender)
            }
        case .rate:
            // Every millisecond, send what the schedule says is due, round-robin over senders, so
            // each sender sends at the requested rate and the senders are evenly staggered.
            let ticker = self.reactor.scheduleRepeating(everyMilliseconds: 1) { [unowned self] in
                self.tick()
            }
            self.cancelTicker = { ticker.cancel() }
        }
    }

    func stopSending() {
        self.cancelTicker?()
        self.cancelTicker = nil
    }

    private var isSending: Bool {
        self.phase == .warmup || self.phase == .measuring
    }

    /// A receiver found `stamp` in what it read at `now`.
    @inline(__always)
    func deliver(_ stamp: Stamp, to receiver: Int, at now: UInt64) {
        let sender = Int(stamp.sender)
        let outcome = self.tracker.record(receiver: receiver, sender: sender, seq: stamp.seq)
        guard outcome.isFresh else { return }
        self.deliveries &+= 1
        self.outstanding &-= 1
        if self.phase == .measuring {
            self.histogram.record(nanoseconds: now > stamp.timeNanoseconds ? now &- stamp.timeNanoseconds : 0)
        }
        if self.window > 0 && receiver == self.plan.ackReceiver(of: sender) && !self.pumpQueued[sender] {
            self.pumpQueued[sender] = true
            self.pumpQueue[self.pumpQueueCount] = Int32(truncatingIfNeeded: sender)
            self.pumpQueueCount &+= 1
        }
    }

    /// Called after each scanned read: refills the windows that the read's acks opened, and
    /// ends the drain when nothing is left in flight.
    @inline(__always)
    func readFinished() {
        if self.pumpQueueCount > 0 {
            for index in 0..<self.pumpQueueCount {
                let sender = Int(self.pumpQueue[index])
                self.pumpQueued[sender] = false
                self.pump(sender)
            }
            self.pumpQueueCount = 0
        }
        if self.phase == .draining && self.outstanding <= 0 {
            self.finish()
        }
    }

    /// Sends as many of `sender`'s messages as its window allows.
    func pump(_ sender: Int) {
        guard self.isSending else { return }
        let acked = self.tracker.nextExpected(receiver: self.plan.ackReceiver(of: sender), sender: sender)
        let limit = acked &+ self.window
        let first = self.sent[sender]
        guard first < limit else { return }
        self.send(sender, count: Int(limit &- first), at: Stamp.now())
    }

    /// The open-loop ticker: sends every message the schedule has made due by now.
    private func tick() {
        guard self.isSending, case .rate(let perSender) = self.plan.pacing else { return }
        let now = Stamp.now()
        let elapsed = Double(now &- self.sendStartNanoseconds) / 1e9
        let due = UInt64(elapsed * perSender * Double(self.plan.senderCount))
        guard due > self.sentTotal else { return }
        var pending = due - self.sentTotal
        let senders = self.plan.senderCount
        var next = self.nextRoundRobin
        while pending > 0 {
            self.send(next, count: 1, at: now)
            next += 1
            if next == senders { next = 0 }
            pending -= 1
        }
        self.nextRoundRobin = next
    }

    /// Writes `count` messages of `sender` with consecutive sequence numbers, stamped `now`,
    /// as few `write` calls as the scratch buffer allows.
    private func send(_ sender: Int, count: Int, at now: UInt64) {
        let client = self.senderClients[sender]
        guard let connection = client.connection else { return }
        let buffer = self.scratch
        let capacity = self.scratchSize
        let payload = self.plan.payload
        var seq = self.sent[sender]
        client.messagePrefix.withUnsafeBytes { prefix in
            self.lineEnd.withUnsafeBytes { lineEnd in
                let messageMax = prefix.count + max(payload, Stamp.maxLength) + lineEnd.count
                var remaining = count
                while remaining > 0 {
                    var length = 0
                    while remaining > 0 && length + messageMax <= capacity {
                        if let base = prefix.baseAddress, prefix.count > 0 {
                            (buffer + length).copyMemory(from: base, byteCount: prefix.count)
                            length += prefix.count
                        }
                        let stamp = Stamp(sender: UInt32(truncatingIfNeeded: sender), seq: seq, timeNanoseconds: now)
                        length += stamp.encode(into: buffer + length, payloadSize: payload)
                        (buffer + length).copyMemory(from: lineEnd.baseAddress!, byteCount: lineEnd.count)
                        length += lineEnd.count
                        seq &+= 1
                        remaining -= 1
                    }
                    connection.write(UnsafeRawBufferPointer(start: buffer, count: length))
                }
            }
        }
        self.sent[sender] = seq
        self.sentTotal &+= UInt64(count)
        self.outstanding &+= Int64(count) &* self.receiversPerMessage[sender]
    }
}
