// TestSupport: a sink that renders with the line encoder, a fake clock, and a harness that plays the
// line front end (parser → ChatState → encoder) without sockets.

import ChatCore
import Codec
import LineProtocol

/// A sink that renders every event with ``LineEncoder`` and records one entry per recipient per line.
final class RecordingSink: ChatSink {
    struct Sent: Equatable {
        let client: ClientID
        let bytes: [UInt8]
        /// The line without its newline, decoded for readable expectations.
        var line: String { String(decoding: self.bytes.dropLast(), as: UTF8.self) }
    }

    private(set) var sent: [Sent] = []
    private(set) var closed: [ClientID] = []
    /// Rendered output that does not end in a newline; the encoder promises there is none.
    private(set) var malformed: [[UInt8]] = []
    /// Called after each recorded line, to play a glue that reacts from inside a delivery (slow consumers).
    var afterSend: ((ClientID) -> Void)?
    /// Called after each recorded close, to play a glue that disconnects from inside `close`.
    var afterClose: ((ClientID) -> Void)?
    private var scratch = EncodeBuffer(capacity: 16)

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        self.scratch.removeAll()
        LineEncoder.encode(event, into: &self.scratch)
        let rendered = self.scratch.array
        return self.record(rendered, to: recipients.clients, except: recipients.excluded)
    }

    /// Records `rendered` (one or more complete lines) for each of `clients` but `excluded`.
    @discardableResult
    func record(_ rendered: [UInt8], to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?) -> Int {
        if rendered.last != ASCII.newline { self.malformed.append(rendered) }
        let lines = rendered.split(separator: ASCII.newline, omittingEmptySubsequences: false).dropLast()
        var delivered = 0
        for client in clients where client != excluded {
            for line in lines {
                self.sent.append(Sent(client: client, bytes: Array(line) + [ASCII.newline]))
                self.afterSend?(client)
            }
            delivered += 1
        }
        return delivered
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

/// A sink that only counts deliveries per client, for tests that send hundreds of thousands; it
/// renders only what one watched client gets.
final class CountingSink: ChatSink {
    private(set) var deliveries = 0
    private(set) var perClient: [Int] = []
    var watched: ClientID?
    private(set) var watchedLines: [String] = []

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        var delivered = 0
        for client in recipients.clients where client != recipients.excluded {
            if client == self.watched {
                let text = String(decoding: LineEncoder.lines(for: event), as: UTF8.self)
                self.watchedLines += text.split(separator: "\n").map(String.init)
            }
            let index = Int(client.raw)
            if index >= self.perClient.count {
                self.perClient.append(contentsOf: repeatElement(0, count: index + 1 - self.perClient.count))
            }
            self.perClient[index] += 1
            delivered += 1
        }
        self.deliveries += delivered
        return delivered
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

/// Plays the line front end as the server's LineSession does, for one line from `client`, with
/// the same ``LineParser/handle(_:from:state:)``; a reply is rendered and recorded for the client.
func handleLine(_ line: UnsafeRawBufferPointer, from client: ClientID, state: ChatState, sink: RecordingSink?) {
    guard let reply = LineParser.handle(line, from: client, state: state) else { return }
    var buffer = EncodeBuffer(capacity: 16)
    LineEncoder.encode(reply, into: &buffer)
    _ = withUnsafePointer(to: client) { sink?.record(buffer.array, to: UnsafeBufferPointer(start: $0, count: 1), except: nil) }
}

/// A ChatState wired to a recording sink and a fake clock, with helpers that speak in line-protocol strings.
final class ChatHarness {
    let sink = RecordingSink()
    let clock = FakeClock()
    let state: ChatState

    init(presenceLimit: Int = 1000, lobby: String = "lobby") {
        let clock = self.clock
        self.state = ChatState(
            config: ChatConfig(presenceLimit: presenceLimit, lobby: lobby), clock: { clock.milliseconds },
            sink: self.sink)
    }

    /// Connects and admits client `raw`, as the server does for a line-protocol connection.
    @discardableResult
    func connect(_ raw: Int32) -> ClientID {
        let client = ClientID(raw)
        self.state.connect(client, encoding: Encoding(0))
        self.state.admit(client)
        return client
    }

    /// Connects clients `raws` in order, then forgets everything they were sent.
    func connectQuietly(_ raws: [Int32]) -> [ClientID] {
        let clients = raws.map { self.connect($0) }
        self.sink.reset()
        return clients
    }

    /// Sends `line` (no newline) from `client`.
    func type(_ line: String, from client: ClientID) {
        self.type(bytes: Array(line.utf8), from: client)
    }

    /// Sends raw bytes (no newline) from `client`.
    func type(bytes: [UInt8], from client: ClientID) {
        bytes.withUnsafeBytes { handleLine($0, from: client, state: self.state, sink: self.sink) }
    }

    /// The framer discarded an over-long line from `client`.
    func lineTooLong(from client: ClientID, limit: Int) {
        self.state.report(.lineTooLong(limit: limit), to: client)
    }

    func disconnect(_ client: ClientID, reason: String? = nil) {
        self.state.disconnect(client, reason: reason)
    }

    /// The lines `client` received since the last reset, without newlines.
    func lines(_ client: ClientID) -> [String] {
        self.sink.lines(for: client)
    }

    /// Everything sent since the last reset, as "raw: line" strings, in order.
    var log: [String] {
        self.sink.sent.map { "\($0.client.raw): \($0.line)" }
    }

    /// Forgets what was sent so far.
    func reset() {
        self.sink.reset()
    }
}
