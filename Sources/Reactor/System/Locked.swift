// Locked: a value behind a pthread mutex, for the few places threads meet (ReactorHandle,
// ReactorThread).
import Glibc

/// A value only reachable under a pthread mutex.
///
/// Not `Synchronization.Mutex`: on Linux a contended `Mutex` hands over through the kernel (priority-
/// inheritance futexes), which ThreadSanitizer cannot see, so it reported every contended handoff
/// in ``ReactorHandle`` as a data race. It intercepts pthread mutexes, so `make test-tsan` checks
/// what is behind this one for real.
final class Locked<Value> {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

extension Locked: @unchecked Sendable where Value: Sendable {}
