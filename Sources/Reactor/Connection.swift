// Connection: a nonblocking stream socket with a coalescing output queue, watermarks, soft and
// hard output limits, read pausing and an idempotent close.

/// A nonblocking stream connection (TCP or Unix-domain) owned by a ``Reactor``.
///
/// Reading: when the socket is readable the reactor reads into its shared scratch buffer and calls
/// the handler's ``ConnectionHandler/connection(_:didRead:)``; nothing is buffered per connection.
///
/// Writing: ``write(_:)-(UnsafeRawBufferPointer)`` appends to the output queue. At the end of the
/// iteration the queue leaves in one `write` of at most ``Reactor/writeBudget`` bytes; EPOLLOUT is
/// armed only while something is left. Output past ``highWatermark`` makes the connection
/// non-writable (the handler is told) until it drains below ``lowWatermark``.
///
/// Slow consumers: output queued past ``softOutboundLimit`` *continuously* for
/// ``softOutboundGraceMilliseconds`` closes the connection with
/// ``CloseReason/slowConsumerTimedOut``, so a peer that stalls briefly and catches up is kept;
/// output past ``maxOutboundBytes`` (the hard limit) closes it at once with
/// ``CloseReason/outputLimitExceeded``. See `Connection+OutputLimits.swift`. The reactor-wide
/// ``Reactor/outputBudget`` pauses reading on the connections producing the most output instead
/// of dropping anyone.
///
/// Closing: ``close()`` is idempotent and safe from any callback, including this connection's own.
/// The descriptor leaves epoll at once, is released at the end of the iteration, and then the
/// handler gets ``ConnectionHandler/connection(_:didCloseWith:)``. Until then ``descriptor`` stays
/// reserved, so it is unique among connections whose close has not been delivered.
public final class Connection: Selectable {
    enum State: UInt8 {
        case connecting
        case open
        /// Reading stopped; output drains, then FIN, then close.
        case closingAfterFlush
        /// FIN sent after the last output; reading and discarding until the peer's EOF so our
        /// final bytes are not destroyed by an RST for unread input.
        case lingering
        case closed
    }

    /// The one-bit states nothing touches per message, in one byte.
    struct Flags: OptionSet {
        let rawValue: UInt8
        static let readPaused = Flags(rawValue: 1 << 0)
        /// Reading paused by the reactor's output budget, apart from the owner's ``pauseReading()``.
        static let budgetPaused = Flags(rawValue: 1 << 1)
        static let readEOF = Flags(rawValue: 1 << 2)
        static let descriptorReleased = Flags(rawValue: 1 << 3)
        /// Listed in the reactor's soft-limit list (``Reactor/softLimited``): queued output is
        /// over ``softOutboundLimit`` and its grace period is running.
        static let overSoftLimit = Flags(rawValue: 1 << 4)
    }

    // Layout: Swift lays stored properties out in declaration order, and a subclass's first ones
    // go into the tail padding of its superclass (``Selectable`` is 25 bytes, 7 short of a word).
    // So the seven one-byte fields come first, then the words, the output buffer (24 bytes: its
    // positions are 32-bit), the two 32-bit fields, and the last words: 104 bytes (malloc's
    // 112-byte class). At 10,000 idle connections every 8 bytes are 80 KB. What an idle connection does
    // not need of its own is kept elsewhere: the watermarks, limits and notice in an object shared
    // by all the connections that have the same (`SharedOutputSettings`); by the reactor, the
    // start of a grace period and the place in the soft-limit list (`Reactor.softLimited`,
    // `Reactor.Slot`) and an outgoing connect's completion (`Reactor.connectAttempts`).

    // Unchecked exclusivity on the fields every write touches: the loop is single-threaded and no
    // method hands out inout access to them across a callback, and the dynamic checks were 5% of
    // the fan-out profile.
    @exclusivity(unchecked) var state: State
    @exclusivity(unchecked) var queuedForFlush = false
    /// Waiting in the reactor's coalescing queue (output from ``enqueue(_:)`` only).
    @exclusivity(unchecked) var queuedLazily = false
    @exclusivity(unchecked) var flags: Flags = []
    @exclusivity(unchecked) private var lastWrittenNewline = true
    /// The kernel refused part of the last flush: the peer is not keeping up. Only then does
    /// queued output past ``maxOutboundBytes`` count as a slow consumer; a backlog that is merely
    /// waiting for this iteration's flush (the peer reads fine, a flooder just sent a lot) does not.
    @exclusivity(unchecked) private var peerBehind = false
    /// False while queued output is above ``highWatermark`` and has not yet drained to ``lowWatermark``.
    @exclusivity(unchecked) public private(set) var isWritable = true

    /// The reactor this connection belongs to.
    ///
    /// Not retained: a connection lives inside its reactor's registration table until its close is
    /// delivered; do not use one after its reactor is gone.
    public var reactor: Reactor { unownedReactor.takeUnretainedValue() }
    /// Every write and flush touches the reactor (its buffer pool, its flush queue, its counters).
    /// A checked `unowned` load costs an atomic retain/release pair per use, and even an
    /// `unowned(unsafe)` one is copied (a retain/release pair) around every call or field access
    /// the optimizer cannot see through; ``withReactor(_:)`` borrows it with neither.
    private let unownedReactor: Unmanaged<Reactor>
    /// Receives this connection's events. Set it in the accept or connect callback.
    public var handler: (any ConnectionHandler)?
    @exclusivity(unchecked) var output = OutputBuffer()

    /// Queued bytes above which a write looks at the limits and the high watermark: the smallest
    /// of them, copied from ``settings`` so that a write compares with one number it has at hand.
    @exclusivity(unchecked) private(set) var checkAbove: Int32
    /// The loop-clock epoch (`now >> 10`) at which ``producedOutput`` was last decayed.
    var producedEpoch: UInt32 = 0
    /// The watermarks, the limits and the notice: one immutable object, shared with the other
    /// connections whose settings are the same (in a server, nearly all of them), so none of it is
    /// stored per connection. Changed only through ``changeSettings(_:)``.
    @exclusivity(unchecked) private(set) var settings: SharedOutputSettings
    /// Bytes this connection's callbacks queued, halved every 1,024 ms of loop time.
    var producedOutput = 0

    /// Queued bytes at or below which a non-writable connection becomes writable again.
    ///
    /// Stored in 32 bits and clamped to 2 GiB, like ``highWatermark``. Default 32 KiB.
    public var lowWatermark: Int {
        get { Int(settings.values.low) }
        set { changeSettings { $0.low = Int32(clamping: newValue) } }
    }
    /// Queued bytes above which the connection becomes non-writable.
    ///
    /// Stored in 32 bits and clamped to 2 GiB. Default 64 KiB.
    public var highWatermark: Int {
        get { Int(settings.values.high) }
        set { changeSettings { $0.high = Int32(clamping: newValue) } }
    }
    /// The hard output limit: queued bytes above which a peer that is not keeping up is
    /// considered lost at once. When the kernel has refused output (its socket buffer is full) and
    /// more than this is queued, the output is dropped and the connection closed with
    /// ``CloseReason/outputLimitExceeded``, without waiting for any grace period. Whatever the peer
    /// does, queued output never exceeds four times this. Default 64 MiB.
    ///
    /// Whatever this is, a connection never queues more than 4 GiB less 64 KiB (its queue counts
    /// in 32 bits): a write that would go past it closes it with ``CloseReason/outputLimitExceeded``
    /// too (only possible with this set above 1 GiB).
    ///
    /// For a limit that tolerates short stalls, see ``softOutboundLimit``.
    public var maxOutboundBytes: Int {
        get { settings.values.hard }
        set { changeSettings { $0.hard = newValue } }
    }
    /// Written once, best effort, straight to the socket when the connection is dropped for its
    /// output (``maxOutboundBytes`` exceeded, or ``softOutboundLimit`` exceeded for the whole grace
    /// period), after a `\n` if the last byte sent did not end a line, so the peer can learn why.
    public var overflowNotice: [UInt8]? {
        get { settings.values.notice }
        set { changeSettings { $0.notice = newValue } }
    }

    /// ``softOutboundLimit`` in 32 bits; `Int32.max` means none.
    var soft: Int32 { settings.values.soft }
    /// ``softOutboundGraceMilliseconds``.
    var graceMilliseconds: Int32 { settings.values.grace }

    /// Applies `change` to this connection's settings: it then shares the object for the new ones
    /// (made if there is none). On accept and on configuration, never per message; it does not
    /// touch the reactor.
    func changeSettings(_ change: (inout OutputSettings) -> Void) {
        var values = settings.values
        change(&values)
        guard values != settings.values else { return }
        settings = SharedOutputSettings.shared(values)
        checkAbove = settings.checkAbove
    }

    private var readPaused: Bool {
        get { flags.contains(.readPaused) }
        set { if newValue { flags.insert(.readPaused) } else { flags.remove(.readPaused) } }
    }
    /// Reading paused by the reactor's output budget, apart from the owner's ``pauseReading()``.
    var budgetPaused: Bool {
        get { flags.contains(.budgetPaused) }
        set { if newValue { flags.insert(.budgetPaused) } else { flags.remove(.budgetPaused) } }
    }
    private var readEOF: Bool {
        get { flags.contains(.readEOF) }
        set { if newValue { flags.insert(.readEOF) } else { flags.remove(.readEOF) } }
    }
    private var descriptorReleased: Bool {
        get { flags.contains(.descriptorReleased) }
        set { if newValue { flags.insert(.descriptorReleased) } else { flags.remove(.descriptorReleased) } }
    }
    /// In the reactor's soft-limit list; see ``Flags/overSoftLimit``.
    var overSoftLimit: Bool {
        get { flags.contains(.overSoftLimit) }
        set { if newValue { flags.insert(.overSoftLimit) } else { flags.remove(.overSoftLimit) } }
    }

    init(reactor: Reactor, fd: Int32, state: State) {
        unownedReactor = Unmanaged.passUnretained(reactor)
        self.state = state
        settings = SharedOutputSettings.standard
        checkAbove = settings.checkAbove
        super.init(fd: fd)
    }

    deinit {
        if !descriptorReleased { Posix.close(fd) }
        // Only reach for the pool when there is storage: the reactor may be gone by now, and
        // loading the unowned `reactor` then traps.
        if output.base != nil { output.release(pool: reactor.pool) }
    }

    /// The reactor is in its deinit, so `reactor` must not be touched (that traps): free the output
    /// storage directly and release the descriptor now, without callbacks.
    override func reactorWillDeinit() {
        state = .closed
        handler = nil
        output.deallocate()
        if !descriptorReleased {
            descriptorReleased = true
            Posix.close(fd)
        }
    }

    /// The socket descriptor; small, dense, and not reused before this connection's close is delivered.
    public var descriptor: Int32 { fd }

    /// True until ``close()`` (or a failure) closes the connection.
    public var isOpen: Bool { state == .open || state == .connecting }

    /// Bytes queued and not yet accepted by the kernel.
    public var outboundBytes: Int { output.count }

    /// Sets both watermarks; `low` must not exceed `high`.
    public func setWatermarks(low: Int, high: Int) {
        precondition(low <= high, "low watermark above high watermark")
        changeSettings {
            $0.low = Int32(clamping: low)
            $0.high = Int32(clamping: high)
        }
    }

    /// The peer's address (a system call; not cached).
    public var remoteAddress: SocketAddress? { try? Posix.remoteAddress(fd) }

    /// The local address of this socket.
    public var localAddress: SocketAddress? { try? Posix.localAddress(fd) }

    /// Runs `body` with the reactor borrowed: no retain or release (see ``unownedReactor``). For
    /// the paths every message takes.
    @inline(__always)
    func withReactor<Result>(_ body: (Reactor) throws -> Result) rethrows -> Result {
        try unownedReactor._withUnsafeGuaranteedRef(body)
    }

    // MARK: Writing

    /// Queues `bytes` for sending at the end of this iteration. Ignored once the connection is
    /// closing or closed.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard append(bytes) else { return }
        if !queuedForFlush {
            queuedForFlush = true
            withReactor { $0.flushQueue.append(self) }
        }
        checkLimits()
    }

    /// Queues `bytes` without asking for a flush of their own: they leave with this connection's
    /// next flushed ``write(_:)-(UnsafeRawBufferPointer)``, or at the latest
    /// ``Reactor/coalescingDelay`` milliseconds from now. Byte order with ordinary writes is kept
    /// (it is the same queue).
    ///
    /// For output that many connections get at once and nobody waits on, such as presence notices:
    /// during a burst, one write per connection then carries several iterations' worth instead of
    /// each iteration costing a write per connection.
    @inline(__always)
    public func enqueue(_ bytes: UnsafeRawBufferPointer) {
        guard append(bytes) else { return }
        if !queuedForFlush && !queuedLazily {
            queuedLazily = true
            reactor.enqueueLazyFlush(self)
        }
        checkLimits()
    }

    /// Adds `bytes` to the output queue; false (and nothing queued) once the connection is closing.
    @inline(__always)
    private func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard state == .open || state == .connecting else { return false }
        if !output.hasRoom(for: bytes.count) {
            // Past 4 GiB queued (only with a hard limit set above 1 GiB): lost like a peer over it.
            guard withReactor({ output.makeRoom(bytes.count, pool: $0.pool) }) else {
                overflow(.outputLimitExceeded)
                return false
            }
        }
        output.appendAssumingRoom(bytes)
        // The reactor-wide total, O(1): queued = appended - drained.
        withReactor { $0.outputAppended &+= bytes.count }
        return true
    }

    @inline(__always)
    private func checkLimits() {
        let pending = output.count
        // Against the smallest of the limits and the high watermark (`checkAbove`), so a cap set
        // below the high watermark is honoured too (comparing with highWatermark alone let output
        // grow past such a cap).
        if pending > Int(checkAbove) {
            if pending > maxOutboundBytes && (peerBehind || pending / 4 > maxOutboundBytes) {
                overflow(.outputLimitExceeded)
                return
            }
            // The grace period starts now; the flush and the reactor's sweep end it.
            if pending > Int(soft) && !overSoftLimit { reactor.softLimitExceeded(by: self) }
            if isWritable && pending > highWatermark {
                isWritable = false
                handler?.connection(self, writabilityChanged: false)
            }
        }
    }

    /// Queues `bytes` for sending; see ``write(_:)-(UnsafeRawBufferPointer)``.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Queues the UTF-8 bytes of `string`.
    public func write(string: String) {
        var string = string
        string.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Drops the connection for its output (`reason` is ``CloseReason/outputLimitExceeded`` or
    /// ``CloseReason/slowConsumerTimedOut``), after the best-effort ``overflowNotice``.
    func overflow(_ reason: CloseReason) {
        if var notice = overflowNotice, !notice.isEmpty {
            if !lastWrittenNewline { notice.insert(10, at: 0) }
            _ = notice.withUnsafeBytes { try? Posix.write(fd, $0.baseAddress!, count: $0.count) }
        }
        reactor.countDrop(reason)
        close(reason: reason)
    }

    /// One write of at most the reactor's write budget; called from the flush phase.
    func flushNow() {
        guard state == .open || state == .closingAfterFlush else { return }
        if !output.isEmpty {
            let pending = output.readable
            let chunk = min(pending.count, withReactor { $0.writeBudget })
            do {
                switch try Posix.write(fd, pending.baseAddress!, count: chunk) {
                case .processed(let n):
                    peerBehind = n < chunk
                    if n > 0 {
                        lastWrittenNewline = pending[n - 1] == 10
                        withReactor { reactor in
                            output.consume(n, pool: reactor.pool)
                            reactor.outputDrained &+= n
                        }
                    }
                case .wouldBlock:
                    peerBehind = true
                }
            } catch {
                close(reason: Posix.isReset(error) ? .reset : .error(error))
                return
            }
            // `checkAbove` is at most the hard limit: only a queue above it looks at the settings.
            if peerBehind && output.count > Int(checkAbove) && output.count > maxOutboundBytes {
                overflow(.outputLimitExceeded)
                return
            }
        }
        // Between flushes output only grows, so right after one is where a dip below the soft
        // limit shows: checking here sees every time the peer caught up.
        if overSoftLimit {
            if output.count <= Int(soft) {
                reactor.softLimitRecovered(self)
            } else if reactor.now - reactor.softLimitEntry(of: self).since >= Int64(graceMilliseconds) {
                overflow(.slowConsumerTimedOut)
                return
            }
        }
        if output.isEmpty && state == .closingAfterFlush {
            startLingering()
            return
        }
        updateInterest()
        if !isWritable && output.count <= lowWatermark {
            isWritable = true
            handler?.connection(self, writabilityChanged: true)
        }
    }

    // MARK: Reading

    /// Stops reading from the peer (its data waits in the kernel, and TCP flow control slows it down).
    public func pauseReading() {
        readPaused = true
        updateInterest()
    }

    /// Resumes reading after ``pauseReading()``.
    public func resumeReading() {
        readPaused = false
        updateInterest()
    }

    /// True between ``pauseReading()`` and ``resumeReading()``. Pauses by the reactor's output
    /// budget are separate: see ``isReadingPausedForBudget``.
    public var isReadingPaused: Bool { readPaused }

    override func handle(_ events: IOEvents) {
        switch state {
        case .connecting:
            finishConnect()
        case .open, .closingAfterFlush:
            if interest.contains(.readable) {
                if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) { readable() }
            } else if events.contains(.error) || (events.contains(.hangup) && !events.contains(.writable)) {
                // Not reading, yet the socket failed or hung up: level-triggered HUP/ERR would be
                // reported forever, so end it here.
                let error = Posix.socketError(fd)
                close(reason: error == 0 ? .reset : Posix.closeReason(errno: error))
                return
            }
            if events.contains(.writable) && isOpenForOutput { reactor.enqueueFlush(self) }
        case .lingering:
            discardUntilEOF()
        case .closed:
            break
        }
    }

    private var isOpenForOutput: Bool { state == .open || state == .closingAfterFlush }

    private func readable() {
        for _ in 0..<reactor.readsPerWakeup {
            let result: IOResult<Int>
            do {
                result = try Posix.read(fd, into: reactor.scratch, count: Reactor.scratchSize)
            } catch {
                close(reason: Posix.isReset(error) ? .reset : .error(error))
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                readEOF = true
                updateInterest()
                if let handler { handler.connectionDidReachEOF(self) } else { close(reason: .peerClosed) }
                return
            case .processed(let n):
                // Whatever the handler queues, to any connection, is output this read produced.
                let before = reactor.outputAppended
                handler?.connection(self, didRead: UnsafeRawBufferPointer(start: reactor.scratch, count: n))
                let produced = reactor.outputAppended &- before
                if produced != 0 { creditOutput(produced) }
                // A short read means the socket is drained; a full one may have more behind it.
                if n < Reactor.scratchSize || state != .open || !flags.isDisjoint(with: [.readPaused, .budgetPaused]) {
                    return
                }
            }
        }
    }

    func updateInterest() {
        var wanted: Interest = []
        switch state {
        case .open:
            if flags.isDisjoint(with: [.readPaused, .budgetPaused, .readEOF]) { wanted.insert(.readable) }
            if !output.isEmpty { wanted.insert(.writable) }
        case .closingAfterFlush:
            if !output.isEmpty { wanted.insert(.writable) }
        case .lingering:
            wanted = .readable
        case .connecting:
            wanted = .writable
        case .closed:
            return
        }
        withReactor { $0.reregister(self, interest: wanted) }
    }

    // MARK: Closing

    /// Closes the connection now, dropping unsent output. Idempotent.
    public func close() { close(reason: .local) }

    /// Stops reading, sends what is queued, then closes (with a FIN after the last byte, and a short
    /// linger so unread input from the peer does not turn our last bytes into an RST).
    public func closeAfterFlush() {
        guard state == .open else {
            if state == .connecting { close() }
            return
        }
        state = .closingAfterFlush
        if !queuedForFlush {
            queuedForFlush = true
            reactor.flushQueue.append(self)
        }
        updateInterest()
    }

    private func startLingering() {
        Posix.shutdownWrite(fd)
        if readEOF {
            close(reason: .local)
            return
        }
        state = .lingering
        updateInterest()
        reactor.schedule(afterMilliseconds: 2000) { [weak self] in self?.close(reason: .local) }
    }

    private func discardUntilEOF() {
        for _ in 0..<reactor.readsPerWakeup {
            switch try? Posix.read(fd, into: reactor.scratch, count: Reactor.scratchSize) {
            case .processed(let n) where n > 0:
                continue
            case .wouldBlock:
                return
            default:
                close(reason: .local)
                return
            }
        }
    }

    /// Closes with `reason`; the handler hears it at the end of the iteration.
    public func close(reason: CloseReason) {
        guard state != .closed else { return }
        let attempt = state == .connecting ? reactor.takeConnectAttempt(for: self) : nil
        state = .closed
        // Before deregistering: the position in the soft-limit list is kept in the registration.
        if overSoftLimit { reactor.softLimitRecovered(self) }
        reactor.deregister(self)
        if budgetPaused { reactor.forgetBudgetPause(self) }
        reactor.outputDrained &+= output.count
        output.release(pool: reactor.pool)
        reactor.closeNotices.append((self, reason))
        if let attempt {
            attempt.fail(reason)
        }
    }

    func deliverClose(_ reason: CloseReason) {
        if !descriptorReleased {
            descriptorReleased = true
            Posix.close(fd)
        }
        let handler = self.handler
        self.handler = nil
        handler?.connection(self, didCloseWith: reason)
    }

    // MARK: Socket options

    /// Turns TCP keepalive on, so a peer that vanished without a FIN or RST is found and closed.
    public func setKeepAlive(idleSeconds: Int = 60, intervalSeconds: Int = 10, probes: Int = 6) {
        Posix.setKeepAlive(fd, idle: idleSeconds, interval: intervalSeconds, probes: probes)
    }
}

extension Reactor {
    @inline(__always)
    func enqueueFlush(_ connection: Connection) {
        if !connection.queuedForFlush {
            connection.queuedForFlush = true
            flushQueue.append(connection)
        }
    }
}
