// SocketAddress: IPv4, IPv6 and Unix-domain socket addresses, parsed from numeric strings.
import CEpoll
import Glibc

/// An address to listen on or connect to: IPv4, IPv6 or a Unix-domain socket path.
///
/// Hosts are numeric (`127.0.0.1`, `::1`); `localhost` is accepted as `127.0.0.1`. There is no
/// DNS: the reactor never blocks, and a resolver call would.
///
/// ```swift
/// let tcp = try SocketAddress(host: "127.0.0.1", port: 9999)
/// let unix = try SocketAddress(unixPath: "/tmp/switchboard.sock")
/// ```
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case ipv4(address: UInt32, port: UInt16)  // both in host byte order
        case ipv6(address: [UInt8], port: UInt16, scope: UInt32)
        case unix(path: String)
    }

    let kind: Kind

    init(kind: Kind) { self.kind = kind }

    /// Parses a numeric IPv4 or IPv6 host.
    /// - Throws: ``ReactorError/invalidAddress(_:)`` if `host` is not numeric or `port` is out of range.
    public init(host: String, port: Int) throws(ReactorError) {
        guard (0...65535).contains(port) else { throw .invalidAddress("port \(port) is out of range 0-65535") }
        let host = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            kind = .ipv4(address: UInt32(bigEndian: v4.s_addr), port: UInt16(port))
            return
        }
        var v6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            kind = .ipv6(address: bytes, port: UInt16(port), scope: 0)
            return
        }
        throw .invalidAddress("'\(host)' is not a numeric IPv4 or IPv6 address")
    }

    /// A Unix-domain stream socket at `path`.
    /// - Throws: ``ReactorError/invalidAddress(_:)`` if the path is empty or longer than sun_path allows.
    public init(unixPath path: String) throws(ReactorError) {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard !path.isEmpty, path.utf8.count < limit else {
            throw .invalidAddress("unix socket path must be 1-\(limit - 1) bytes")
        }
        kind = .unix(path: path)
    }

    /// The TCP port, or nil for a Unix-domain address.
    public var port: Int? {
        switch kind {
        case .ipv4(_, let port), .ipv6(_, let port, _): return Int(port)
        case .unix: return nil
        }
    }

    /// True for 127.0.0.0/8, ::1 and Unix-domain addresses: traffic that never leaves the machine.
    public var isLoopback: Bool {
        switch kind {
        case .ipv4(let address, _): return address >> 24 == 127
        case .ipv6(let address, _, _): return address == [UInt8](repeating: 0, count: 15) + [1]
        case .unix: return true
        }
    }

    /// The address without its port (`127.0.0.1`, `::1`), or nil for a Unix-domain address.
    public var host: String? {
        switch kind {
        case .ipv4, .ipv6:
            let text = self.description
            guard let colon = text.lastIndex(of: ":") else { return text }
            let host = text[..<colon]
            return host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : String(host)
        case .unix:
            return nil
        }
    }

    public var description: String {
        switch kind {
        case .ipv4(let address, let port):
            return "\(address >> 24).\(address >> 16 & 0xff).\(address >> 8 & 0xff).\(address & 0xff):\(port)"
        case .ipv6(let address, let port, _):
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address) }
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return "[\(host)]:\(port)"
        case .unix(let path):
            return "unix:\(path)"
        }
    }

    var family: Int32 {
        switch kind {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        case .unix: return AF_UNIX
        }
    }

    var unixPath: String? {
        if case .unix(let path) = kind { return path }
        return nil
    }

    /// Calls `body` with this address as a `sockaddr` for bind/connect.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(ReactorError) -> R) throws(ReactorError)
        -> R
    {
        var storage = sockaddr_storage()
        let length: Int
        switch kind {
        case .ipv4(let address, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = address.bigEndian
            withUnsafeBytes(of: sin) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = MemoryLayout<sockaddr_in>.size
        case .ipv6(let address, let port, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address) }
            withUnsafeBytes(of: sin6) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = MemoryLayout<sockaddr_in6>.size
        case .unix(let path):
            var sun = sockaddr_un()
            sun.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sun.sun_path) { dst in
                let bytes = Array(path.utf8)
                dst.copyBytes(from: bytes)
                dst[bytes.count] = 0
            }
            withUnsafeBytes(of: sun) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = MemoryLayout<sockaddr_un>.size
        }
        return try withUnsafePointer(to: &storage) { (pointer) throws(ReactorError) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(ReactorError) -> R in
                try body(address, socklen_t(length))
            }
        }
    }

    /// Decodes what getsockname/getpeername filled in.
    init(storage: sockaddr_storage, length: socklen_t) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            kind = .ipv4(address: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            kind = .ipv6(address: bytes, port: UInt16(bigEndian: sin6.sin6_port), scope: sin6.sin6_scope_id)
        default:
            let sun = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_un.self) }
            let path = withUnsafeBytes(of: sun.sun_path) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            kind = .unix(path: path)
        }
    }
}
