// DeliveryTracker: the per (sender, receiver) bookkeeping that turns a stream of stamps into
// loss, duplicate and reorder counts. One UInt32 "next expected seq" per pair in a flat array,
// so recording a delivery is an index computation and a compare.

/// Checks every delivery against the sequence each sender has produced so far.
///
/// For each pair it keeps the next expected sequence number and how many earlier numbers were
/// skipped (gaps still open). A stamp equal to the expected number is in order; a larger one
/// opens a gap; a smaller one fills a gap (reordered) if one is open, otherwise it is a
/// duplicate. Over TCP from one server, anything but in-order is a server bug.
///
/// At the end, a pair's loss is its open gaps plus the sender's messages past the last one the
/// receiver saw: `missing + (sent - next)`.
final class DeliveryTracker {
    /// Who is supposed to hear whom.
    enum Topology: Equatable {
        /// Fan-out: every receiver hears all `senders` senders.
        case shared(senders: Int)
        /// Connection i is both sender i and receiver i (of `count`); consecutive groups of
        /// `size` hear each other. `includeSelf`: whether a sender hears itself (echo is groups
        /// of one that include self; chat rooms exclude self).
        case groups(size: Int, count: Int, includeSelf: Bool)
    }

    /// What one stamp turned out to be.
    enum Outcome {
        case inOrder, gap, late, duplicate, selfEcho, foreign

        /// Whether this delivery is one the tracker had not counted before.
        var isFresh: Bool { self == .inOrder || self == .gap || self == .late }
    }

    let topology: Topology
    let receivers: Int
    let senders: Int
    private let groupSize: Int
    private let slotCount: Int
    private let next: UnsafeMutablePointer<UInt32>
    private let missing: UnsafeMutablePointer<UInt32>

    private(set) var duplicates: UInt64 = 0
    private(set) var reordered: UInt64 = 0
    private(set) var selfEchoes: UInt64 = 0
    private(set) var foreign: UInt64 = 0

    init(topology: Topology, receivers: Int) {
        self.topology = topology
        self.receivers = receivers
        switch topology {
        case .shared(let senders):
            self.senders = senders
            self.groupSize = senders
        case .groups(let size, let count, _):
            self.senders = count
            self.groupSize = size
        }
        self.slotCount = max(1, receivers * self.groupSize)
        self.next = .allocate(capacity: self.slotCount)
        self.next.initialize(repeating: 0, count: self.slotCount)
        self.missing = .allocate(capacity: self.slotCount)
        self.missing.initialize(repeating: 0, count: self.slotCount)
    }

    deinit {
        self.next.deallocate()
        self.missing.deallocate()
    }

    /// The pair's slot, or -1 if `receiver` should not hear `sender` (-2 for its own echo).
    @inline(__always)
    func slot(receiver: Int, sender: Int) -> Int {
        switch self.topology {
        case .shared(let senders):
            guard sender < senders else { return -1 }
            return receiver &* self.groupSize &+ sender
        case .groups(let size, let count, let includeSelf):
            guard sender < count, sender / size == receiver / size else { return -1 }
            if sender == receiver && !includeSelf { return -2 }
            return receiver &* size &+ sender % size
        }
    }

    /// Records that `receiver` got `sender`'s message `seq`.
    @inline(__always)
    func record(receiver: Int, sender: Int, seq: UInt32) -> Outcome {
        let slot = self.slot(receiver: receiver, sender: sender)
        guard slot >= 0 else {
            if slot == -2 {
                self.selfEchoes &+= 1
                return .selfEcho
            }
            self.foreign &+= 1
            return .foreign
        }
        let expected = self.next[slot]
        if seq == expected {
            self.next[slot] = seq &+ 1
            return .inOrder
        }
        if seq > expected {
            self.missing[slot] &+= seq &- expected
            self.next[slot] = seq &+ 1
            return .gap
        }
        if self.missing[slot] > 0 {
            self.missing[slot] &-= 1
            self.reordered &+= 1
            return .late
        }
        self.duplicates &+= 1
        return .duplicate
    }

    /// One past the highest sequence `receiver` has seen from `sender` (the window's ack).
    @inline(__always)
    func nextExpected(receiver: Int, sender: Int) -> UInt32 {
        let slot = self.slot(receiver: receiver, sender: sender)
        return slot >= 0 ? self.next[slot] : 0
    }

    /// How many receivers should get each of `sender`'s messages.
    func expectedReceivers(of sender: Int) -> Int {
        switch self.topology {
        case .shared:
            return self.receivers
        case .groups(let size, let count, let includeSelf):
            let start = sender / size * size
            let members = min(size, count - start)
            return includeSelf ? members : members - 1
        }
    }

    /// Messages that never arrived: for every pair, open gaps plus the sender's messages
    /// after the last one the receiver saw.
    ///
    /// - Parameter sent: how many messages each sender sent (sequence numbers 0..<sent).
    func lost(sent: (Int) -> UInt32) -> UInt64 {
        var total: UInt64 = 0
        for receiver in 0..<self.receivers {
            self.forEachSender(of: receiver) { sender in
                let slot = self.slot(receiver: receiver, sender: sender)
                let sentCount = sent(sender)
                let next = self.next[slot]
                total += UInt64(self.missing[slot]) + UInt64(sentCount > next ? sentCount - next : 0)
            }
        }
        return total
    }

    private func forEachSender(of receiver: Int, _ body: (Int) -> Void) {
        switch self.topology {
        case .shared(let senders):
            for sender in 0..<senders { body(sender) }
        case .groups(let size, let count, let includeSelf):
            let start = receiver / size * size
            for sender in start..<min(start + size, count) where includeSelf || sender != receiver {
                body(sender)
            }
        }
    }
}
