// Deadline: bounded waits. Every wait in a test has an end, so a hung peer fails the test instead
// of hanging the suite.

import Glibc

/// A point in time a bounded wait must not pass.
public struct Deadline: Sendable {
    public let end: ContinuousClock.Instant

    public init(_ duration: Duration) { self.end = .now + duration }

    public var hasPassed: Bool { ContinuousClock.now >= self.end }

    /// What is left; zero once passed.
    public var remaining: Duration { max(.zero, self.end - .now) }

    /// What is left in whole milliseconds, for poll(2); 0 once passed. Rounded up, so a poll does
    /// not wake just before the deadline and spin on a zero timeout.
    public var remainingMilliseconds: Int32 { Int32(clamping: self.remaining.milliseconds) }
}

/// Checks `condition` every millisecond until it holds or `timeout` passes; returns whether it held.
public func waitUntil(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = Deadline(timeout)
    while !condition() {
        if deadline.hasPassed { return false }
        usleep(1000)
    }
    return true
}

/// Sleeps the calling thread; for the few tests that must let real time pass (rates, timeouts).
public func sleep(for duration: Duration) {
    usleep(useconds_t(max(0, duration.milliseconds) * 1000))
}

extension Duration {
    /// This duration in whole milliseconds, rounded up (toward positive infinity).
    public var milliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
