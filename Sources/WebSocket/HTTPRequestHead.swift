// HTTPRequestHead: a parsed HTTP/1.x request line and header fields, with the semantics a server
// reads off them: the target's path and query, keep-alive, the body's framing.

/// How the body after a request head is delimited (RFC 9112 section 6.3).
public enum HTTPBodyFraming: Sendable, Hashable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` was sent (or `Content-Length: 0`).
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// A chunked body follows the head.
    case chunked
}

/// One HTTP/1.x request head: method, target, version and header fields.
///
/// Produced by ``HTTPHeadParser``, which has already enforced the grammar and the limits, so the
/// fields here are well-formed: the method is a token, the target is printable ASCII with valid
/// percent escapes, names are tokens, and values hold no control characters but tabs.
///
/// Values own their bytes (unlike the IRC codec's views): a head is parsed once per request, and a
/// server keeps it past the read that completed it, for instance to answer after a WebSocket upgrade.
public struct HTTPRequestHead: Sendable, Hashable {
    /// The method, as sent (case-sensitive).
    public var method: HTTPMethod
    /// The request target exactly as sent: `/path?query`, `http://host/path`, `*`, or `host:port`.
    public var target: String
    /// The version from the request line; major version 1.
    public var version: HTTPVersion
    /// The header fields, in order.
    public var headers: HTTPHeaders
    /// The path part of the target, still percent-encoded: `/chat` for `/chat?nick=x` and for
    /// `http://example.org/chat`, `/` for `http://example.org`, `*` for `*`, empty for `host:port`.
    public var path: String
    /// The query part of the target without its `?`, still percent-encoded, or `nil` if there is none.
    public var query: String?
    /// How the body after this head is delimited.
    public var bodyFraming: HTTPBodyFraming

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
        path: String? = nil, query: String? = nil, bodyFraming: HTTPBodyFraming = .none
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        if let path {
            self.path = path
            self.query = query
        } else {
            let parts = Self.splitOriginForm(target)
            self.path = parts.path
            self.query = query ?? parts.query
        }
        self.bodyFraming = bodyFraming
    }

    /// The `Host` field, or `nil` if the request has none (HTTP/1.0 only; the parser requires it in 1.1).
    public var host: String? { self.headers["Host"] }

    /// Whether the connection stays open after the response (RFC 9112 section 9.3).
    ///
    /// A `close` in `Connection` ends it in any version; otherwise HTTP/1.1 stays open unless told,
    /// and HTTP/1.0 closes unless `Connection` lists `keep-alive`.
    public var keepAlive: Bool {
        if self.headers.containsToken("close", inField: "Connection") { return false }
        if self.version >= .http1_1 { return true }
        return self.headers.containsToken("keep-alive", inField: "Connection")
    }

    /// The query's `name=value` pairs, percent-decoded.
    public var queryItems: HTTPQuery {
        HTTPQuery(self.query ?? "")
    }

    /// The path with its percent escapes decoded, or `nil` if the result is not UTF-8.
    ///
    /// Route on ``path`` when spellings must match exactly; use this to read a name out of a path.
    public var decodedPath: String? {
        guard let bytes = HTTPQuery.percentDecode(self.path.utf8, plusAsSpace: false) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func splitOriginForm(_ target: String) -> (path: String, query: String?) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
        let afterMark = target.utf8.index(after: mark)
        return (String(target[..<mark]), String(target[afterMark...]))
    }
}
