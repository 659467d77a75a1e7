// WebFront: the HTTP listener (--http-port): the chat page at /, IRC over WebSocket at /ws,
// Prometheus metrics at /metrics and a health check at /healthz.
import ChatCore
import Codec
import IRCFrontEnd
import Reactor
import ReactorWebSocket
import WebSocket

/// Each HTTP connection's delegate until it upgrades: one for the whole server. On the upgrade it
/// hands the socket to a new ``WebIRCSession``; until then it only counts refused requests.
final class WebGate: WebSocketDelegate {
    unowned let server: Server

    init(server: Server) {
        self.server = server
    }

    func webSocketDidOpen(_ socket: WebSocketConnectionHandler, request: HTTPRequestHead, upgrade: WebSocketUpgrade) {
        server.webSocketOpened(socket, upgrade: upgrade)
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer) {}

    func webSocket(_ socket: WebSocketConnectionHandler, didRefuse status: HTTPStatus) {
        server.refusals.badHandshake &+= 1
    }
}

/// The IRCv3 WebSocket subprotocols, in the server's list; the client's order of preference picks.
enum WebSubprotocol {
    static let text = "text.ircv3.net"
    static let binary = "binary.ircv3.net"
    static let all = [binary, text]
}

extension Server {
    /// The settings every WebSocket connection shares.
    static func webConfiguration(_ options: Options) -> WebSocketServerConfiguration {
        let origins: WebSocketOriginPolicy
        if options.allowedOrigins.contains("*") {
            origins = .any
        } else {
            origins = WebSocketOriginPolicy(allowedOrigins: options.allowedOrigins, allowsSameHost: true)
        }
        // A message is one IRC line. Up to 64 KiB one over the IRC limit gets 417 and the client
        // stays, as on TCP; past that the frame decoder refuses it with 1009 without buffering it.
        return WebSocketServerConfiguration(
            path: "/ws", subprotocols: WebSubprotocol.all, originPolicy: origins, maxMessageSize: 64 * 1024,
            handshakeTimeoutMilliseconds: 10_000, closeTimeoutMilliseconds: 2_000)
    }

    /// A new connection on the HTTP listener: served by a WebSocket handler that answers plain
    /// requests itself (the page, metrics, health) until one upgrades.
    ///
    /// `--max-connections` counts sessions, so it is applied at the upgrade, not here: a full
    /// server still answers `/metrics` and `/healthz`, and the page still loads and says why it
    /// cannot join. Connections that never upgrade are bounded by the head timeout.
    func acceptedHTTP(_ connection: Connection) {
        let handler = WebSocketConnectionHandler(connection: connection, configuration: webConfiguration, delegate: webGate)
        handler.plainRequestHandler = httpRoutes
        connection.handler = handler
    }

    /// The handshake succeeded: the socket becomes an IRC session, or is closed with 1013 when the
    /// server is full.
    func webSocketOpened(_ socket: WebSocketConnectionHandler, upgrade: WebSocketUpgrade) {
        guard let connection = socket.connection else { return }
        let opcode: WebSocketOpcode = upgrade.subprotocol == WebSubprotocol.binary ? .binary : .text
        if let refusal = admissionRefusal() {
            let line = refusal == .serverFull ? ircServerFullLine : ircTryAgainLine
            webLine(line, opcode).withUnsafeBytes { socket.send(frame: $0) }
            socket.close(code: .tryAgainLater, reason: refusal.reason)
            return
        }
        let id = delivery.table.allocate()
        let session = WebIRCSession(
            server: self, socket: socket, connection: connection, id: id, host: Self.host(of: connection),
            opcode: opcode)
        applyOutputLimits(to: connection, notice: webLine(ircSlowConsumerLine, opcode))
        delivery.table.attach(id, session: session, connection: connection)
        socket.delegate = session
        started(session)
        state.connect(id, encoding: FrontEnd.web(FrontEnd.irc, opcode))
    }

    /// An IRC line (with its CR LF) as one WebSocket message.
    private func webLine(_ line: [UInt8], _ opcode: WebSocketOpcode) -> [UInt8] {
        var buffer = EncodeBuffer(capacity: line.count + 16)
        line.withUnsafeBytes { WebSocketFrameEncoder.writeLineFrames(of: $0, opcode: opcode, into: &buffer) }
        return buffer.array
    }

    /// What the HTTP listener serves besides the upgrade.
    func route(_ head: HTTPRequestHead, into buffer: inout EncodeBuffer) {
        guard head.method == .get || head.method == .head else {
            return HTTPResponseWriter.writeError(.methodNotAllowed, headers: ["Allow": "GET, HEAD"], into: &buffer)
        }
        let includeBody = head.method != .head
        switch head.path {
        case "/":
            pageBytes.withUnsafeBytes { page in
                HTTPResponseWriter.writeResponse(
                    status: .ok,
                    headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache",
                        "X-Content-Type-Options": "nosniff"],
                    body: page, keepAlive: head.keepAlive, requestVersion: head.version, includeBody: includeBody,
                    into: &buffer)
            }
        case "/ws":
            // Not an upgrade (those never reach here): say how to reach it.
            HTTPResponseWriter.writeError(
                .upgradeRequired, headers: ["Upgrade": "websocket", "Sec-WebSocket-Version": "13"], into: &buffer)
        case "/healthz":
            let healthy = !isShuttingDown
            HTTPResponseWriter.writeResponse(
                status: healthy ? .ok : .serviceUnavailable,
                headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"],
                body: healthy ? "ok\n" : "shutting down\n", keepAlive: head.keepAlive && healthy,
                requestVersion: head.version, includeBody: includeBody, into: &buffer)
        case "/metrics":
            metricsScratch.removeAll()
            writeMetrics(into: &metricsScratch)
            let body = metricsScratch.bytes
            HTTPResponseWriter.writeResponse(
                status: .ok,
                headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store"],
                body: body, keepAlive: head.keepAlive, requestVersion: head.version, includeBody: includeBody,
                into: &buffer)
        default:
            HTTPResponseWriter.writeError(.notFound, into: &buffer)
        }
    }
}
