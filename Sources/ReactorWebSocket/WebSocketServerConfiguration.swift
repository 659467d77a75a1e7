// WebSocketServerConfiguration: what a WebSocketConnectionHandler accepts, and how long it waits.

import WebSocket

/// The settings a ``WebSocketConnectionHandler`` runs with; one value shared by every connection.
public struct WebSocketServerConfiguration: Sendable {
    /// The path that upgrades (`"/ws"`), or `nil` to upgrade on any path.
    public var path: String?
    /// The subprotocols the server speaks; the client's order of preference chooses among them.
    public var subprotocols: [String]
    /// Which origins may connect.
    public var originPolicy: WebSocketOriginPolicy
    /// The longest message accepted (over all its fragments); longer ones close the connection with 1009.
    public var maxMessageSize: Int
    /// The limits on the request head.
    public var headLimits: HTTPHeadLimits
    /// How long a client has to send a whole request head after connecting (a slow-loris guard);
    /// past it, the server answers 408 and closes.
    public var handshakeTimeoutMilliseconds: Int
    /// How long to wait for the peer's close frame after sending one, before closing anyway.
    public var closeTimeoutMilliseconds: Int

    public init(
        path: String? = nil, subprotocols: [String] = [], originPolicy: WebSocketOriginPolicy = .sameHost,
        maxMessageSize: Int = 1 << 20, headLimits: HTTPHeadLimits = .standard,
        handshakeTimeoutMilliseconds: Int = 10_000, closeTimeoutMilliseconds: Int = 5_000
    ) {
        self.path = path
        self.subprotocols = subprotocols
        self.originPolicy = originPolicy
        self.maxMessageSize = maxMessageSize
        self.headLimits = headLimits
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.closeTimeoutMilliseconds = closeTimeoutMilliseconds
    }
}

/// What a WebSocket endpoint implements: the messages, and the socket's opening and closing. All
/// methods run on the reactor's thread; payloads are valid only during the call.
///
/// ```swift
/// final class Echo: WebSocketDelegate {
///     func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer) {
///         socket.send(text: text)
///     }
/// }
/// ```
public protocol WebSocketDelegate: AnyObject {
    /// The handshake succeeded. `request` is the upgrade request (its path, query and fields: read
    /// what you need now, the handler keeps only the subprotocol) and `upgrade` what was agreed.
    func webSocketDidOpen(_ socket: WebSocketConnectionHandler, request: HTTPRequestHead, upgrade: WebSocketUpgrade)

    /// A whole text message arrived, already checked to be UTF-8.
    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer)

    /// A whole binary message arrived. The default closes the connection with 1003 (unsupported data).
    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveBinary data: UnsafeRawBufferPointer)

    /// A pong arrived (pings are answered without asking the delegate).
    func webSocket(_ socket: WebSocketConnectionHandler, didReceivePong payload: UnsafeRawBufferPointer)

    /// A request was refused with `status` (a malformed or oversized head, a bad upgrade, a
    /// wrong path, a timeout) and the connection is closing. For counting: the response is sent.
    func webSocket(_ socket: WebSocketConnectionHandler, didRefuse status: HTTPStatus)

    /// The connection is closed. `code` is the peer's close code, ``WebSocketCloseCode/noStatusReceived``
    /// for a close frame without one, or ``WebSocketCloseCode/abnormalClosure`` if the connection
    /// ended without the peer's close frame (or never opened). The handler lets go of its delegate after this.
    func webSocket(_ socket: WebSocketConnectionHandler, didCloseWith code: WebSocketCloseCode)
}

extension WebSocketDelegate {
    public func webSocketDidOpen(
        _ socket: WebSocketConnectionHandler, request: HTTPRequestHead, upgrade: WebSocketUpgrade
    ) {}

    public func webSocket(_ socket: WebSocketConnectionHandler, didReceiveBinary data: UnsafeRawBufferPointer) {
        socket.close(code: .unsupportedData)
    }

    public func webSocket(_ socket: WebSocketConnectionHandler, didReceivePong payload: UnsafeRawBufferPointer) {}

    public func webSocket(_ socket: WebSocketConnectionHandler, didRefuse status: HTTPStatus) {}

    public func webSocket(_ socket: WebSocketConnectionHandler, didCloseWith code: WebSocketCloseCode) {}
}
