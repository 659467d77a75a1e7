// Epoll: Linux epoll(7) behind create/add/modify/delete/wait, so the loop never sees an epoll_event.
//
// Level-triggered, like Redis, libuv and SwiftNIO: a connection that stops reading early (read
// budget spent, reads paused) is simply reported again next iteration, so no code path has to
// drain to EAGAIN to stay correct. Edge-triggered would save an epoll_ctl here and there, but
// every missed drain becomes a hung connection.
import CEpoll
import Glibc

/// What a registration wants to hear about.
public struct Interest: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = Interest(rawValue: 1)
    public static let writable = Interest(rawValue: 2)
}

/// What the kernel reported for one descriptor in one iteration.
public struct IOEvents: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = IOEvents(rawValue: 1)
    public static let writable = IOEvents(rawValue: 2)
    /// The peer hung up (EPOLLHUP/EPOLLRDHUP) or the socket has a pending error (EPOLLERR).
    public static let hangup = IOEvents(rawValue: 4)
    public static let error = IOEvents(rawValue: 8)
}

struct Epoll: ~Copyable {
    let fd: Int32
    /// The ready list epoll_wait fills; sized so one wakeup can report a burst of events.
    private let events: UnsafeMutablePointer<epoll_event>
    let capacity: Int

    init(capacity: Int = 1024) throws(ReactorError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if fd < 0 { throw .system("epoll_create1", cepoll_errno()) }
        self.fd = fd
        self.capacity = capacity
        self.events = .allocate(capacity: capacity)
    }

    deinit {
        Posix.close(fd)
        events.deallocate()
    }

    /// The one place interest becomes epoll bits. EPOLLERR and EPOLLHUP are always reported.
    @inline(__always)
    static func mask(_ interest: Interest) -> UInt32 {
        var mask: UInt32 = 0
        if interest.contains(.readable) { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.writable) { mask |= EPOLLOUT.rawValue }
        return mask
    }

    @inline(__always)
    static func events(_ mask: UInt32) -> IOEvents {
        var events: IOEvents = []
        if mask & EPOLLIN.rawValue != 0 { events.insert(.readable) }
        if mask & EPOLLOUT.rawValue != 0 { events.insert(.writable) }
        if mask & (EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 { events.insert(.hangup) }
        if mask & EPOLLERR.rawValue != 0 { events.insert(.error) }
        return events
    }

    @inline(never)
    private func control(_ op: Int32, _ target: Int32, _ interest: Interest, _ data: UInt64) throws(ReactorError) {
        var event = epoll_event()
        event.events = Epoll.mask(interest)
        event.data.u64 = data
        if epoll_ctl(fd, op, target, &event) != 0 {
            let e = cepoll_errno()
            Posix.preconditionAcceptable(e, "epoll_ctl")
            throw .system("epoll_ctl", e)
        }
    }

    func add(_ target: Int32, _ interest: Interest, data: UInt64) throws(ReactorError) {
        try control(EPOLL_CTL_ADD, target, interest, data)
    }

    func modify(_ target: Int32, _ interest: Interest, data: UInt64) throws(ReactorError) {
        try control(EPOLL_CTL_MOD, target, interest, data)
    }

    /// Removes a descriptor. Kernels before 2.6.9 wanted a non-null event even for DEL, so pass one.
    @inline(never)
    func delete(_ target: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, target, &event)
    }

    /// Waits up to `timeout` milliseconds (-1 = forever); returns how many descriptors are ready,
    /// read with ``ready(_:)`` until the next wait. EINTR counts as a wakeup with no events.
    @inline(__always)
    func wait(timeout: Int32) throws(ReactorError) -> Int {
        let n = epoll_wait(fd, events, Int32(capacity), timeout)
        if n < 0 {
            let e = cepoll_errno()
            if e == EINTR { return 0 }
            throw .system("epoll_wait", e)
        }
        return Int(n)
    }

    /// The `index`th ready descriptor of the last ``wait(timeout:)``: its data and events.
    @inline(__always)
    func ready(_ index: Int) -> (data: UInt64, events: IOEvents) {
        (cepoll_event_data(events + index), Epoll.events(cepoll_event_mask(events + index)))
    }
}
