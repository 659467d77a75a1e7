// SequenceTracker: per sender and channel, whether each bus message is the next one, a duplicate,
// or follows a gap.

/// What a received message's sequence number says about its sender's stream on one channel.
public enum SequenceVerdict: Equatable, Sendable {
    /// The next one (or the first heard from this sender and epoch).
    case next
    /// Seen before, or older than one seen: drop it.
    case duplicate
    /// `missed` messages between the last one and this never arrived.
    case gap(missed: UInt64)
}

/// The last sequence number heard from each (sender, epoch) on each channel.
///
/// A sender numbers its messages per channel from 1, afresh for every epoch, so a restarted
/// sender's first message is `.next`, not a duplicate of the old stream.
public struct SequenceTracker: Sendable {
    private struct Stream: Hashable {
        var node: [UInt8]
        var channel: [UInt8]
    }

    private var last: [Stream: (epoch: UInt64, sequence: UInt64)] = [:]

    public init() {}

    /// Records `origin`'s message on `channel` and says what it is.
    public mutating func record(_ origin: BusOrigin, channel: [UInt8]) -> SequenceVerdict {
        let stream = Stream(node: origin.node, channel: channel)
        guard let previous = last[stream], previous.epoch == origin.epoch else {
            last[stream] = (origin.epoch, origin.sequence)
            return .next
        }
        guard origin.sequence > previous.sequence else { return .duplicate }
        last[stream] = (origin.epoch, origin.sequence)
        let missed = origin.sequence - previous.sequence - 1
        return missed == 0 ? .next : .gap(missed: missed)
    }

    /// Forgets everything heard from `node` (it died, or will start a new epoch).
    public mutating func forget(node: [UInt8]) {
        last = last.filter { $0.key.node != node }
    }

    /// Forgets every sender's stream on `channel` (this node unsubscribed from it).
    public mutating func forget(channel: [UInt8]) {
        last = last.filter { $0.key.channel != channel }
    }
}
