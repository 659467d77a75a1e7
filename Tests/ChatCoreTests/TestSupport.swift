// TestSupport: a sink that records every delivery as a readable value, a fake clock, and a harness
// that drives ChatState with String payloads. No codec: tests assert events and audiences, not bytes.

@testable import ChatCore

/// One ``ChatSink/deliver(_:to:)`` call, copied out of the buffers that are valid only during it.
struct Delivery: Equatable, CustomStringConvertible {
    /// The event, described by ``describe(_:)``: "message lobby alice: hi".
    let event: String
    let audience: Audience
    /// ``Encoding/index`` of the call.
    let encoding: Int
    /// The clients the call named, in order, without ``excluded``.
    let recipients: [ClientID]
    let excluded: ClientID?
    /// Whether the event counted as presence (``ChatEvent/isPresence``).
    let isPresence: Bool

    var description: String {
        let recipients = self.recipients.map { "\($0.raw)" }.joined(separator: ",")
        return "\(describe(self.audience)) e\(self.encoding) -> \(recipients): \(self.event)"
    }
}

/// Records every delivery and close; per-client views answer "what did X receive, in order".
final class EventRecorder: ChatSink {
    private(set) var deliveries: [Delivery] = []
    private(set) var closes: [ClientID] = []
    /// Called after each recorded delivery, still inside the sink: plays a glue that reacts
    /// re-entrantly (a slow consumer disconnected in the middle of a broadcast).
    var onDeliver: ((Delivery) -> Void)?
    /// Called after each recorded close, still inside the sink.
    var onClose: ((ClientID) -> Void)?

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        let delivery = Delivery(
            event: describe(event), audience: recipients.audience, encoding: Int(recipients.encoding.index),
            recipients: recipients.clients.filter { $0 != recipients.excluded }, excluded: recipients.excluded,
            isPresence: event.isPresence)
        self.deliveries.append(delivery)
        self.onDeliver?(delivery)
        return delivery.recipients.count
    }

    func close(_ client: ClientID) {
        self.closes.append(client)
        self.onClose?(client)
    }

    /// The events `client` received, oldest first; an event listed for it twice appears twice.
    func received(by client: ClientID) -> [String] {
        self.deliveries.flatMap { delivery in delivery.recipients.filter { $0 == client }.map { _ in delivery.event } }
    }

    /// Everything delivered, one "raw: event" per recipient, in order.
    var log: [String] {
        self.deliveries.flatMap { delivery in delivery.recipients.map { "\($0.raw): \(delivery.event)" } }
    }

    /// Forgets everything recorded so far (the hooks stay).
    func reset() {
        self.deliveries.removeAll()
        self.closes.removeAll()
    }
}

/// A monotonic clock the test moves by hand.
final class FakeClock {
    var milliseconds: Int64 = 5_000_000

    func advance(seconds: Int64) {
        self.milliseconds += seconds * 1000
    }
}

/// Where a test sends a chat line, spelled as Strings.
enum To {
    case currentRoom
    case room(String)
    case nick(String)
}

/// A ChatState wired to an ``EventRecorder`` and a ``FakeClock``, with helpers that take Strings.
///
/// Payloads are `UnsafeRawBufferPointer`s valid only during the call, so every helper wraps
/// ``ChatState/perform(_:from:)`` in `withUnsafeBytes`.
final class Chat {
    let recorder = EventRecorder()
    let clock = FakeClock()
    let state: ChatState

    init(presenceLimit: Int = 1000, lobby: String = "lobby") {
        let clock = self.clock
        self.state = ChatState(
            config: ChatConfig(presenceLimit: presenceLimit, lobby: lobby), clock: { clock.milliseconds },
            sink: self.recorder)
    }

    /// Connects client `raw` with `encoding`, without admitting it.
    @discardableResult
    func connect(_ raw: Int32, encoding: UInt8 = 0) -> ClientID {
        let id = ClientID(raw)
        self.state.connect(id, encoding: Encoding(encoding))
        return id
    }

    /// Connects client `raw`, takes `nick` if given, and admits it (into the lobby by default).
    @discardableResult
    func admitted(_ raw: Int32, _ nick: String? = nil, encoding: UInt8 = 0, joiningLobby: Bool = true) -> ClientID {
        let id = self.connect(raw, encoding: encoding)
        if let nick { self.rename(id, to: nick) }
        self.state.admit(id, joiningLobby: joiningLobby)
        return id
    }

    /// Runs `body` with `string`'s bytes as wire text.
    func wire<R>(_ string: String, _ body: (WireText) -> R) -> R {
        Array(string.utf8).withUnsafeBytes(body)
    }

    func send(_ text: String, to target: To = .currentRoom, from id: ClientID, kind: MessageKind = .message) {
        self.wire(text) { text in
            switch target {
            case .currentRoom:
                self.state.perform(.send(kind, text: text, to: .currentRoom), from: id)
            case .room(let room):
                self.wire(room) { self.state.perform(.send(kind, text: text, to: .room($0)), from: id) }
            case .nick(let nick):
                self.wire(nick) { self.state.perform(.send(kind, text: text, to: .nick($0)), from: id) }
            }
        }
    }

    func rename(_ id: ClientID, to nick: String) {
        self.wire(nick) { self.state.perform(.rename(to: $0), from: id) }
    }

    func join(_ id: ClientID, _ room: String, leavingOthers: Bool = false) {
        self.wire(room) { self.state.perform(.join(room: $0, leavingOthers: leavingOthers), from: id) }
    }

    func part(_ id: ClientID, _ room: String, reason: String = "") {
        self.wire(room) { room in
            self.wire(reason) { self.state.perform(.part(room: room, reason: $0), from: id) }
        }
    }

    func quit(_ id: ClientID, reason: String = "") {
        self.wire(reason) { self.state.perform(.quit(reason: $0), from: id) }
    }

    func listMembers(_ id: ClientID, room: String? = nil) {
        if let room {
            self.wire(room) { self.state.perform(.listMembers(room: $0), from: id) }
        } else {
            self.state.perform(.listMembers(room: nil), from: id)
        }
    }

    func perform(_ command: ChatCommand, from id: ClientID) {
        self.state.perform(command, from: id)
    }

    func disconnect(_ id: ClientID, reason: String? = nil) {
        self.state.disconnect(id, reason: reason)
    }

    /// The events `id` received since the last reset.
    func received(_ id: ClientID) -> [String] {
        self.recorder.received(by: id)
    }

    var deliveries: [Delivery] { self.recorder.deliveries }

    /// Everything delivered since the last reset, one "raw: event" per recipient, in order.
    var log: [String] { self.recorder.log }

    func reset() {
        self.recorder.reset()
    }
}

// MARK: - Describing events

/// `text` as a String.
func describe(_ text: WireText) -> String {
    String(decoding: text, as: UTF8.self)
}

/// An audience in a few words: "client 1", "room lobby except 2", "peers of 3".
func describe(_ audience: Audience) -> String {
    switch audience {
    case .client(let id): return "client \(id.raw)"
    case .room(let name, let except):
        return except.map { "room \(name.string) except \($0.raw)" } ?? "room \(name.string)"
    case .peers(let id): return "peers of \(id.raw)"
    }
}

/// A failure as its case and arguments: "nickTaken(bob)", "badName(nick)", "notRegistered".
func describe(_ error: ChatError) -> String {
    switch error {
    case .badName(let role): return "badName(\(role))"
    case .nickTaken(let name): return "nickTaken(\(name.string))"
    case .noSuchNick(let nick): return "noSuchNick(\(describe(nick)))"
    case .missingText(let kind, let isPrivate): return "missingText(\(kind), private: \(isPrivate))"
    case .notInRoom(let room): return "notInRoom(\(describe(room)))"
    case .notRegistered: return "notRegistered"
    case .lineTooLong(let limit): return "lineTooLong(\(limit))"
    case .badLine: return "badLine"
    case .unknownCommand(let word): return "unknownCommand(\(describe(word)))"
    case .serverFull: return "serverFull"
    case .tryAgain: return "tryAgain"
    case .slowConsumer(let limit): return "slowConsumer(\(limit))"
    case .idleTimeout(let seconds): return "idleTimeout(\(seconds))"
    case .notOperator(let room): return "notOperator(\(room.string))"
    case .cannotJoin(let room, let refusal): return "cannotJoin(\(room.string), \(refusal))"
    case .cannotSend(let room): return "cannotSend(\(room.string))"
    case .userNotInRoom(let nick, let room): return "userNotInRoom(\(describe(nick)), \(room.string))"
    case .alreadyInRoom(let nick, let room): return "alreadyInRoom(\(nick.string), \(room.string))"
    }
}

/// An event as one readable line.
///
/// ```
/// welcome alice in lobby          welcome alice in no room
/// message lobby alice: hi         action lobby alice: waves       notice lobby alice: psst
/// private message alice -> bob: hi
/// joined lobby alice              parted lobby alice (bye)        quit bob (gone) via lobby
/// renamed a -> b                  error nickTaken(b)              bye (reason)
/// rooms den:1, lobby:2            members lobby: alice, bob       stats connections 2 ...
/// ```
func describe(_ event: ChatEvent) -> String {
    switch event {
    case .welcome(let nick, let room):
        return "welcome \(nick.string) in \(room.map { $0.string } ?? "no room")"
    case .message(let kind, let room, let from, let text):
        return "\(kind) \(room.string) \(from.string): \(describe(text))"
    case .privateMessage(let kind, let from, let to, let text):
        return "private \(kind) \(from.string) -> \(to.string): \(describe(text))"
    case .joined(let room, let nick):
        return "joined \(room.string) \(nick.string)"
    case .parted(let room, let nick, let reason):
        return "parted \(room.string) \(nick.string)" + (reason.isEmpty ? "" : " (\(describe(reason)))")
    case .quit(let nick, let reason, let room):
        return "quit \(nick.string) (\(describe(reason))) via \(room.string)"
    case .renamed(let old, let new):
        return "renamed \(old.string) -> \(new.string)"
    case .awayChanged(let nick, let message):
        return "away \(nick.string)" + (message.isEmpty ? "" : " (\(describe(message)))")
    case .topicChanged(let room, let by, let text):
        return "topic \(room.string) by \(by.string): \(describe(text))"
    case .modeChanged(let room, let by, let changes):
        let modes = changes.map { ($0.adding ? "+" : "-") + "\($0.mode)" + ($0.argument.map { " " + $0 } ?? "") }
        return "mode \(room.string) by \(by.string): " + modes.joined(separator: ", ")
    case .kicked(let room, let nick, let by, let reason):
        return "kicked \(room.string) \(nick.string) by \(by.string)" + (reason.isEmpty ? "" : " (\(describe(reason)))")
    case .invited(let room, let nick, let by):
        return "invited \(nick.string) to \(room.string) by \(by.string)"
    case .roomList(let rooms):
        return "rooms " + rooms.map { "\($0.name.string):\($0.members)" }.joined(separator: ", ")
    case .memberList(let room, let members):
        return "members \(room.string): " + members.map(\.string).joined(separator: ", ")
    case .statistics(let stats):
        let c = stats.counters
        return "stats connections \(c.connections) in \(c.messagesIn) out \(c.deliveriesOut) rooms \(stats.rooms)"
            + " uptime \(stats.uptimeSeconds)"
    case .error(let error):
        return "error " + describe(error)
    case .bye(let reason):
        return reason.isEmpty ? "bye" : "bye (\(describe(reason)))"
    }
}

// MARK: - Looking inside the state

extension ChatState {
    /// The members of the room named `name` by encoding index, each partition sorted by raw ID;
    /// `nil` if the room does not exist.
    func partitions(of name: String) -> [[Int32]]? {
        guard let key = Name(name)?.key, let room = self.rooms.find(key) else { return nil }
        return room.partitions.map { $0.map(\.raw).sorted() }
    }

    /// The members of the room named `name`, sorted by raw ID; empty if it does not exist.
    func members(of name: String) -> [ClientID] {
        (self.partitions(of: name) ?? []).flatMap { $0 }.sorted().map(ClientID.init)
    }
}
