// TestSupport: a WebSocketConnectionHandler server on a reactor thread, a delegate that records and
// echoes, and a blocking WebSocket client over TestClient that masks what it sends.

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

/// A blocking WebSocket client: raw HTTP for the handshake, then masked frames out and a client
/// decoder for what comes back.
final class WebSocketTestClient {
    let socket: TestClient
    private var decoder = WebSocketFrameDecoder(role: .client, maxMessageSize: 1 << 24)
    private var events: [String] = []
    /// Bytes received after a response head and not yet read as a body or decoded as frames.
    private var pending: [UInt8] = []
    private var generator = SystemRandomNumberGenerator()

    init(port: Int) throws {
        self.socket = try TestClient(connectingTo: .ipv4(port))
    }

    static let upgradeFields = [
        "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]

    /// Sends a request head and returns the response head (through the blank line); bytes after it
    /// wait for ``body(_:)`` or ``next(timeout:)``.
    func request(_ target: String = "/", fields: [String] = upgradeFields, extra: [UInt8] = []) throws -> String {
        try self.socket.send(bytes("GET \(target) HTTP/1.1\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n") + extra)
        return try self.readResponseHead()
    }

    func readResponseHead() throws -> String {
        var received = self.pending
        self.pending = []
        let deadline = Deadline(.seconds(5))
        while true {
            if let end = Self.find([13, 10, 13, 10], in: received) {
                self.pending = Array(received[(end + 4)...])
                return String(decoding: received[..<(end + 4)], as: UTF8.self)
            }
            guard !deadline.hasPassed else { throw HarnessError("no response head: \(received)") }
            switch self.socket.readSome(timeout: deadline.remaining) {
            case .bytes(let more): received += more
            case let other:
                throw HarnessError("response head: \(other) after \(String(decoding: received, as: UTF8.self))")
            }
        }
    }

    /// The next `count` bytes: a response body.
    func body(_ count: Int) throws -> [UInt8] {
        if self.pending.count < count { self.pending += try self.socket.readExactly(count - self.pending.count) }
        defer { self.pending.removeFirst(count) }
        return Array(self.pending[..<count])
    }

    /// Sends a masked frame with a random key.
    func send(_ opcode: WebSocketOpcode, fin: Bool = true, _ payload: [UInt8]) throws {
        let key = WebSocketMaskingKey.random(using: &self.generator)
        let wire = payload.withUnsafeBytes { raw in
            var buffer = EncodeBuffer()
            WebSocketFrameEncoder.writeFrame(opcode: opcode, fin: fin, payload: raw, maskingKey: key, into: &buffer)
            return buffer.array
        }
        try self.socket.send(wire)
    }

    func send(_ opcode: WebSocketOpcode, fin: Bool = true, _ text: String) throws {
        try self.send(opcode, fin: fin, bytes(text))
    }

    /// The next event from the server, as text: `text …`, `binary N`, `ping`, `pong …`,
    /// `close CODE reason`, `failure …`, or `eof`/`timeout`.
    func next(timeout: Duration = .seconds(5)) -> String {
        let deadline = Deadline(timeout)
        if !self.pending.isEmpty {
            self.feed(self.pending)
            self.pending = []
        }
        while self.events.isEmpty {
            switch self.socket.readSome(max: 1 << 20, timeout: deadline.remaining) {
            case .bytes(let more): self.feed(more)
            case .eof: return "eof"
            case .timeout: return "timeout"
            case let other: return "\(other)"
            }
        }
        return self.events.removeFirst()
    }

    private func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            self.decoder.process(raw) { event in
                switch event {
                case .text(let text): self.events.append("text \(String(decoding: text, as: UTF8.self))")
                case .binary(let data): self.events.append("binary \(data.count)")
                case .ping(let payload): self.events.append("ping \(String(decoding: payload, as: UTF8.self))")
                case .pong(let payload): self.events.append("pong \(String(decoding: payload, as: UTF8.self))")
                case .close(let code, let reason):
                    let codeText = code.map(String.init(describing:)) ?? "none"
                    self.events.append("close \(codeText) \(String(decoding: reason, as: UTF8.self))")
                case .failure(let error): self.events.append("failure \(error)")
                }
            }
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
