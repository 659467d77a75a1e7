// Reactor: a single-threaded, level-triggered epoll event loop with timers, cross-thread
// submission, signals, and buffered connections flushed once per iteration.

/// A single-threaded event loop over epoll.
///
/// One thread owns a reactor: it is created, configured and run there, and every callback runs
/// there. The type is deliberately not `Sendable`; the one way in from other threads is
/// ``handle`` (a ``ReactorHandle``), whose ``ReactorHandle/execute(_:)`` wakes the loop through an
/// eventfd.
///
/// One iteration of ``run()``:
///
/// ```text
/// timeout = work pending ? 0 : time until the earliest timer (or forever)
/// epoll_wait(timeout)
/// now = CLOCK_MONOTONIC
/// for each ready descriptor whose registration is still current:
///     readable → read into the shared scratch buffer, hand bytes to the handler
///     writable → queue the connection for flushing
/// fire expired timers (earliest first)
/// run deferred work: execute{} closures, close notifications
/// output budget: total queued above the high watermark → pause the heaviest producers
/// flush: one write per connection with pending output (at most writeBudget bytes),
///        arm EPOLLOUT only where output is left over; drop connections whose queue stayed
///        over their soft limit for the grace period (the rest are swept by one timer)
/// output budget: total at or below the low watermark → everyone paused for it reads again
/// ```
///
/// Output written during one iteration is coalesced and leaves in a single `write` per connection
/// at the end of it, as Redis does in `beforeSleep`.
///
/// Memory for output is bounded twice: per connection by a soft and a hard limit
/// (``Connection/softOutboundLimit``, ``Connection/maxOutboundBytes``), and for all connections
/// together by ``outputBudget``, which slows the producers down rather than dropping anyone.
/// ``outputStatistics`` counts what both did.
///
/// An echo server:
///
/// ```swift
/// final class Echo: ConnectionHandler {
///     func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
///         connection.write(bytes)
///     }
/// }
/// let reactor = try Reactor()
/// let echo = Echo()
/// _ = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 7777)) { $0.handler = echo }
/// reactor.run()
/// ```
public final class Reactor {
    /// Size of the read buffer all connections share: the most one `read` can return.
    public static let scratchSize = 64 * 1024

    let epoll: Epoll
    /// Registrations indexed by descriptor. An entry's `id` travels in epoll_data next to the fd, so
    /// an event for a descriptor closed (and perhaps reused) earlier in the same batch is dropped.
    var slots: [Slot] = []
    private var nextID: UInt32 = 1
    let scratch: UnsafeMutableRawPointer
    let pool = BufferPool()
    var timers = TimerHeap()
    private var deferred: [() -> Void] = []
    @exclusivity(unchecked) var flushQueue: [Connection] = []
    /// Connections with only ``Connection/enqueue(_:)`` output, flushed when the coalescing timer fires.
    private var lazyQueue = Backlog<Connection>()
    private var lazyTimer: Timer?
    /// The longest ``Connection/enqueue(_:)`` output waits for a flush, in milliseconds.
    public var coalescingDelay = 20
    /// The most connections with only ``Connection/enqueue(_:)`` output flushed in one iteration;
    /// the rest go in the next ones, 1 ms apart. The end of a burst's coalescing delay can find a
    /// thousand (every member of a full lobby, each with a few presence lines), and writing them
    /// all at once made an iteration of 11 ms (`make bench-storm`); nobody waits on that output.
    /// No more are written once the iteration has run ``iterationBudgetNanoseconds`` (at least
    /// one is): 256 writes on loopback took 3 ms, and 10.5 ms with the VM's host busy.
    public var lazyFlushesPerIteration = 256
    /// The most closed connections whose descriptor is released and handler told per iteration;
    /// the rest in the next ones (the loop does not wait for events while any are left). A mass
    /// disconnect (19,000 peers resetting at once) otherwise reaped a thousand in one iteration,
    /// 20-30 ms; once a room is under the presence limit each departure is a QUIT to up to a
    /// thousand members, up to 140 µs a close, so 64 keep an iteration under 10 ms.
    /// At least one is told per iteration whatever this says (unless ``closesPerMillisecond`` holds
    /// it back), and no more once the iteration has run for ``iterationBudgetNanoseconds``.
    public var closeNoticesPerIteration = 64
    /// The most closes told per millisecond on average, in bursts of up to
    /// ``closeNoticesPerIteration`` (0: no pace); while the pace holds closes back the loop sleeps
    /// until the next is due rather than spinning.
    ///
    /// Releasing a socket leaves the kernel work for after an RCU grace period (freeing its epoll
    /// item and its inode), run as a softirq on the CPU that released it, inside whichever system
    /// call or timer tick of ours comes next. 19,000 resets reaped in 0.28 s queued more of it
    /// than the kernel's `rcu_tree.qhimark` (10,000 callbacks), past which it runs them in batches
    /// of up to 3 ms (`rcu_resched_ns`), one after another: single `close` calls of 3–8 ms, and
    /// iterations over 10 ms in 2 of 38 mass closes. At 20 per millisecond the same reap takes 1 s
    /// and no `close` took over 0.4 ms (`make bench-storm`, docs/BENCHMARKS.md).
    public var closesPerMillisecond = 20
    /// When the pace lets the next close go, as a theoretical arrival time (the generic cell rate
    /// algorithm): a close is due once this is at most a burst's worth of intervals ahead of now.
    private var closePaceAt: UInt64 = 0
    /// How long an iteration dispatches events, writes coalesced output and tells closes before it
    /// leaves the rest for the next (it always handles at least one of each). The counts above
    /// bound the work by number; this bounds it by time, whatever each costs on this machine:
    /// 64 closes at 140 µs each came to 9 ms, and with the accepts and reads of the same
    /// iteration, 10–11 ms (`make bench-storm`).
    /// Events left are reported again by the next `epoll_wait` (level-triggered), behind those the
    /// kernel had not returned yet.
    public var iterationBudgetNanoseconds: UInt64 = 4_000_000
    /// When the current iteration's `epoll_wait` returned.
    private var iterationStart: UInt64 = 0
    /// The loop thread's CPU clock at its last read, and the monotonic clock then.
    private var cpuClockAtRead: UInt64 = 0
    private var cpuClockReadAt: UInt64 = 0

    /// Whether the iteration still has time for more work at `clock`.
    private func budgetLeft(at clock: UInt64 = Posix.monotonicNanoseconds()) -> Bool {
        clock &- iterationStart <= iterationBudgetNanoseconds
    }
    var closeNotices = Backlog<(Connection, CloseReason)>()
    private var running = false
    private var stopRequested = false
    private var wakeup: Wakeup!
    private var signals: SignalSource?
    /// The maximum bytes one connection writes per iteration, so one consumer of a large backlog
    /// cannot hog the loop.
    ///
    /// Four times what one connection may read per iteration (Redis keeps the same ratio with
    /// 16 KB reads and 64 KB writes): a broadcast server turns every byte read from one sender
    /// into a slightly longer line for each recipient, and a recipient that reads as fast as the
    /// sender writes must never fall behind just because its writes were capped below the input.
    @exclusivity(unchecked) public var writeBudget = 256 * 1024
    /// How many reads (of up to ``scratchSize`` bytes) one readable connection gets per wakeup
    /// before others get a turn.
    @exclusivity(unchecked) public var readsPerWakeup = 1

    /// Monotonic milliseconds, refreshed once per iteration (cheap to read in callbacks).
    @exclusivity(unchecked) public private(set) var now: Int64

    /// When the output pool is next trimmed (loop-clock ms).
    private var nextPoolTrim: Int64 = 0
    private static let poolTrimInterval: Int64 = 500

    /// Iterations completed by ``run()``; handy for tests and stats.
    public private(set) var iterations = 0
    /// How long iterations took, without their wait for events.
    @exclusivity(unchecked) public private(set) var loopStatistics = LoopStatistics()

    // Output accounting (Reactor+OutputBudget.swift). Two running sums rather than one total, so
    // a write adds to one counter and a read's output is the difference of two loads.
    /// Bytes ever appended to any connection's output queue (wrapping).
    @exclusivity(unchecked) var outputAppended = 0
    /// Bytes ever written from, or dropped with, any connection's output queue (wrapping).
    @exclusivity(unchecked) var outputDrained = 0
    /// The total above which producing output calls into the budget; see `updateBudgetTrigger`.
    @exclusivity(unchecked) var budgetTrigger = Int.max
    var budgetState = OutputBudgetState()
    /// Connections whose queue is over their soft limit, with the loop time since when; each
    /// one's position in this list is kept in its ``Slot``.
    var softLimited: [SoftLimitEntry] = []
    /// The one timer that drops connections at the end of their grace period; armed only while
    /// ``softLimited`` is not empty.
    var softLimitTimer: Timer?

    /// A ceiling on the output queued by all connections together, kept by pausing the heaviest
    /// producers' reading until the total drains; see ``OutputBudget``. `nil` (the default)
    /// means no ceiling beyond each connection's own limits.
    public var outputBudget: OutputBudget? {
        didSet { updateBudgetTrigger() }
    }

    /// Outgoing connects in progress (``connect(to:timeoutMilliseconds:_:)``), by connection: kept
    /// here rather than in every connection, which would carry the field for its whole life.
    var connectAttempts: [ObjectIdentifier: ConnectAttempt] = [:]

    struct Slot {
        var id: UInt32 = 0
        /// For a connection over its soft limit, its position in ``softLimited``, else -1. In the
        /// padding after `id`, so it costs nothing; the registration lasts as long as the listing
        /// (a connection leaves the list before it deregisters).
        var softLimitIndex: Int32 = -1
        var target: Selectable?
    }

    /// Creates a reactor confined to the calling thread.
    ///
    /// Also sets SIGPIPE to be ignored process-wide: a write to a closed peer must fail with EPIPE
    /// rather than kill the process.
    public init() throws(ReactorError) {
        Posix.ignoreSIGPIPE()
        epoll = try Epoll()
        scratch = .allocate(byteCount: Reactor.scratchSize, alignment: 16)
        now = Int64(Posix.monotonicNanoseconds() / 1_000_000)
        wakeup = try Wakeup(reactor: self)
    }

    deinit {
        wakeup.shutdown()
        for slot in slots { slot.target?.reactorWillDeinit() }
        scratch.deallocate()
    }

    /// The thread-safe handle to this reactor; see ``ReactorHandle``.
    public var handle: ReactorHandle { wakeup.handle }

    /// Monotonic nanoseconds read from the clock now (not cached), for latency stamps.
    public func nowNanoseconds() -> UInt64 { Posix.monotonicNanoseconds() }

    // MARK: Running

    /// Runs iterations until ``stop()`` is called (from a callback, or via ``ReactorHandle/stop()``).
    public func run() {
        precondition(!running, "Reactor.run() is not reentrant")
        running = true
        stopRequested = false
        defer { running = false }
        while !stopRequested {
            runOnce(timeoutMilliseconds: nil)
        }
    }

    /// Runs one iteration, waiting at most `timeoutMilliseconds` (nil: until the next timer or event).
    public func runOnce(timeoutMilliseconds: Int? = nil) {
        var timeout = timers.timeout(now: now, cap: timeoutMilliseconds.map { Int64($0) })
        if !deferred.isEmpty || !flushQueue.isEmpty { timeout = 0 }
        if !closeNotices.isEmpty {
            let untilClose = Int64(clamping: millisecondsUntilCloseIsDue(at: Posix.monotonicNanoseconds()))
            timeout = timeout < 0 ? untilClose : min(timeout, untilClose)
        }
        if pool.cachedBlocks > 0 {
            // Wake for the trim even when idle, but only while there is something to give back.
            let untilTrim = max(0, nextPoolTrim - now)
            timeout = timeout < 0 ? untilTrim : min(timeout, untilTrim)
        }
        let ready: Int
        do {
            ready = try epoll.wait(timeout: Int32(clamping: timeout))
        } catch {
            // epoll_wait fails only on bugs (EBADF, EINVAL); keep the evidence rather than spin.
            preconditionFailure("\(error)")
        }
        // The clock before the events: callbacks see the time they run at, not the time the wait
        // began (a read after a long wait was stamped that much too early), and the iteration's
        // measured time includes dispatching them.
        let woke = Posix.monotonicNanoseconds()
        iterationStart = woke
        now = Int64(woke / 1_000_000)
        for index in 0..<ready {
            if index > 0 && !budgetLeft() { break }
            let (data, events) = epoll.ready(index)
            dispatch(data: data, events: events)
        }
        fireExpiredTimers()
        runDeferred()
        checkOutputBudget(beforeFlush: true)
        flush()
        checkOutputBudget(beforeFlush: false)
        if now >= nextPoolTrim {
            nextPoolTrim = now + Reactor.poolTrimInterval
            // Freed blocks sit between live objects; malloc_trim hands their pages to the kernel.
            if pool.trim() >= 64 * 1024 { Posix.releaseFreeMemory() }
        }
        iterations &+= 1
        let end = Posix.monotonicNanoseconds()
        let wall = end &- woke
        var onCPU = wall
        // A system call, so at most one per 100 µs: an iteration that long always gets one, and
        // the thread's CPU time since the read before bounds the iteration's own from above.
        if end &- cpuClockReadAt >= 100_000 {
            let cpu = Posix.threadCPUNanoseconds()
            onCPU = min(wall, cpu &- cpuClockAtRead)
            cpuClockAtRead = cpu
            cpuClockReadAt = end
        }
        loopStatistics.record(Int(wall / 1_000), onCPU: Int(onCPU / 1_000))
    }

    /// Makes ``run()`` return after the current iteration.
    public func stop() { stopRequested = true }

    /// Runs `body` at the end of the current iteration, after event dispatch and timers.
    public func runLater(_ body: @escaping () -> Void) { deferred.append(body) }

    private func runDeferred() {
        // Close notices first: handlers learn of closed peers before anything else writes to them.
        var rounds = 0
        var delivered = 0
        while (!closeNotices.isEmpty || !deferred.isEmpty) && rounds < 4 {
            rounds += 1
            if stopRequested {
                for (connection, reason) in closeNotices.takeAll() { connection.deliverClose(reason) }
            } else {
                // A handler's close of another connection joins the queue and may be told now too.
                while delivered < max(1, closeNoticesPerIteration), !closeNotices.isEmpty {
                    let clock = Posix.monotonicNanoseconds()
                    guard delivered == 0 || budgetLeft(at: clock),
                        takeClosePace(at: clock), let notice = closeNotices.popFirst()
                    else { break }
                    delivered += 1
                    notice.0.deliverClose(notice.1)
                }
            }
            if !deferred.isEmpty {
                let work = deferred
                deferred.removeAll(keepingCapacity: true)
                for body in work { body() }
            }
        }
    }

    /// The pace's interval between closes and how far ahead of now it may run (a burst).
    private var closePace: (interval: UInt64, tolerance: UInt64)? {
        guard closesPerMillisecond > 0 else { return nil }
        let interval = 1_000_000 / UInt64(closesPerMillisecond)
        return (interval, interval * UInt64(max(1, closeNoticesPerIteration) - 1))
    }

    /// Whether the pace lets a close go at `clock`, and if so counts it.
    private func takeClosePace(at clock: UInt64) -> Bool {
        guard let pace = closePace else { return true }
        if closePaceAt > clock &+ pace.tolerance { return false }
        closePaceAt = max(closePaceAt, clock) &+ pace.interval
        return true
    }

    /// 0 when a close may go now; else the wait for the next, rounded up to whole milliseconds.
    private func millisecondsUntilCloseIsDue(at clock: UInt64) -> UInt64 {
        guard let pace = closePace, closePaceAt > clock &+ pace.tolerance else { return 0 }
        return (closePaceAt &- pace.tolerance &- clock + 999_999) / 1_000_000
    }

    private func flush() {
        var i = 0
        // A writability callback may write to another connection and append to the queue.
        while i < flushQueue.count {
            let connection = flushQueue[i]
            connection.queuedForFlush = false
            connection.flushNow()
            i += 1
        }
        flushQueue.removeAll(keepingCapacity: true)
    }

    func enqueueLazyFlush(_ connection: Connection) {
        lazyQueue.append(connection)
        if lazyTimer == nil {
            lazyTimer = schedule(afterMilliseconds: coalescingDelay) { [unowned self] in self.flushLazyQueue() }
        }
    }

    /// The coalescing delay is over: what was enqueued since is written now, as much as the
    /// iteration's budget allows, and the rest in the next iterations.
    private func flushLazyQueue() {
        lazyTimer = nil
        var flushed = 0
        // Written here rather than queued for the flush, so that the budget sees what they cost.
        while flushed < max(1, lazyFlushesPerIteration),
            flushed == 0 || budgetLeft(),
            let connection = lazyQueue.popFirst()
        {
            flushed += 1
            connection.queuedLazily = false
            if !connection.queuedForFlush { connection.flushNow() }
        }
        if !lazyQueue.isEmpty {
            // 1 ms, not 0: a timer due now would fire in this same round of timers.
            lazyTimer = schedule(afterMilliseconds: 1) { [unowned self] in self.flushLazyQueue() }
        }
    }

    // MARK: Registrations

    @inline(__always)
    private func dispatch(data: UInt64, events: IOEvents) {
        let fd = Int(truncatingIfNeeded: data & 0xffff_ffff)
        let id = UInt32(truncatingIfNeeded: data >> 32)
        guard fd < slots.count, slots[fd].id == id, let target = slots[fd].target else { return }
        target.handle(events)
    }

    func register(_ target: Selectable, interest: Interest) throws(ReactorError) {
        let fd = Int(target.fd)
        if fd >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: fd - slots.count + 1)) }
        precondition(slots[fd].target == nil, "descriptor \(fd) registered twice")
        let id = nextID
        nextID = nextID == UInt32.max ? 1 : nextID + 1
        try epoll.add(target.fd, interest, data: UInt64(id) << 32 | UInt64(UInt32(bitPattern: target.fd)))
        slots[fd] = Slot(id: id, target: target)
        target.registrationID = id
        target.interest = interest
    }

    /// Changes interest; skips the system call when nothing changes.
    func reregister(_ target: Selectable, interest: Interest) {
        guard target.registrationID != 0, interest != target.interest else { return }
        do {
            try epoll.modify(
                target.fd, interest,
                data: UInt64(target.registrationID) << 32 | UInt64(UInt32(bitPattern: target.fd)))
            target.interest = interest
        } catch {
            preconditionFailure("\(error)")
        }
    }

    func deregister(_ target: Selectable) {
        guard target.registrationID != 0 else { return }
        let fd = Int(target.fd)
        epoll.delete(target.fd)
        if fd < slots.count, slots[fd].id == target.registrationID { slots[fd] = Slot() }
        target.registrationID = 0
    }

    /// Number of live registrations (connections, listeners, watchers), excluding the reactor's own.
    public var registrationCount: Int {
        slots.reduce(0) { $0 + ($1.target == nil || $1.target!.isInternal ? 0 : 1) }
    }

    // MARK: Signals

    /// Delivers `signal` as a loop event instead of an asynchronous handler.
    ///
    /// The signal is blocked in the calling thread and read from a signalfd. Call this from the
    /// thread that runs the reactor before starting other threads, so that no other thread has it
    /// unblocked (a process-directed signal goes to any thread that does not block it).
    public func onSignal(_ signal: Int32, _ body: @escaping (Int32) -> Void) throws(ReactorError) {
        if signals == nil { signals = try SignalSource(reactor: self) }
        try signals!.add(signal, body)
    }

    // MARK: Watching descriptors

    /// Watches a descriptor the caller owns (a pipe, a terminal, another library's socket).
    ///
    /// Level-triggered: `body` is called every iteration while the condition holds.
    /// - Returns: a ``Watcher`` to change interest or stop watching. The reactor does not close `fd`.
    public func watch(_ fd: Int32, interest: Interest, _ body: @escaping (IOEvents) -> Void) throws(ReactorError)
        -> Watcher
    {
        let watcher = Watcher(reactor: self, fd: fd, body: body)
        try register(watcher, interest: interest)
        return watcher
    }
}

/// Anything registered with a reactor's epoll set: the common base of ``Connection``, ``Listener``
/// and ``Watcher`` (and the reactor's own eventfd and signalfd). It has no public members.
public class Selectable {
    let fd: Int32
    var registrationID: UInt32 = 0
    var interest: Interest = []
    var isInternal: Bool { false }

    init(fd: Int32) { self.fd = fd }

    func handle(_ events: IOEvents) { fatalError("subclass must override") }

    /// The reactor is going away with this still registered: release the descriptor, no callbacks.
    func reactorWillDeinit() {}
}

/// A descriptor watched with ``Reactor/watch(_:interest:_:)``.
public final class Watcher: Selectable {
    private unowned let reactor: Reactor
    private let body: (IOEvents) -> Void

    init(reactor: Reactor, fd: Int32, body: @escaping (IOEvents) -> Void) {
        self.reactor = reactor
        self.body = body
        super.init(fd: fd)
    }

    override func handle(_ events: IOEvents) { body(events) }

    /// Changes what the watcher is called for.
    public func setInterest(_ interest: Interest) { reactor.reregister(self, interest: interest) }

    /// Stops watching; the descriptor stays open (it belongs to the caller).
    public func cancel() { reactor.deregister(self) }
}
