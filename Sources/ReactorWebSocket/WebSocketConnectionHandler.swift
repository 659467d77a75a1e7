// WebSocketConnectionHandler: a Reactor ConnectionHandler that speaks WebSocket: the HTTP handshake
// with its timeout, then frames in and out, pings answered, and the closing handshake.

import Codec
import Reactor
import WebSocket

/// Serves one connection as a WebSocket server endpoint (RFC 6455) on a ``Reactor``.
///
/// The handler reads the request head (``HTTPHeadParser``), checks the upgrade
/// (``WebSocketHandshake``), answers 101, and from then on decodes frames
/// (``WebSocketFrameDecoder``) into its ``delegate``'s messages. It takes care of the protocol's
/// chores so the delegate sees only messages:
///
/// - a client that has not sent a whole head within ``WebSocketServerConfiguration/handshakeTimeoutMilliseconds``
///   gets 408 and is closed; a refused head or handshake gets its status (400, 403, 404, 405, 413,
///   426, 431, 505) and is closed;
/// - pings are answered with pongs at once;
/// - a protocol error, too long a message or bad UTF-8 closes with 1002, 1009 or 1007;
/// - the peer's close frame is answered with one carrying the same code, then the connection is
///   closed once that is flushed; ``close(code:reason:)`` sends ours and waits up to
///   ``WebSocketServerConfiguration/closeTimeoutMilliseconds`` for the answer.
///
/// Requests that are not WebSocket upgrades go to ``plainRequestHandler`` if there is one (kept
/// alive when the request allows), and otherwise get 404 (wrong path) or 426.
///
/// ```swift
/// try reactor.listen(on: address) { connection in
///     connection.handler = WebSocketConnectionHandler(
///         connection: connection, configuration: configuration, delegate: Echo())
/// }
/// ```
///
/// Server frames are unmasked, so a message for many sockets can be framed once
/// (``WebSocketFrameEncoder/beginFrame(in:)``) and handed to each with ``send(frame:)``.
public final class WebSocketConnectionHandler: ConnectionHandler {
    /// Where the connection is in its life.
    public enum State: Sendable, Hashable {
        /// Reading the request head.
        case handshaking
        /// Upgraded: messages flow both ways.
        case open
        /// A close frame or a refusal was sent; no more messages are sent or delivered.
        case closing
        /// The connection is closed.
        case closed
    }

    /// The connection served. Weak: the connection owns its handler.
    public private(set) weak var connection: Connection?
    /// The settings it runs with.
    public let configuration: WebSocketServerConfiguration
    /// Where messages go. Released once the connection has closed.
    public var delegate: (any WebSocketDelegate)?
    /// Answers requests that are not WebSocket upgrades, on any path: write one whole response into
    /// the buffer (with ``HTTPResponseWriter``, passing `keepAlive: head.keepAlive`). The connection
    /// stays open for the next request when the head allows keep-alive, and closes after the
    /// response otherwise. Without one, such requests get 404 off the WebSocket path and 426 on it.
    public var plainRequestHandler: ((HTTPRequestHead, inout EncodeBuffer) -> Void)?

    /// Where the connection is in its life.
    public private(set) var state = State.handshaking
    /// The subprotocol the handshake chose, if any. (The request itself is handed to
    /// ``WebSocketDelegate/webSocketDidOpen(_:request:upgrade:)`` and not kept: an idle socket
    /// holds no head.)
    public private(set) var subprotocol: String?
    /// Why the connection closed, as the reactor saw it (the peer left, a reset, the output limit),
    /// set just before ``WebSocketDelegate/webSocket(_:didCloseWith:)``.
    public private(set) var closeReason: CloseReason?

    private var parser: HTTPHeadParser?
    private var decoder: WebSocketFrameDecoder?
    private var timer: Reactor.Timer?
    /// The close code the closing handshake settled on, when it did.
    private var closeCode: WebSocketCloseCode?

    /// A handler for `connection`; set it as the connection's handler at once.
    public init(
        connection: Connection, configuration: WebSocketServerConfiguration, delegate: any WebSocketDelegate
    ) {
        self.connection = connection
        self.configuration = configuration
        self.delegate = delegate
        self.parser = HTTPHeadParser(limits: configuration.headLimits)
        self.armHandshakeTimer(on: connection)
    }

    // MARK: Sending

    /// Sends a text message (UTF-8 is the caller's promise). Ignored unless ``state`` is `.open`.
    public func send(text: UnsafeRawBufferPointer) {
        self.sendMessage(opcode: .text, payload: text)
    }

    /// Sends a text message. Ignored unless ``state`` is `.open`.
    public func send(text: String) {
        var text = text
        text.withUTF8 { self.sendMessage(opcode: .text, payload: UnsafeRawBufferPointer($0)) }
    }

    /// Sends a binary message. Ignored unless ``state`` is `.open`.
    public func send(binary: UnsafeRawBufferPointer) {
        self.sendMessage(opcode: .binary, payload: binary)
    }

    /// Sends bytes that are already one or more whole server frames (rendered once for many
    /// sockets). Ignored unless ``state`` is `.open`.
    public func send(frame: UnsafeRawBufferPointer) {
        guard self.state == .open, let connection = self.connection else { return }
        connection.write(frame)
    }

    /// Sends a ping (at most 125 bytes of payload); the answer arrives as
    /// ``WebSocketDelegate/webSocket(_:didReceivePong:)``.
    public func ping(_ payload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        precondition(payload.count <= 125, "a ping carries at most 125 bytes")
        self.sendMessage(opcode: .ping, payload: payload)
    }

    /// Starts the closing handshake: sends a close frame with `code` and `reason` and closes the
    /// connection when the peer answers, or after ``WebSocketServerConfiguration/closeTimeoutMilliseconds``.
    ///
    /// Before the handshake completes, closes the connection at once. Idempotent.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        guard let connection = self.connection else { return }
        switch self.state {
        case .handshaking:
            self.state = .closing
            connection.close()
        case .open:
            self.writeClose(code: code, reason: reason, on: connection)
            self.state = .closing
            self.timer?.cancel()
            self.timer = connection.reactor.schedule(afterMilliseconds: self.configuration.closeTimeoutMilliseconds) {
                [weak self] in self?.connection?.close()
            }
        case .closing, .closed:
            break
        }
    }

    private func sendMessage(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) {
        guard self.state == .open, let connection = self.connection else { return }
        Self.writeFrame(opcode: opcode, payload: payload, on: connection)
    }

    /// Queues a header and then the payload: two copies into the output queue, no buffer of our own.
    private static func writeFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, on connection: Connection)
    {
        withUnsafeTemporaryAllocation(byteCount: WebSocketFrameEncoder.maxHeaderLength, alignment: 1) { header in
            let length = WebSocketFrameEncoder.renderHeader(
                opcode: opcode, fin: true, payloadLength: payload.count, maskingKey: nil, into: header)
            connection.write(UnsafeRawBufferPointer(rebasing: header[0..<length]))
        }
        connection.write(payload)
    }

    private func writeClose(code: WebSocketCloseCode?, reason: String = "", on connection: Connection) {
        var buffer = EncodeBuffer(capacity: 128)
        WebSocketFrameEncoder.writeClose(code: code, reason: reason, into: &buffer)
        connection.write(buffer.bytes)
    }

    // MARK: ConnectionHandler

    public func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        switch self.state {
        case .handshaking: self.readHandshake(bytes, on: connection)
        case .open, .closing: self.readFrames(bytes, on: connection)
        case .closed: break
        }
    }

    /// The peer finished sending: send what is queued (a close reply, a response) and close.
    public func connectionDidReachEOF(_ connection: Connection) {
        connection.closeAfterFlush()
    }

    public func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        self.timer?.cancel()
        self.timer = nil
        self.state = .closed
        self.closeReason = reason
        self.parser = nil
        self.decoder = nil
        let delegate = self.delegate
        self.delegate = nil
        self.plainRequestHandler = nil
        delegate?.webSocket(self, didCloseWith: self.closeCode ?? .abnormalClosure)
    }

    // MARK: Handshake

    private func armHandshakeTimer(on connection: Connection) {
        self.timer?.cancel()
        self.timer = connection.reactor.schedule(afterMilliseconds: self.configuration.handshakeTimeoutMilliseconds) {
            [weak self] in
            guard let self, self.state == .handshaking, let connection = self.connection else { return }
            self.refuse(.requestTimeout, on: connection)
        }
    }

    private func readHandshake(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        var rest = bytes
        while self.state == .handshaking, let result = self.parser?.parse(rest) {
            switch result {
            case .needMore:
                return
            case .failure(let error):
                self.refuse(error.status, on: connection)
                return
            case .head(let head, let consumed):
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                self.route(head, on: connection)
                if self.state == .open {
                    if !rest.isEmpty { self.readFrames(rest, on: connection) }
                    return
                }
                if rest.isEmpty { return }
            }
        }
    }

    /// Sends one request where it belongs: the upgrade, the plain-request handler, or a refusal.
    private func route(_ head: HTTPRequestHead, on connection: Connection) {
        if head.bodyFraming != .none {
            // Bodies are not read, so they cannot be skipped to reach the next request.
            return self.refuse(.contentTooLarge, on: connection)
        }
        let pathMatches = self.configuration.path.map { $0 == head.path } ?? true
        guard let plainRequestHandler = self.plainRequestHandler,
            !(pathMatches && WebSocketHandshake.isUpgradeRequest(head))
        else {
            // An upgrade on the WebSocket path is a handshake. Without a plain-request handler, so
            // is anything else on that path (refused with 405 or 426), and other paths are not found.
            return pathMatches ? self.acceptUpgrade(head, on: connection) : self.refuse(.notFound, on: connection)
        }
        var buffer = EncodeBuffer(capacity: 512)
        plainRequestHandler(head, &buffer)
        connection.write(buffer.bytes)
        if head.keepAlive {
            self.armHandshakeTimer(on: connection)  // the next request has as long as the first
        } else {
            self.state = .closing
            connection.closeAfterFlush()
        }
    }

    private func acceptUpgrade(_ head: HTTPRequestHead, on connection: Connection) {
        switch WebSocketHandshake.accept(
            head, subprotocols: self.configuration.subprotocols, originPolicy: self.configuration.originPolicy)
        {
        case .success(let upgrade):
            var buffer = EncodeBuffer(capacity: 256)
            upgrade.writeResponse(into: &buffer)
            connection.write(buffer.bytes)
            self.timer?.cancel()
            self.timer = nil
            self.parser = nil
            self.subprotocol = upgrade.subprotocol
            self.decoder = WebSocketFrameDecoder(role: .server, maxMessageSize: self.configuration.maxMessageSize)
            self.state = .open
            self.delegate?.webSocketDidOpen(self, request: head, upgrade: upgrade)
        case .failure(let error):
            var buffer = EncodeBuffer(capacity: 256)
            error.writeResponse(into: &buffer)
            connection.write(buffer.bytes)
            self.state = .closing
            connection.closeAfterFlush()
            self.delegate?.webSocket(self, didRefuse: error.status)
        }
    }

    /// Answers with `status` and closes once it is sent.
    private func refuse(_ status: HTTPStatus, on connection: Connection) {
        var buffer = EncodeBuffer(capacity: 256)
        HTTPResponseWriter.writeError(status, into: &buffer)
        connection.write(buffer.bytes)
        self.state = .closing
        self.parser = nil
        connection.closeAfterFlush()
        self.delegate?.webSocket(self, didRefuse: status)
    }

    // MARK: Frames

    private func readFrames(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        guard self.decoder != nil else { return }
        self.decoder!.process(bytes) { event in
            switch event {
            case .text(let text):
                if self.state == .open { self.delegate?.webSocket(self, didReceiveText: text) }
            case .binary(let data):
                if self.state == .open { self.delegate?.webSocket(self, didReceiveBinary: data) }
            case .ping(let payload):
                if self.state == .open { Self.writeFrame(opcode: .pong, payload: payload, on: connection) }
            case .pong(let payload):
                if self.state == .open { self.delegate?.webSocket(self, didReceivePong: payload) }
            case .close(let code, _):
                // Echo the code (RFC 6455 section 5.5.1), unless this side already sent its close.
                if self.state == .open { self.writeClose(code: code, on: connection) }
                self.closeCode = code ?? .noStatusReceived
                self.state = .closing
                connection.closeAfterFlush()
            case .failure(let error):
                if self.state == .open { self.writeClose(code: error.closeCode, on: connection) }
                self.closeCode = error.closeCode
                self.state = .closing
                connection.closeAfterFlush()
            }
        }
    }
}
