// ChatEvent: what the chat domain tells clients, before any front end renders it.

/// One thing that happened, for one audience, before it is rendered into any protocol.
///
/// ChatCore produces these and never a wire byte; each front end's encoder turns them into its own
/// lines or frames. Names are inline values and texts point into the line being handled, so an event
/// is built without allocating or reference counting; it is valid only during the
/// ``ChatSink/deliver(_:to:)`` call that carries it.
public enum ChatEvent {
    /// The client was admitted under `nick`; `room` is the room it was put in, if any.
    case welcome(nick: Name, room: Name?)
    /// `from` sent `text` to `room`. Never delivered to its sender.
    case message(MessageKind, room: Name, from: Name, text: WireText)
    /// `from` sent `text` to `to` alone.
    case privateMessage(MessageKind, from: Name, to: Name, text: WireText)
    /// `nick` entered `room` (possibly the recipient itself).
    case joined(room: Name, nick: Name)
    /// `nick` left `room`; `reason` is empty when none was given.
    case parted(room: Name, nick: Name, reason: WireText)
    /// `nick` left the server. `room` is a room the recipients shared with it: each recipient hears a
    /// departure once however many rooms it shared, and the line protocol, whose clients are in one
    /// room, reports it as a departure from that room.
    case quit(nick: Name, reason: WireText, room: Name)
    /// `old` is now called `new` (possibly the recipient itself).
    case renamed(old: Name, new: Name)
    /// `by` set the topic of `room` to `text` (empty: cleared). To the room, the setter included.
    case topicChanged(room: Name, by: Name, text: WireText)
    /// `by` changed modes of `room`; `changes` lists what was applied, in order. To the room.
    case modeChanged(room: Name, by: Name, changes: [RoomModeChange])
    /// `by` put `nick` out of `room`. To the room, the kicked member included.
    case kicked(room: Name, nick: Name, by: Name, reason: WireText)
    /// `by` invited `nick` into `room`: to the invitee, and to the inviter as confirmation.
    case invited(room: Name, nick: Name, by: Name)
    /// `nick` went away with `message`, or came back when it is empty. Presence, to its peers.
    case awayChanged(nick: Name, message: WireText)
    /// The answer to ``ChatCommand/listRooms``, ordered by name ignoring case.
    case roomList([RoomSummary])
    /// The answer to ``ChatCommand/listMembers(room:)``, ordered by nick ignoring case.
    case memberList(room: Name, members: [Name])
    /// The answer to ``ChatCommand/stats``.
    case statistics(ChatStatistics)
    /// A request failed, or the glue is about to close the client; see ``ChatError``.
    case error(ChatError)
    /// The server is closing the client's connection: after ``ChatCommand/quit(reason:)``, or at
    /// shutdown. `reason` may be empty.
    case bye(reason: WireText)

    /// Whether this is presence (someone arriving, leaving or renaming) rather than a message or a
    /// reply. Nobody waits on presence sent to a room, so a sink may hold it briefly and batch it.
    @inlinable
    public var isPresence: Bool {
        switch self {
        case .joined, .parted, .quit, .renamed, .awayChanged, .kicked: return true
        default: return false
        }
    }
}

/// One line of a room listing.
public struct RoomSummary: Equatable, Sendable {
    public var name: Name
    public var members: Int

    public init(name: Name, members: Int) {
        self.name = name
        self.members = members
    }
}

/// The server's counters at one moment, as ``ChatCommand/stats`` reports them.
public struct ChatStatistics: Equatable, Sendable {
    public var counters: ChatCounters
    public var rooms: Int
    public var uptimeSeconds: Int

    public init(counters: ChatCounters, rooms: Int, uptimeSeconds: Int) {
        self.counters = counters
        self.rooms = rooms
        self.uptimeSeconds = uptimeSeconds
    }
}

/// Who an event is for, as the domain meant it.
public enum Audience: Equatable, Sendable {
    /// One client: a reply, an error, a private message, or a confirmation of its own action.
    case client(ClientID)
    /// The members of a room, except one client when `except` is set.
    case room(Name, except: ClientID?)
    /// Everyone who shares at least one room with `client` (and `client` itself for a rename), each
    /// exactly once however many rooms they share.
    case peers(of: ClientID)
}

/// The recipients of one ``ChatSink/deliver(_:to:)`` call: part of an audience, all of one encoding.
///
/// An event for a room is delivered once per encoding present in it, so the sink renders it once per
/// encoding and then copies the same bytes to each of ``clients``.
public struct Recipients {
    /// What the domain meant; the same for every call that delivers one event.
    public let audience: Audience
    /// The encoding every one of ``clients`` needs.
    public let encoding: Encoding
    /// The recipients, valid only during the call. Skip ``excluded`` if it appears.
    public let clients: UnsafeBufferPointer<ClientID>
    /// A member of ``clients`` that must not get the event (the sender of a room message).
    public let excluded: ClientID?

    @inlinable
    public init(audience: Audience, encoding: Encoding, clients: UnsafeBufferPointer<ClientID>, excluded: ClientID?) {
        self.audience = audience
        self.encoding = encoding
        self.clients = clients
        self.excluded = excluded
    }
}
