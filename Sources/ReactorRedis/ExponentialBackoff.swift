// ExponentialBackoff: reconnect delays that double up to a cap, with full jitter.

/// Delays between reconnect attempts: exponential growth with "full jitter".
///
/// Attempt *n* (from 0) waits a uniformly random time between 0 and
/// `min(maximum, initial × 2ⁿ)` milliseconds: 0–100 ms, 0–200 ms, 0–400 ms, … 0–5 s with the
/// defaults. The randomness spreads the reconnects of many clients whose server restarted, so they
/// do not arrive in waves (the "Full Jitter" of AWS's *Exponential Backoff and Jitter*); the cap
/// keeps a client that has waited long from waiting longer. A client that was down for a while
/// therefore retries on average every 2.5 s and never spins. ``reset()`` after a success.
///
/// ```swift
/// var backoff = ExponentialBackoff()
/// var random = SystemRandomNumberGenerator()
/// let delay = backoff.nextDelay(using: &random)   // 0...100
/// ```
public struct ExponentialBackoff: Sendable, Hashable {
    /// The ceiling of the first delay, in milliseconds.
    public let initialMilliseconds: Int
    /// The largest ceiling, in milliseconds.
    public let maximumMilliseconds: Int
    /// Delays handed out since the last ``reset()``.
    public private(set) var attempt = 0

    /// A policy doubling from `initialMilliseconds` to `maximumMilliseconds` (100 ms to 5 s by default).
    public init(initialMilliseconds: Int = 100, maximumMilliseconds: Int = 5000) {
        precondition(initialMilliseconds > 0 && maximumMilliseconds >= initialMilliseconds, "backoff bounds out of order")
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The ceiling the next delay is drawn under: `min(maximum, initial × 2^attempt)`.
    public var ceilingMilliseconds: Int {
        // Shifting past the cap's bit length would overflow; by then the cap has long been reached.
        guard self.attempt < 40 else { return self.maximumMilliseconds }
        let (grown, overflow) = self.initialMilliseconds.multipliedReportingOverflow(by: 1 << self.attempt)
        return overflow ? self.maximumMilliseconds : min(self.maximumMilliseconds, grown)
    }

    /// The next delay, uniformly random in `0...ceilingMilliseconds`; counts an attempt.
    public mutating func nextDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Int {
        let delay = Int.random(in: 0...self.ceilingMilliseconds, using: &generator)
        self.attempt += 1
        return delay
    }

    /// Starts over at the first ceiling, after a connection succeeded.
    public mutating func reset() {
        self.attempt = 0
    }
}
