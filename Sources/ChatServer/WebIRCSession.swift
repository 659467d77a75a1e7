// WebIRCSession: IRC over WebSocket (the IRCv3 WebSocket transport): one IRC line per message,
// for the browser page and web IRC clients.
import ChatCore
import Codec
import IRCFrontEnd
import IRCProtocol
import Reactor
import ReactorWebSocket
import WebSocket

/// An IRC session whose lines arrive and leave as WebSocket messages, one line each, without CR LF.
///
/// The connection's handler is the ``WebSocketConnectionHandler`` (handshake, frames, pings, the
/// closing handshake); this session is its delegate from the upgrade on. Each message goes through
/// the same framing, rate limit and IRC front end as a TCP line, and everything written to the
/// client is framed in the subprotocol's opcode: text for `text.ircv3.net`, binary for
/// `binary.ircv3.net`. Room lines come already framed from their own encoding partition.
final class WebIRCSession: IRCSession, WebSocketDelegate {
    /// The WebSocket end of the connection; the connection owns it, and it holds this session as
    /// its delegate until it closes.
    unowned let socket: WebSocketConnectionHandler
    let opcode: WebSocketOpcode

    init(server: Server, socket: WebSocketConnectionHandler, connection: Connection, id: ClientID, host: String,
         opcode: WebSocketOpcode) {
        self.socket = socket
        self.opcode = opcode
        super.init(server: server, connection: connection, id: id, host: host)
    }

    override func write(_ body: (inout EncodeBuffer) -> Void) {
        self.server.delivery.reply(to: self, framing: self.opcode, body)
    }

    override func transportEncoding(_ encoding: Encoding) -> Encoding {
        FrontEnd.web(encoding, self.opcode)
    }

    /// The closing handshake rather than a bare close: 1001 (going away) when the server shuts
    /// down, 1000 otherwise, each after what is queued (the IRC `ERROR` line).
    override func hangUp() {
        self.socket.close(code: self.ending == .shutdown ? .goingAway : .normalClosure)
    }

    // MARK: WebSocketDelegate

    private static let lineEnd: [UInt8] = [ASCII.newline]

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer) {
        self.receiveLine(text)
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveBinary data: UnsafeRawBufferPointer) {
        self.receiveLine(data)
    }

    /// One message is one line: the framer sees its bytes and then a line end, so the line limit,
    /// the rate limit and the output hold apply as they do on TCP. A trailing CR LF some clients
    /// send anyway is dropped; a CR or LF inside the message would smuggle a second command past
    /// the spec's "one message, one line", so such a message is refused whole with a FAIL.
    private func receiveLine(_ payload: UnsafeRawBufferPointer) {
        var end = payload.count
        if end > 0 && payload[end - 1] == ASCII.newline { end -= 1 }
        if end > 0 && payload[end - 1] == ASCII.carriageReturn { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: payload[..<end])
        if line.contains(where: { $0 == ASCII.newline || $0 == ASCII.carriageReturn }) {
            self.lastActivity = self.connection.reactor.now
            self.write { buffer in
                IRCEncoder.encode(
                    source: self.server.ircConfig.serverName, command: "FAIL",
                    params: ["*", "INVALID_MESSAGE", "A WebSocket message must be one IRC line, without CR or LF"],
                    alwaysTrailing: true, into: &buffer)
            }
            return
        }
        self.receive(line)
        Self.lineEnd.withUnsafeBytes { self.receive($0) }
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didCloseWith code: WebSocketCloseCode) {
        self.ended(socket.closeReason ?? .peerClosed)
    }
}
