// TestSupport: a WebSocketConnectionHandler server on a reactor thread and a delegate that records
// and echoes (the blocking client is TestHarness's WebSocketTestClient).

import Codec
import Glibc
import Reactor
import ReactorWebSocket
import Synchronization
import TestHarness
import Testing
import WebSocket

/// A value shared between the test thread and the loop thread.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { body(&$0) }
    }

    var value: Value { self.mutex.withLock { $0 } }

    func eventually(timeout: Duration = .seconds(5), _ condition: (Value) -> Bool) -> Bool {
        waitUntil(timeout: timeout) { condition(self.value) }
    }
}

/// Records what the handler tells it and echoes messages; `close <code>` makes the server close.
final class Recorder: WebSocketDelegate {
    let log: Shared<[String]>

    init(log: Shared<[String]>) { self.log = log }

    func webSocketDidOpen(_ socket: WebSocketConnectionHandler, request: HTTPRequestHead, upgrade: WebSocketUpgrade) {
        let subprotocol = socket.subprotocol ?? "none"
        #expect(upgrade.subprotocol == socket.subprotocol)
        self.log.withLock { $0.append("open \(request.path) \(subprotocol)") }
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer) {
        let message = String(decoding: text, as: UTF8.self)
        self.log.withLock { $0.append("text \(message)") }
        if message.hasPrefix("close "), let code = UInt16(message.dropFirst(6)) {
            socket.close(code: WebSocketCloseCode(code), reason: "asked")
        } else {
            socket.send(text: text)
        }
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveBinary data: UnsafeRawBufferPointer) {
        self.log.withLock { $0.append("binary \(data.count)") }
        socket.send(binary: data)
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceivePong payload: UnsafeRawBufferPointer) {
        self.log.withLock { $0.append("pong") }
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didCloseWith code: WebSocketCloseCode) {
        self.log.withLock { $0.append("closed \(code)") }
    }
}

/// A server on its own reactor thread; stop it with `thread.stopAndJoin()`.
struct TestServer {
    let thread: ReactorThread
    let port: Int
    let log: Shared<[String]>

    init(
        _ configuration: WebSocketServerConfiguration = WebSocketServerConfiguration(),
        plainResponses: Bool = false
    ) throws {
        let log = Shared<[String]>([])
        self.log = log
        let (thread, port) = try ReactorThread.start { reactor in
            try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: 0)) { connection in
                let handler = WebSocketConnectionHandler(
                    connection: connection, configuration: configuration, delegate: Recorder(log: log))
                if plainResponses {
                    handler.plainRequestHandler = { head, buffer in
                        HTTPResponseWriter.writeResponse(
                            status: .ok, body: "plain \(head.path)", keepAlive: head.keepAlive, into: &buffer)
                    }
                }
                connection.handler = handler
            }.address.port!
        }
        self.thread = thread
        self.port = port
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
