// Reactor+LoopStatistics: how long the loop's iterations take, so a stall shows in metrics.

/// How long a reactor's iterations have taken: from waking up (`epoll_wait` returning) to the end
/// of the iteration's flush, so the time spent waiting for events is left out. A snapshot from
/// ``Reactor/loopStatistics``.
///
/// The histogram has fixed bounds (``bucketBoundsMicroseconds``) so that recording an iteration
/// is a few comparisons and an increment, and a scrape is a copy.
public struct LoopStatistics: Sendable, Equatable {
    /// Upper bounds of the histogram's buckets in microseconds (each bucket counts iterations up
    /// to and including its bound); iterations above the last bound are only in ``count``.
    public static let bucketBoundsMicroseconds: [Int] = [
        50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    ]

    /// Iterations measured.
    public internal(set) var count = 0
    /// Their total duration, in microseconds.
    public internal(set) var totalMicroseconds = 0
    /// The longest one, in microseconds.
    public internal(set) var maxMicroseconds = 0
    /// The longest one counting only the time the loop's thread ran, in microseconds: time other
    /// processes or, on a VM, its host took from the thread is left out, and work the kernel did
    /// in the thread's system calls is in. An iteration longer than this figure waited for the
    /// CPU; one as long spent the time working. It may count up to 100 µs of the work of the
    /// iterations before (the thread's CPU clock is read at most once per 100 µs).
    public internal(set) var maxOnCPUMicroseconds = 0
    /// Per bucket of ``bucketBoundsMicroseconds``: iterations that took no longer than its bound
    /// and longer than the previous one (not cumulative).
    public internal(set) var bucketCounts = [Int](repeating: 0, count: Self.bucketBoundsMicroseconds.count)

    /// Counts one iteration of `microseconds`, all of it on the CPU.
    mutating func record(_ microseconds: Int) { record(microseconds, onCPU: microseconds) }

    /// Counts one iteration of `microseconds`, `onCPU` of them with its thread running.
    @inline(__always)
    mutating func record(_ microseconds: Int, onCPU: Int) {
        self.count &+= 1
        self.totalMicroseconds &+= microseconds
        if microseconds > self.maxMicroseconds { self.maxMicroseconds = microseconds }
        if onCPU > self.maxOnCPUMicroseconds { self.maxOnCPUMicroseconds = onCPU }
        // Most iterations fall in the first bucket: one comparison for them.
        var bucket = 0
        let bounds = Self.bucketBoundsMicroseconds
        while bucket < bounds.count && microseconds > bounds[bucket] { bucket += 1 }
        if bucket < bounds.count { self.bucketCounts[bucket] &+= 1 }
    }
}
