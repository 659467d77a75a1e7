// ReactorThread: a reactor running on a thread of its own (pthreads), for embedders and tests.
import Glibc

/// A ``Reactor`` created and run on a new thread.
///
/// ```swift
/// let thread = try ReactorThread.start { reactor in
///     try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { $0.handler = Echo() }
/// }
/// thread.handle.execute { reactor in ... }   // talk to it from anywhere
/// thread.stopAndJoin()
/// ```
///
/// `setup` runs on the new thread before the loop starts; what it returns comes back from
/// ``start(_:)`` (a bound port, say). The reactor never leaves its thread.
public final class ReactorThread: Sendable {
    /// The handle of the reactor running on this thread.
    public let handle: ReactorHandle
    private let thread: pthread_t
    private let joined = Locked(false)

    private init(handle: ReactorHandle, thread: pthread_t) {
        self.handle = handle
        self.thread = thread
    }

    /// Starts a thread that creates a reactor, runs `setup` on it, then runs it until stopped.
    /// - Returns: the thread and what `setup` returned.
    /// - Throws: what `setup` or `Reactor()` threw; the thread has ended by then.
    public static func start<Value: Sendable>(
        _ setup: @escaping @Sendable (Reactor) throws -> Value
    ) throws -> (ReactorThread, Value) {
        let outcome = Locked<Result<(ReactorHandle, Value), any Error>?>(nil)
        let box = Unmanaged.passRetained(ThreadBody {
            let reactor: Reactor
            do {
                reactor = try Reactor()
                let value = try setup(reactor)
                outcome.withLock { $0 = .success((reactor.handle, value)) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
                return
            }
            reactor.run()
        })
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw ReactorError.system("pthread_create", rc)
        }
        // Start-up is short; a sleep-poll keeps this free of condition variables.
        while true {
            if let result = outcome.withLock({ $0 }) {
                switch result {
                case .success(let (handle, value)):
                    return (ReactorThread(handle: handle, thread: thread), value)
                case .failure(let error):
                    pthread_join(thread, nil)
                    throw error
                }
            }
            usleep(200)
        }
    }

    /// Starts a thread running a reactor configured by `setup`.
    public static func start(_ setup: @escaping @Sendable (Reactor) throws -> Void) throws -> ReactorThread {
        try start { (reactor: Reactor) throws -> Int in
            try setup(reactor)
            return 0
        }.0
    }

    /// Stops the reactor and waits for its thread to finish. Idempotent.
    public func stopAndJoin() {
        let first = joined.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        handle.stop()
        pthread_join(thread, nil)
    }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
