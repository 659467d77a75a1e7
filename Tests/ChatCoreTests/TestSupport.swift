// TestSupport: a recording transport, a fake clock and a harness that drive ChatState without sockets.

@testable import ChatCore

/// A transport that records every line it is given and every close.
final class RecordingTransport: ChatTransport {
    struct Sent: Equatable {
        let client: ClientID
        let bytes: [UInt8]
        /// The line without its newline, decoded for readable expectations.
        var line: String { String(decoding: self.bytes.dropLast(), as: UTF8.self) }
    }

    private(set) var sent: [Sent] = []
    private(set) var closed: [ClientID] = []
    /// Lines without a trailing newline; the contract says there are none, tests check it is empty.
    private(set) var malformed: [Sent] = []
    /// Called after each recorded send, to play a glue that reacts from inside `send` (slow consumers).
    var afterSend: ((ClientID) -> Void)?
    /// Called after each recorded close, to play a glue that disconnects from inside `close`.
    var afterClose: ((ClientID) -> Void)?

    func send(_ line: UnsafeRawBufferPointer, to client: ClientID) {
        let sent = Sent(client: client, bytes: Array(line))
        if line.last != ASCII.newline || line.dropLast().contains(ASCII.newline) {
            self.malformed.append(sent)
        }
        self.sent.append(sent)
        self.afterSend?(client)
    }

    func close(_ client: ClientID) {
        self.closed.append(client)
        self.afterClose?(client)
    }

    /// The lines `client` received, without newlines, oldest first.
    func lines(for client: ClientID) -> [String] {
        self.sent.filter { $0.client == client }.map(\.line)
    }

    /// Forgets everything recorded so far.
    func reset() {
        self.sent.removeAll()
        self.closed.removeAll()
    }
}

/// A transport that only counts, for tests that send hundreds of thousands of lines.
final class CountingTransport: ChatTransport {
    private(set) var sends = 0
    private(set) var perClient: [Int] = []

    func send(_ line: UnsafeRawBufferPointer, to client: ClientID) {
        self.sends += 1
        let index = Int(client.raw)
        if index >= self.perClient.count {
            self.perClient.append(contentsOf: repeatElement(0, count: index + 1 - self.perClient.count))
        }
        self.perClient[index] += 1
    }

    func close(_ client: ClientID) {}
}

/// A monotonic clock the test moves by hand.
final class FakeClock {
    var milliseconds: Int64 = 1_000_000

    func advance(seconds: Int64) {
        self.milliseconds += seconds * 1000
    }
}

/// A ChatState wired to a recording transport and a fake clock, with helpers that speak in strings.
final class ChatHarness {
    let transport = RecordingTransport()
    let clock = FakeClock()
    let state: ChatState

    init(presenceLimit: Int = 1000, lobby: String = "lobby") {
        let clock = self.clock
        self.state = ChatState(
            config: ChatConfig(presenceLimit: presenceLimit, lobby: lobby), clock: { clock.milliseconds })
    }

    /// Connects client `raw` and returns its ID.
    @discardableResult
    func connect(_ raw: Int32) -> ClientID {
        let client = ClientID(raw)
        self.state.connect(client, transport: self.transport)
        return client
    }

    /// Connects clients `raws` in order, then forgets everything they were sent.
    func connectQuietly(_ raws: [Int32]) -> [ClientID] {
        let clients = raws.map { self.connect($0) }
        self.transport.reset()
        return clients
    }

    /// Sends `line` (no newline) from `client`.
    func type(_ line: String, from client: ClientID) {
        self.type(bytes: Array(line.utf8), from: client)
    }

    /// Sends raw bytes (no newline) from `client`.
    func type(bytes: [UInt8], from client: ClientID) {
        bytes.withUnsafeBytes { self.state.receive(line: $0, from: client, transport: self.transport) }
    }

    func disconnect(_ client: ClientID, reason: String? = nil) {
        self.state.disconnect(client, reason: reason, transport: self.transport)
    }

    /// The lines `client` received since the last reset, without newlines.
    func lines(_ client: ClientID) -> [String] {
        self.transport.lines(for: client)
    }

    /// Everything sent since the last reset, as "raw: line" strings, in order.
    var log: [String] {
        self.transport.sent.map { "\($0.client.raw): \($0.line)" }
    }

    /// Forgets what was sent so far.
    func reset() {
        self.transport.reset()
    }
}
