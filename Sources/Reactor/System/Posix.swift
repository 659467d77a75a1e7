// Posix: one thin wrapper per system call the reactor makes. The only code besides Epoll.swift,
// SocketAddress.swift and Thread.swift that calls libc.
//
// Every wrapper retries EINTR (except close, see there), reports EAGAIN as `.wouldBlock`, and
// throws `ReactorError` carrying the call's name and errno otherwise. Wrappers are
// `@inline(never)` so nothing runs between the call and the read of errno.
import CEpoll
import Glibc

/// The outcome of a nonblocking call: done (with a value), or the kernel said EAGAIN.
enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

enum Posix {
    static let familyIPv6 = AF_INET6

    /// Errors on our own descriptors that can only mean a bug in the reactor, never a condition.
    @inline(__always)
    static func preconditionAcceptable(_ errno: Int32, _ call: StaticString) {
        precondition(errno != EBADF && errno != EFAULT, "\(call) failed with EBADF/EFAULT: reactor bug")
    }

    static func errorString(_ errno: Int32) -> String { String(cString: strerror(errno)) }

    @inline(never)
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) throws(ReactorError)
        -> IOResult<Int>
    {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return .processed(n) }
            let e = cepoll_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            preconditionAcceptable(e, "read")
            throw .system("read", e)
        }
    }

    @inline(never)
    static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, count: Int) throws(ReactorError) -> IOResult<Int> {
        while true {
            let n = Glibc.write(fd, buffer, count)
            if n >= 0 { return .processed(n) }
            let e = cepoll_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            preconditionAcceptable(e, "write")
            throw .system("write", e)
        }
    }

    /// close(2), never retried: on Linux the descriptor is gone even when close reports EINTR, and
    /// a retry could close a descriptor another thread just got (https://lwn.net/Articles/576478/).
    @inline(never)
    static func close(_ fd: Int32) {
        if Glibc.close(fd) != 0 {
            let e = cepoll_errno()
            precondition(e != EBADF, "close(\(fd)) failed with EBADF: descriptor closed twice")
        }
    }

    @inline(never)
    static func socket(domain: Int32) throws(ReactorError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(domain, type, 0)
        if fd < 0 { throw .system("socket", cepoll_errno()) }
        return fd
    }

    /// accept4(2) with SOCK_NONBLOCK|SOCK_CLOEXEC, so the new socket needs no further fcntl calls.
    @inline(never)
    static func accept(_ fd: Int32) throws(ReactorError) -> IOResult<Int32> {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        while true {
            let client = cepoll_accept4(fd, nil, nil, flags)
            if client >= 0 { return .processed(client) }
            let e = cepoll_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            preconditionAcceptable(e, "accept4")
            throw .system("accept4", e)
        }
    }

    @inline(never)
    static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(ReactorError) {
        if Glibc.bind(fd, address, length) != 0 { throw .system("bind", cepoll_errno()) }
    }

    @inline(never)
    static func listen(_ fd: Int32, backlog: Int32) throws(ReactorError) {
        if Glibc.listen(fd, backlog) != 0 { throw .system("listen", cepoll_errno()) }
    }

    /// connect(2) on a nonblocking socket: `.wouldBlock` means EINPROGRESS (wait for writability).
    @inline(never)
    static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(ReactorError)
        -> IOResult<Void>
    {
        if Glibc.connect(fd, address, length) == 0 { return .processed(()) }
        let e = cepoll_errno()
        // EINTR on a nonblocking connect means it continues asynchronously, like EINPROGRESS.
        if e == EINPROGRESS || e == EINTR || e == EAGAIN { return .wouldBlock }
        throw .system("connect", e)
    }

    @inline(never)
    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) throws(ReactorError) {
        var value = value
        if Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw .system("setsockopt", cepoll_errno())
        }
    }

    /// The pending error of a socket (SO_ERROR), which is how a nonblocking connect reports failure.
    @inline(never)
    static func socketError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if Glibc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return cepoll_errno() }
        return value
    }

    @inline(never)
    static func localAddress(_ fd: Int32) throws(ReactorError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getsockname(fd, $0, &length) }
        }
        if rc != 0 { throw .system("getsockname", cepoll_errno()) }
        return SocketAddress(storage: storage, length: length)
    }

    @inline(never)
    static func remoteAddress(_ fd: Int32) throws(ReactorError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getpeername(fd, $0, &length) }
        }
        if rc != 0 { throw .system("getpeername", cepoll_errno()) }
        return SocketAddress(storage: storage, length: length)
    }

    /// shutdown(SHUT_WR): send FIN after what is already written. ENOTCONN (peer gone) is ignored.
    @inline(never)
    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    @inline(never)
    static func eventfd() throws(ReactorError) -> Int32 {
        let fd = CEpoll.eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        if fd < 0 { throw .system("eventfd", cepoll_errno()) }
        return fd
    }

    /// Adds 1 to an eventfd counter. EAGAIN means the counter is saturated, so the loop wakes anyway.
    @inline(never)
    static func eventfdSignal(_ fd: Int32) {
        var one: UInt64 = 1
        while Glibc.write(fd, &one, 8) < 0 && cepoll_errno() == EINTR {}
    }

    /// Resets an eventfd counter to zero; returns false if it was already zero.
    @inline(never)
    static func eventfdDrain(_ fd: Int32) -> Bool {
        var value: UInt64 = 0
        while true {
            if Glibc.read(fd, &value, 8) == 8 { return true }
            if cepoll_errno() != EINTR { return false }
        }
    }

    /// Blocks `signals` in the calling thread and returns a nonblocking signalfd that delivers them
    /// (or updates `existing` to the new set).
    @inline(never)
    static func signalfd(existing: Int32, signals: [Int32]) throws(ReactorError) -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        let rc = pthread_sigmask(SIG_BLOCK, &mask, nil)
        if rc != 0 { throw .system("pthread_sigmask", rc) }
        let fd = CEpoll.signalfd(existing, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        if fd < 0 { throw .system("signalfd", cepoll_errno()) }
        return fd
    }

    /// Reads one pending signal number from a signalfd, or nil when none is pending.
    @inline(never)
    static func readSignal(_ fd: Int32) -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while true {
            let n = Glibc.read(fd, &info, size)
            if n == size { return Int32(bitPattern: info.ssi_signo) }
            if n < 0 && cepoll_errno() == EINTR { continue }
            return nil
        }
    }

    /// Errors that mean the peer is gone rather than that something is wrong here.
    static func isReset(_ error: ReactorError) -> Bool {
        guard let e = error.errno else { return false }
        return e == ECONNRESET || e == EPIPE || e == ECONNABORTED
    }

    static func closeReason(errno: Int32) -> CloseReason {
        errno == ECONNRESET || errno == EPIPE ? .reset : .error(.system("socket", errno))
    }

    static func isDescriptorExhaustion(_ error: ReactorError) -> Bool {
        error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM
    }

    static func isAddressInUse(_ error: ReactorError) -> Bool { error.errno == EADDRINUSE }

    static func isConnectionRefused(_ error: ReactorError) -> Bool { error.errno == ECONNREFUSED }

    /// TCP_NODELAY: chat lines are small and latency matters more than packet count. Fails
    /// harmlessly (ignored) on Unix-domain sockets.
    static func setNoDelay(_ fd: Int32) {
        try? setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    static func setKeepAlive(_ fd: Int32, idle: Int, interval: Int, probes: Int) {
        try? setOption(fd, level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1)
        try? setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_KEEPIDLE, value: Int32(clamping: idle))
        try? setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_KEEPINTVL, value: Int32(clamping: interval))
        try? setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_KEEPCNT, value: Int32(clamping: probes))
    }

    static func setReuseAddress(_ fd: Int32, reusePort: Bool) throws(ReactorError) {
        try setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        if reusePort { try setOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }
    }

    static func setV6Only(_ fd: Int32) {
        try? setOption(fd, level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
    }

    /// A writer to a closed peer must get EPIPE, not a process-killing SIGPIPE.
    static func ignoreSIGPIPE() {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
    }

    /// A descriptor held in reserve so that accept can still drain a connection at EMFILE.
    @inline(never)
    static func openReserve() -> Int32 {
        Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    @inline(never)
    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    /// True if `path` names a socket (lstat, so a symlink to one does not count).
    @inline(never)
    static func isSocketFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }

    /// An anonymous private mapping of `size` bytes (a multiple of the page size), or nil.
    @inline(never)
    static func mapAnonymous(_ size: Int) -> UnsafeMutableRawPointer? {
        let region = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return region == MAP_FAILED ? nil : region
    }

    @inline(never)
    static func unmap(_ region: UnsafeMutableRawPointer, _ size: Int) {
        _ = munmap(region, size)
    }

    /// Returns free heap pages to the kernel (malloc_trim), so RSS follows what is in use.
    @inline(never)
    static func releaseFreeMemory() { _ = CEpoll.malloc_trim(0) }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// CPU time the calling thread has used, in nanoseconds (CLOCK_THREAD_CPUTIME_ID): a system
    /// call, not vDSO, about 0.6 µs here. On a VM whose kernel accounts steal
    /// (CONFIG_PARAVIRT_TIME_ACCOUNTING) the time its host ran something else is not counted.
    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// The soft and hard limit on open descriptors of this process.
    static func descriptorLimit() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        return (Int(limit.rlim_cur), Int(limit.rlim_max))
    }

    /// Raises the soft descriptor limit as far as the hard limit allows; returns the new soft limit.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return descriptorLimit().soft
    }
}
