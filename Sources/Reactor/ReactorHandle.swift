// ReactorHandle: the thread-safe way into a reactor, waking its loop through an eventfd.
/// A `Sendable` handle to a ``Reactor``: the only part of the module callable from any thread.
///
/// ```swift
/// let handle = reactor.handle
/// Thread { handle.execute { reactor in reactor.stop() } }
/// ```
///
/// Submissions queue under a mutex; the first one into an empty queue writes the reactor's
/// eventfd, later ones ride on that wakeup. Closures run on the loop thread, in submission order,
/// during the iteration after the wakeup.
public final class ReactorHandle: Sendable {
    private struct State {
        var queue: [@Sendable (Reactor) -> Void] = []
        /// The eventfd, or -1 once the reactor is gone (submissions are refused from then on).
        var fd: Int32
    }

    private let state: Locked<State>

    init(fd: Int32) {
        state = Locked(State(fd: fd))
    }

    /// Runs `body` on the reactor's thread, soon. Safe to call from any thread, including the
    /// loop's own.
    ///
    /// - Returns: false if the reactor no longer exists, in which case `body` never runs.
    @discardableResult
    public func execute(_ body: @escaping @Sendable (Reactor) -> Void) -> Bool {
        state.withLock { state in
            guard state.fd >= 0 else { return false }
            state.queue.append(body)
            // The eventfd write happens under the lock so the reactor cannot close it meanwhile.
            if state.queue.count == 1 { Posix.eventfdSignal(state.fd) }
            return true
        }
    }

    /// Asks the reactor to stop after its current iteration. Safe from any thread.
    @discardableResult
    public func stop() -> Bool { execute { $0.stop() } }

    func takeAll() -> [@Sendable (Reactor) -> Void] {
        state.withLock { state in
            let work = state.queue
            state.queue = []
            return work
        }
    }

    /// Called by the reactor's deinit: refuse further work and close the eventfd.
    func close() {
        state.withLock { state in
            if state.fd >= 0 { Posix.close(state.fd) }
            state.fd = -1
            state.queue = []
        }
    }
}

/// The reactor's end of the eventfd.
final class Wakeup: Selectable {
    let handle: ReactorHandle
    private unowned let reactor: Reactor
    override var isInternal: Bool { true }

    init(reactor: Reactor) throws(ReactorError) {
        let fd = try Posix.eventfd()
        self.reactor = reactor
        self.handle = ReactorHandle(fd: fd)
        super.init(fd: fd)
        try reactor.register(self, interest: .readable)
    }

    override func handle(_ events: IOEvents) {
        _ = Posix.eventfdDrain(fd)
        for body in handle.takeAll() { body(reactor) }
    }

    /// Called from the reactor's deinit. It must not touch `reactor`: loading an unowned reference
    /// to an object whose deinit has begun traps. Closing the eventfd drops it from the epoll set.
    func shutdown() {
        handle.close()
    }
}

/// Signals delivered through a signalfd, so handlers run as ordinary loop callbacks.
final class SignalSource: Selectable {
    private unowned let reactor: Reactor
    private var handlers: [Int32: (Int32) -> Void] = [:]
    override var isInternal: Bool { true }

    init(reactor: Reactor) throws(ReactorError) {
        self.reactor = reactor
        super.init(fd: try Posix.signalfd(existing: -1, signals: []))
        try reactor.register(self, interest: .readable)
    }

    func add(_ signal: Int32, _ body: @escaping (Int32) -> Void) throws(ReactorError) {
        handlers[signal] = body
        _ = try Posix.signalfd(existing: fd, signals: Array(handlers.keys))
    }

    override func handle(_ events: IOEvents) {
        while let signal = Posix.readSignal(fd) {
            handlers[signal]?(signal)
        }
    }

    override func reactorWillDeinit() { Posix.close(fd) }
}
