// WebSocketTestClient: a blocking WebSocket client for tests: raw HTTP for the handshake, then
// masked frames out and a client-role decoder for what comes back.

import Codec
import WebSocket

/// A blocking WebSocket client: raw HTTP for the handshake, then masked frames out and a client
/// decoder for what comes back.
public final class WebSocketTestClient {
    public let socket: TestClient
    private var decoder = WebSocketFrameDecoder(role: .client, maxMessageSize: 1 << 24)
    private var events: [String] = []
    /// The payloads of the binary messages whose `binary N` events ``next(timeout:)`` returned or
    /// will return, oldest first; a reader that wants them takes them from the front.
    public var binaryPayloads: [[UInt8]] = []
    /// Bytes received after a response head and not yet read as a body or decoded as frames.
    private var pending: [UInt8] = []
    private var generator = SystemRandomNumberGenerator()

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks SO_RCVBUF (a client that reads slowly).
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        self.socket = try TestClient(connectingTo: .ipv4(port), receiveBuffer: receiveBuffer)
    }

    public static let upgradeFields = [
        "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]

    /// Sends a request head and returns the response head (through the blank line); bytes after it
    /// wait for ``body(_:)`` or ``next(timeout:)``.
    public func request(_ target: String = "/", fields: [String] = upgradeFields, extra: [UInt8] = []) throws -> String {
        let head = "GET \(target) HTTP/1.1\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
        try self.socket.send(Array(head.utf8) + extra)
        return try self.readResponseHead()
    }

    public func readResponseHead() throws -> String {
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
    public func body(_ count: Int) throws -> [UInt8] {
        if self.pending.count < count { self.pending += try self.socket.readExactly(count - self.pending.count) }
        defer { self.pending.removeFirst(count) }
        return Array(self.pending[..<count])
    }

    /// Sends a masked frame with a random key.
    public func send(_ opcode: WebSocketOpcode, fin: Bool = true, _ payload: [UInt8]) throws {
        let key = WebSocketMaskingKey.random(using: &self.generator)
        let wire = payload.withUnsafeBytes { raw in
            var buffer = EncodeBuffer()
            WebSocketFrameEncoder.writeFrame(opcode: opcode, fin: fin, payload: raw, maskingKey: key, into: &buffer)
            return buffer.array
        }
        try self.socket.send(wire)
    }

    public func send(_ opcode: WebSocketOpcode, fin: Bool = true, _ text: String) throws {
        try self.send(opcode, fin: fin, Array(text.utf8))
    }

    /// The next event from the server, as text: `text …`, `binary N`, `ping`, `pong …`,
    /// `close CODE reason`, `failure …`, or `eof`/`timeout`.
    public func next(timeout: Duration = .seconds(5)) -> String {
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
                case .binary(let data):
                    self.events.append("binary \(data.count)")
                    self.binaryPayloads.append(Array(data))
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

    public static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

