// WebSocketOriginPolicy: which pages may open a WebSocket to this server, judged by the Origin field.

import Codec

/// Which origins may open a WebSocket, the browser's protection against cross-site WebSocket
/// hijacking (RFC 6455 section 10.2).
///
/// A browser always sends `Origin` on a WebSocket handshake, naming the page that asked for the
/// socket; other clients (IRC clients, test tools) usually send none. By default a page served by
/// this same host may connect and so may clients that send no origin, since a page cannot omit it:
///
/// | `Origin` | default | `allowedOrigins: ["https://chat.example.org"]` |
/// |---|---|---|
/// | absent | allowed | allowed (unless `allowsMissingOrigin` is false) |
/// | same host as `Host` | allowed | allowed (unless `allowsSameHost` is false) |
/// | `https://chat.example.org` | refused | allowed |
/// | `https://evil.example` or `null` | refused | refused |
///
/// "Same host" compares the host name (ignoring case) and the port, a missing port standing for
/// the scheme's default on both sides: `Host: chat.example.org` matches `https://chat.example.org`
/// behind a TLS proxy, and `Host: localhost:8080` matches `http://localhost:8080`.
public struct WebSocketOriginPolicy: Sendable, Hashable {
    /// Origins allowed besides the same host, as `scheme://host[:port]`, compared ignoring ASCII
    /// case. `"*"` allows every origin.
    public var allowedOrigins: [String]
    /// Whether a page from the host named in the request's `Host` field may connect.
    public var allowsSameHost: Bool
    /// Whether a handshake without `Origin` (not from a browser) may connect.
    public var allowsMissingOrigin: Bool

    public init(allowedOrigins: [String] = [], allowsSameHost: Bool = true, allowsMissingOrigin: Bool = true) {
        self.allowedOrigins = allowedOrigins
        self.allowsSameHost = allowsSameHost
        self.allowsMissingOrigin = allowsMissingOrigin
    }

    /// The same host and clients without an origin: the default.
    public static let sameHost = WebSocketOriginPolicy()

    /// Every origin: for servers whose clients are all trusted, or that authenticate otherwise.
    public static let any = WebSocketOriginPolicy(allowedOrigins: ["*"])

    /// Whether a handshake with this `Origin` value (or none) and `Host` value may connect.
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return self.allowsMissingOrigin }
        for allowed in self.allowedOrigins {
            if allowed == "*" || HTTPHeaders.equalsIgnoringCase(allowed.utf8, origin.utf8) { return true }
        }
        if self.allowsSameHost, let host { return Self.isSameHost(origin: origin, host: host) }
        return false
    }

    /// Whether `origin` (`scheme://host[:port]`) names the host and port of a `Host` value.
    public static func isSameHost(origin: String, host: String) -> Bool {
        let originBytes = Array(origin.utf8)
        guard let separator = Self.find("://", in: originBytes) else { return false }
        let scheme = String(decoding: originBytes[..<separator].map(ASCII.lowercased), as: UTF8.self)
        let defaultPort: Int?
        switch scheme {
        case "http", "ws": defaultPort = 80
        case "https", "wss": defaultPort = 443
        default: defaultPort = nil
        }
        guard let originAuthority = Self.splitAuthority(originBytes[(separator + 3)...]),
            let hostAuthority = Self.splitAuthority(Array(host.utf8)[...])
        else { return false }
        guard !originAuthority.host.isEmpty,
            HTTPHeaders.equalsIgnoringCase(originAuthority.host, hostAuthority.host)
        else { return false }
        let originPort = originAuthority.port ?? defaultPort
        let hostPort = hostAuthority.port ?? defaultPort
        return originPort != nil && originPort == hostPort
    }

    /// `host[:port]` or `[v6]:port` split in two; `nil` if there is a path or the port is not digits.
    static func splitAuthority(_ bytes: ArraySlice<UInt8>) -> (host: ArraySlice<UInt8>, port: Int?)? {
        guard !bytes.contains(UInt8(ascii: "/")) else { return nil }
        var hostEnd = bytes.endIndex
        var portStart: Int?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostEnd = close + 1
            if hostEnd < bytes.endIndex {
                guard bytes[hostEnd] == UInt8(ascii: ":") else { return nil }
                portStart = hostEnd + 1
            }
        } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            hostEnd = colon
            portStart = colon + 1
        }
        var port: Int?
        if let portStart {
            let digits = bytes[portStart...]
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(isDigit) else { return nil }
            port = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        return (bytes[bytes.startIndex..<hostEnd], port)
    }

    static func find(_ needle: String, in bytes: [UInt8]) -> Int? {
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return nil }
        for start in 0...(bytes.count - pattern.count)
        where bytes[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start
        }
        return nil
    }
}
