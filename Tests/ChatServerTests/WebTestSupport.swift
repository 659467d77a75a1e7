// WebTestSupport: IRC over WebSocket for the IRC test client, and plain HTTP requests, against a
// switchboard started with --http-port.
import Glibc
import TestHarness
import Testing
import WebSocket

/// IRC over WebSocket (IRCv3): each line one masked message of the negotiated subprotocol's kind.
final class WebSocketTransport: IRCTransport {
    let client: WebSocketTestClient
    /// The server's 101 response head.
    let responseHead: String
    /// The frame kind lines travel in: binary for `binary.ircv3.net`, text otherwise.
    let opcode: WebSocketOpcode
    /// The close frame the server sent (`close CODE reason`), once one arrived.
    private(set) var closeEvent: String?

    init(port: Int, subprotocols: [String], extraFields: [String] = [], receiveBuffer: Int? = nil) throws {
        self.client = try WebSocketTestClient(port: port, receiveBuffer: receiveBuffer)
        var fields = WebSocketTestClient.upgradeFields + extraFields
        if !subprotocols.isEmpty { fields.append("Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))") }
        self.responseHead = try client.request("/ws", fields: fields)
        guard responseHead.hasPrefix("HTTP/1.1 101") else { throw HarnessError("no upgrade: \(responseHead)") }
        self.opcode = responseHead.lowercased().contains("sec-websocket-protocol: binary.ircv3.net") ? .binary : .text
    }

    func send(lines: [[UInt8]]) throws {
        for line in lines { try client.send(opcode, line) }
    }

    func sendRaw(_ bytes: [UInt8]) throws { try client.send(opcode, bytes) }

    func readLine(until deadline: Deadline) -> TestClient.LineRead {
        while true {
            let event = client.next(timeout: deadline.remaining)
            if event.hasPrefix("text ") { return .line(Array(event.utf8.dropFirst(5)) + [13]) }
            if event.hasPrefix("binary ") { return .line(client.binaryPayloads.removeFirst() + [13]) }
            if event.hasPrefix("close ") {
                closeEvent = event
                // Answer the closing handshake, as a browser does.
                try? client.send(.close, [])
                return .stopped(.eof)
            }
            switch event {
            case "timeout": return .stopped(.timeout)
            case "eof": return .stopped(.eof)
            case _ where event.hasPrefix("ping"), _ where event.hasPrefix("pong"): continue
            default: return .stopped(.error(0))
            }
        }
    }

    var isOpen: Bool { client.socket.isOpen }
    func close() { client.socket.close() }
    func resetAbruptly() { client.socket.resetAbruptly() }
}

/// One HTTP/1.1 request on a new connection: the response's status line, head and body.
struct HTTPExchange {
    let head: String
    let body: String

    var status: Int { Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0 }

    static func get(port: Int, _ target: String, method: String = "GET", fields: [String] = []) throws -> HTTPExchange {
        let socket = try TestClient(connectingTo: .ipv4(port))
        defer { socket.close() }
        let request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + fields.map { $0 + "\r\n" }.joined() + "\r\n"
        try socket.send(request)
        let (bytes, _) = socket.readToEnd(timeout: .seconds(10))
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HarnessError("no response head: \(text)") }
        return HTTPExchange(head: String(text[..<split.upperBound]), body: String(text[split.upperBound...]))
    }
}
