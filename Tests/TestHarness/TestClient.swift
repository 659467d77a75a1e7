// TestClient: a blocking loopback socket a test drives by hand (TCP over IPv4 or IPv6, or a Unix
// socket), with a deadline on every read.

import Glibc

/// A loopback address a ``TestClient`` connects to.
public enum Endpoint: Sendable, CustomStringConvertible {
    /// 127.0.0.1 on this port.
    case ipv4(Int)
    /// ::1 on this port.
    case ipv6(Int)
    /// A Unix-domain stream socket at this path.
    case unix(String)

    public var description: String {
        switch self {
        case .ipv4(let port): "127.0.0.1:\(port)"
        case .ipv6(let port): "[::1]:\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}

/// A blocking client socket owned by a test. Every read waits at most until a deadline; a send
/// gives up after 10 s. Closed on deinit. Not thread-safe: one thread uses a client at a time.
///
/// ```swift
/// let client = try TestClient(connectingTo: .ipv4(port))
/// try client.send("hello\n")
/// #expect(try client.readLine() == "hello")
/// ```
public final class TestClient {
    /// The socket, or -1 once closed.
    public private(set) var fd: Int32
    /// Bytes read past the last line or bytes handed out.
    private var pending = PendingBytes()

    /// How one read ended.
    public enum ReadOutcome: Equatable, Sendable {
        case bytes([UInt8])
        /// The peer closed its side (FIN).
        case eof
        /// The peer reset the connection (ECONNRESET).
        case reset
        case timeout
        case error(Int32)
    }

    /// How a wait for a line ended.
    public enum LineRead: Equatable, Sendable {
        /// A whole line, without its newline.
        case line([UInt8])
        /// No whole line: `.timeout`, `.eof`, `.reset` or `.error` came first.
        case stopped(ReadOutcome)
    }

    public var isOpen: Bool { self.fd >= 0 }

    /// Opens a socket of `family` and connects it (blocking) with `connect`, which calls
    /// connect(2) on the descriptor it is given and returns its result; for addresses other than
    /// an ``Endpoint``, such as the Reactor's `SocketAddress`.
    ///
    /// - Parameters:
    ///   - peer: the address as text, for the error message.
    ///   - receiveBuffer: SO_RCVBUF, set before connecting, to keep the kernel from absorbing
    ///     megabytes for a client that does not read.
    /// - Throws: ``HarnessError`` if socket(2) or the connect fails.
    public init(
        family: Int32, peer: String, receiveBuffer: Int? = nil, connect: (_ fd: Int32) throws -> Int32
    ) throws {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.system("socket") }
        // From here on deinit closes it, even if the connect fails.
        self.fd = fd
        if let receiveBuffer { self.setOption(SOL_SOCKET, SO_RCVBUF, Int32(receiveBuffer)) }
        // A send never blocks a test forever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard try connect(fd) == 0 else { throw HarnessError.system("connect to \(peer)") }
        // Without it, a line sent right after another waits for a delayed ACK.
        if family != AF_UNIX { self.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
    }

    /// Connects (blocking) to a loopback `endpoint`.
    public convenience init(connectingTo endpoint: Endpoint, receiveBuffer: Int? = nil) throws {
        switch endpoint {
        case .ipv4(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            try self.init(family: AF_INET, endpoint, address, receiveBuffer: receiveBuffer)
        case .ipv6(let port):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, "::1", &address.sin6_addr)
            try self.init(family: AF_INET6, endpoint, address, receiveBuffer: receiveBuffer)
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
            }
            try self.init(family: AF_UNIX, endpoint, address, receiveBuffer: receiveBuffer)
        }
    }

    /// Connects to `address`, a `sockaddr_in`, `sockaddr_in6` or `sockaddr_un` for `endpoint`.
    private convenience init<Address>(
        family: Int32, _ endpoint: Endpoint, _ address: Address, receiveBuffer: Int?
    ) throws {
        var address = address
        try self.init(family: family, peer: "\(endpoint)", receiveBuffer: receiveBuffer) { fd in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
    }

    deinit { self.close() }

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        setsockopt(self.fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: Writing

    /// Sends all of `bytes`, blocking (at most 10 s per send(2)).
    ///
    /// - Throws: ``HarnessError`` if the socket is closed already or send(2) fails.
    public func send(_ bytes: [UInt8]) throws {
        // After a close the descriptor number may belong to another socket by now.
        guard self.isOpen else { throw HarnessError("send on a connection that is already closed") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw HarnessError.system("send")
            }
            offset += n
        }
    }

    /// Sends `string` as it is (add the `\n` yourself).
    public func send(_ string: String) throws { try self.send(Array(string.utf8)) }

    // MARK: Reading

    /// One read of at most `max` bytes, waiting at most `timeout` for something to arrive.
    public func readSome(max: Int = 65536, timeout: Duration = .seconds(5)) -> ReadOutcome {
        if !self.pending.isEmpty { return .bytes(self.pending.popFirst(max)) }
        var bytes: [UInt8] = []
        return self.receive(max: max, until: Deadline(timeout)) { bytes = Array($0) } ?? .bytes(bytes)
    }

    /// The next `\n`-terminated line, or why none came by `deadline`. Lines already received are
    /// handed out even after the stream ended.
    public func readLine(until deadline: Deadline) -> LineRead {
        while true {
            if let line = self.pending.popLine() { return .line(line) }
            if let stop = self.receive(until: deadline, { self.pending.append($0) }) { return .stopped(stop) }
        }
    }

    /// The next `\n`-terminated line, without the newline.
    ///
    /// - Throws: ``HarnessError`` if none comes within `timeout`, or the stream ends first.
    public func readLine(timeout: Duration = .seconds(5)) throws -> String {
        switch self.readLine(until: Deadline(timeout)) {
        case .line(let line): return String(decoding: line, as: UTF8.self)
        case .stopped(let outcome):
            throw HarnessError("readLine: \(outcome) after \(self.pending.count) bytes of a partial line")
        }
    }

    /// Exactly `count` bytes.
    ///
    /// - Throws: ``HarnessError`` if they do not all come within `timeout`.
    public func readExactly(_ count: Int, timeout: Duration = .seconds(10)) throws -> [UInt8] {
        let deadline = Deadline(timeout)
        var result = self.pending.popFirst(count)
        while result.count < count {
            if let stop = self.receive(max: min(1 << 20, count - result.count), until: deadline, { result += $0 }) {
                throw HarnessError("readExactly(\(count)): \(stop) after \(result.count) bytes")
            }
        }
        return result
    }

    /// Everything until the stream ends (EOF or reset) or `timeout` passes; returns the bytes and
    /// how it ended.
    public func readToEnd(timeout: Duration = .seconds(5)) -> (bytes: [UInt8], end: ReadOutcome) {
        let deadline = Deadline(timeout)
        var result = self.pending.popFirst(self.pending.count)
        while true {
            if let stop = self.receive(until: deadline, { result += $0 }) { return (result, stop) }
        }
    }

    /// poll(2) until `deadline`, then one recv(2) of at most `max` bytes, handed to `body`; nil if
    /// some came, else how the read ended. Bypasses `pending`.
    private func receive(
        max: Int = 65536, until deadline: Deadline, _ body: (UnsafeRawBufferPointer) -> Void
    ) -> ReadOutcome? {
        guard self.isOpen else { return .error(EBADF) }
        while true {
            var entry = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return .error(errno)
            }
            if ready == 0 { return .timeout }
            let (n, code) = withUnsafeTemporaryAllocation(byteCount: max, alignment: 1) { chunk -> (Int, Int32) in
                let n = recv(self.fd, chunk.baseAddress, chunk.count, Int32(MSG_DONTWAIT))
                let code = errno
                if n > 0 { body(UnsafeRawBufferPointer(rebasing: chunk[..<n])) }
                return (n, code)
            }
            if n > 0 { return nil }
            if n == 0 { return .eof }
            if code == EINTR || code == EAGAIN { continue }
            return code == ECONNRESET ? .reset : .error(code)
        }
    }

    // MARK: Closing

    /// Sends FIN: the peer sees EOF, while this side can still read.
    public func shutdownWrite() {
        if self.isOpen { _ = shutdown(self.fd, Int32(SHUT_WR)) }
    }

    /// Makes the next close send RST instead of FIN (SO_LINGER with a zero timeout).
    public func setLingerZero() {
        guard self.isOpen else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Closes with SO_LINGER 0, so the peer sees a reset instead of an orderly EOF.
    public func resetAbruptly() {
        self.setLingerZero()
        self.close()
    }

    /// Closes the socket (FIN, unless ``setLingerZero()`` was called). Idempotent.
    public func close() {
        if self.isOpen { Glibc.close(self.fd) }
        self.fd = -1
    }
}
