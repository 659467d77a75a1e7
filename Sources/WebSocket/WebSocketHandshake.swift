// WebSocketHandshake: the opening handshake of RFC 6455 section 4 on the server's side: a request
// head checked, its subprotocol chosen, and the 101 response rendered.

import Codec

/// Why an upgrade request is refused, each reason with the response it gets.
public enum WebSocketHandshakeError: Error, Sendable, Hashable, CaseIterable {
    /// The method is not `GET`: 405, with `Allow: GET`.
    case methodNotGet
    /// The request is HTTP/1.0, which cannot upgrade: 400.
    case httpVersionTooOld
    /// `Upgrade` does not list `websocket`, or `Connection` does not list `upgrade`: 426, naming the
    /// upgrade it takes (`Upgrade: websocket`, `Sec-WebSocket-Version: 13`).
    case notAnUpgrade
    /// `Sec-WebSocket-Version` is missing or not `13`: 426, with `Sec-WebSocket-Version: 13`
    /// (RFC 6455 section 4.4).
    case unsupportedVersion
    /// `Sec-WebSocket-Key` is missing, repeated, or not the base64 of 16 bytes: 400.
    case badKey
    /// `Sec-WebSocket-Protocol` lists something that is not a token: 400.
    case badSubprotocolList
    /// The `Origin` is not one the server's ``WebSocketOriginPolicy`` allows: 403.
    case originNotAllowed

    /// The status to answer with.
    public var status: HTTPStatus {
        switch self {
        case .methodNotGet: return .methodNotAllowed
        case .httpVersionTooOld, .badKey, .badSubprotocolList: return .badRequest
        case .notAnUpgrade, .unsupportedVersion: return .upgradeRequired
        case .originNotAllowed: return .forbidden
        }
    }

    /// The header fields the answer must carry besides the usual ones.
    public var responseHeaders: HTTPHeaders {
        switch self {
        case .methodNotGet: return ["Allow": "GET"]
        case .notAnUpgrade:
            return ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"]
        case .unsupportedVersion: return ["Sec-WebSocket-Version": "13"]
        default: return [:]
        }
    }

    /// Writes the whole refusal (status, fields, a one-line body, `Connection: close`).
    public func writeResponse(into buffer: inout EncodeBuffer) {
        HTTPResponseWriter.writeError(self.status, headers: self.responseHeaders, into: &buffer)
    }
}

/// An accepted upgrade: what the 101 response says, and what the connection carries from then on.
public struct WebSocketUpgrade: Sendable, Hashable {
    /// The client's `Sec-WebSocket-Key`, as sent.
    public let key: String
    /// The `Sec-WebSocket-Accept` value proving the server read the key.
    public let accept: String
    /// The subprotocol chosen, or `nil` if the client offered none the server speaks.
    public let subprotocol: String?
    /// The subprotocols the client offered, in its order of preference.
    public let offeredSubprotocols: [String]
    /// The `Origin` the request came from, if it named one.
    public let origin: String?

    /// Writes the 101 Switching Protocols response that opens the WebSocket.
    ///
    /// ```text
    /// HTTP/1.1 101 Switching Protocols
    /// Upgrade: websocket
    /// Connection: Upgrade
    /// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
    /// Sec-WebSocket-Protocol: text.ircv3.net        (only when one was chosen)
    /// ```
    public func writeResponse(headers: HTTPHeaders = [:], into buffer: inout EncodeBuffer) {
        var fields: HTTPHeaders = [
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": self.accept,
        ]
        if let subprotocol = self.subprotocol { fields.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        for field in headers { fields.add(name: field.name, value: field.value) }
        HTTPResponseWriter.writeHead(status: .switchingProtocols, headers: fields, into: &buffer)
    }
}

/// The server's side of the WebSocket opening handshake (RFC 6455 section 4.2), version 13.
///
/// ```swift
/// switch WebSocketHandshake.accept(head, subprotocols: ["text.ircv3.net", "binary.ircv3.net"]) {
/// case .success(let upgrade):
///     upgrade.writeResponse(into: &buffer)     // 101; frames follow on this connection
/// case .failure(let error):
///     error.writeResponse(into: &buffer)       // 400, 403, 405 or 426; then close
/// }
/// ```
public enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the key before hashing.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` value for a key: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        let digest = SHA1.hash(key + Self.acceptGUID)
        return digest.withUnsafeBytes { Base64.encode($0) }
    }

    /// Whether a request asks to become a WebSocket at all (`Upgrade` lists `websocket`), so a router
    /// can send it to ``accept(_:subprotocols:originPolicy:)`` whatever else is wrong with it.
    public static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        head.headers.containsToken("websocket", inField: "Upgrade")
    }

    /// Checks an upgrade request and chooses its subprotocol.
    ///
    /// The checks, in order: `GET`; HTTP/1.1 or later; `Upgrade: websocket` and `Connection: upgrade`
    /// (tokens, any case, among others); `Sec-WebSocket-Version: 13`; one `Sec-WebSocket-Key` that
    /// is the base64 of 16 bytes; the `Origin` against `originPolicy`; the offered subprotocols well-formed.
    /// Extensions the client offers (`Sec-WebSocket-Extensions`) are declined by saying nothing, so
    /// the RSV bits stay reserved.
    ///
    /// - Parameters:
    ///   - head: The request.
    ///   - subprotocols: What the server speaks, in any order: the client's order picks among them.
    ///   - originPolicy: Which origins may connect.
    /// - Returns: The upgrade to answer with 101, or the reason to refuse it.
    public static func accept(
        _ head: HTTPRequestHead, subprotocols: [String] = [], originPolicy: WebSocketOriginPolicy = .sameHost
    ) -> Result<WebSocketUpgrade, WebSocketHandshakeError> {
        let headers = head.headers
        guard head.method == .get else { return .failure(.methodNotGet) }
        guard head.version >= .http1_1 else { return .failure(.httpVersionTooOld) }
        guard headers.containsToken("websocket", inField: "Upgrade"),
            headers.containsToken("upgrade", inField: "Connection")
        else { return .failure(.notAnUpgrade) }
        let versions = headers.values(named: "Sec-WebSocket-Version")
        guard versions.count == 1, versions[0] == "13" else { return .failure(.unsupportedVersion) }
        let keys = headers.values(named: "Sec-WebSocket-Key")
        guard keys.count == 1, Base64.decode(keys[0])?.count == 16 else { return .failure(.badKey) }
        let origin = headers["Origin"]
        guard headers.count(named: "Origin") <= 1, originPolicy.allows(origin: origin, host: head.host) else {
            return .failure(.originNotAllowed)
        }
        let offered = headers.tokens(inField: "Sec-WebSocket-Protocol").map(String.init)
        guard offered.allSatisfy({ $0.utf8.allSatisfy(isTokenByte) }) else { return .failure(.badSubprotocolList) }
        return .success(
            WebSocketUpgrade(
                key: keys[0], accept: Self.acceptValue(forKey: keys[0]),
                subprotocol: Self.chooseSubprotocol(offered: offered, supported: subprotocols),
                offeredSubprotocols: offered, origin: origin))
    }

    /// The first subprotocol the client offered that the server supports, or `nil`.
    ///
    /// The client lists its preferences first to last (RFC 6455 section 4.1); the server's list
    /// only says what it can do. Names are compared exactly.
    public static func chooseSubprotocol(offered: [String], supported: [String]) -> String? {
        offered.first { supported.contains($0) }
    }
}
