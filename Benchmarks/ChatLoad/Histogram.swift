// Histogram: a fixed-size log-linear latency histogram in the style of HdrHistogram, two
// significant digits from 1 µs to 100 s, so recording is O(1) and memory is bounded (22 KiB)
// however long the run.
//
// Layout (after HdrHistogram's `countsArrayIndex`): values are in nanoseconds; the smallest
// unit is 2^9 ns (512 ns, just under the 1 µs floor). Bucket 0 covers [0, 256 units) at unit
// resolution; every further bucket doubles the range and halves the resolution, keeping 128
// sub-buckets per half, so the relative error stays under 1/128 (< 1%).

/// A latency histogram with bounded memory and constant-time recording.
///
/// Values outside `[lowest, highest]` are clamped into range; the exact maximum is kept
/// separately. It is a final class (not a struct) so that the hot path records through a
/// stored pointer without copy-on-write or exclusivity checks.
///
/// ```swift
/// let histogram = LatencyHistogram()
/// histogram.record(nanoseconds: 42_000)
/// let p99 = histogram.percentile(99)   // nanoseconds, the bucket's upper edge
/// ```
final class LatencyHistogram {
    static let lowestNanoseconds: UInt64 = 1_000
    static let highestNanoseconds: UInt64 = 100_000_000_000

    private static let unitMagnitude = 9  // floor(log2(1_000))
    private static let subBucketCountMagnitude = 8  // ceil(log2(2 * 10^2)): two significant digits
    private static let subBucketHalfCountMagnitude = subBucketCountMagnitude - 1
    private static let subBucketCount = 1 << subBucketCountMagnitude
    private static let subBucketHalfCount = subBucketCount >> 1
    private static let subBucketMask = UInt64(subBucketCount - 1) << UInt64(unitMagnitude)
    private static let bucketCount: Int = {
        var smallestUntrackable = UInt64(subBucketCount) << UInt64(unitMagnitude)
        var buckets = 1
        while smallestUntrackable <= highestNanoseconds {
            smallestUntrackable <<= 1
            buckets += 1
        }
        return buckets
    }()
    static let countsLength = (bucketCount + 1) * subBucketHalfCount

    private let counts: UnsafeMutablePointer<UInt64>
    private(set) var totalCount: UInt64 = 0
    private(set) var maxNanoseconds: UInt64 = 0
    private(set) var minNanoseconds: UInt64 = .max

    init() {
        self.counts = .allocate(capacity: Self.countsLength)
        self.counts.initialize(repeating: 0, count: Self.countsLength)
    }

    deinit {
        self.counts.deallocate()
    }

    /// Records one latency sample.
    @inline(__always)
    func record(nanoseconds value: UInt64) {
        let clamped = min(max(value, Self.lowestNanoseconds), Self.highestNanoseconds)
        self.counts[Self.index(of: clamped)] &+= 1
        self.totalCount &+= 1
        if value > self.maxNanoseconds { self.maxNanoseconds = value }
        if value < self.minNanoseconds { self.minNanoseconds = value }
    }

    /// Forgets every sample (used when the warm-up ends).
    func reset() {
        self.counts.update(repeating: 0, count: Self.countsLength)
        self.totalCount = 0
        self.maxNanoseconds = 0
        self.minNanoseconds = .max
    }

    /// The value at or below which `percent`% of samples fall, as the upper edge of its bucket
    /// (capped at the recorded maximum), in nanoseconds; nil when empty.
    func percentile(_ percent: Double) -> UInt64? {
        guard self.totalCount > 0 else { return nil }
        let fraction = min(max(percent, 0), 100) / 100
        let target = max(1, UInt64((fraction * Double(self.totalCount)).rounded(.up)))
        var seen: UInt64 = 0
        for index in 0..<Self.countsLength {
            seen &+= self.counts[index]
            if seen >= target {
                return min(Self.highestEquivalentValue(at: index), self.maxNanoseconds)
            }
        }
        return self.maxNanoseconds
    }

    /// The mean of the recorded samples (bucket midpoints), in nanoseconds; nil when empty.
    var meanNanoseconds: Double? {
        guard self.totalCount > 0 else { return nil }
        var sum = 0.0
        for index in 0..<Self.countsLength where self.counts[index] > 0 {
            let low = Double(Self.lowestEquivalentValue(at: index))
            let high = Double(Self.highestEquivalentValue(at: index))
            sum += Double(self.counts[index]) * (low + high) / 2
        }
        return sum / Double(self.totalCount)
    }

    @inline(__always)
    static func index(of value: UInt64) -> Int {
        let bucketIndex =
            (64 - (value | self.subBucketMask).leadingZeroBitCount)
            - (self.unitMagnitude + self.subBucketHalfCountMagnitude + 1)
        let subBucketIndex = Int(truncatingIfNeeded: value >> UInt64(bucketIndex + self.unitMagnitude))
        return ((bucketIndex + 1) << self.subBucketHalfCountMagnitude) + (subBucketIndex - self.subBucketHalfCount)
    }

    static func lowestEquivalentValue(at index: Int) -> UInt64 {
        var bucketIndex = (index >> self.subBucketHalfCountMagnitude) - 1
        var subBucketIndex = (index & (self.subBucketHalfCount - 1)) + self.subBucketHalfCount
        if bucketIndex < 0 {
            subBucketIndex -= self.subBucketHalfCount
            bucketIndex = 0
        }
        return UInt64(subBucketIndex) << UInt64(bucketIndex + self.unitMagnitude)
    }

    static func highestEquivalentValue(at index: Int) -> UInt64 {
        var bucketIndex = (index >> self.subBucketHalfCountMagnitude) - 1
        if bucketIndex < 0 { bucketIndex = 0 }
        let width = UInt64(1) << UInt64(bucketIndex + self.unitMagnitude)
        return self.lowestEquivalentValue(at: index) + width - 1
    }
}
