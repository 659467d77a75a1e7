// ChatError: why a request failed or a client is being closed, as semantic codes.

/// Which kind of name a ``ChatError/badName(_:)`` was about.
public enum NameRole: UInt8, Sendable {
    /// A nick the client asked for.
    case nick
    /// A room name.
    case room
    /// The nick a private message was addressed to.
    case recipient
}

/// A failure reported to one client, in protocol-neutral terms; each front end words it.
///
/// ChatCore reports the first group; front ends and the glue report the rest (framing and parsing
/// errors, and why the server closes a connection), through the same encoders.
public enum ChatError {
    /// A nick or room name that is missing or does not follow its ``NameGrammar``.
    case badName(NameRole)
    /// The nick asked for is held by another client (compared ignoring case).
    case nickTaken(Name)
    /// Nobody holds the nick a private message named; `nick` is as the sender spelled it.
    case noSuchNick(WireText)
    /// A message of `kind` had no text; `private` when it was addressed to a nick.
    case missingText(MessageKind, private: Bool)
    /// The request needs a room the client is not in; `room` is as the client spelled it.
    case notInRoom(WireText)
    /// The client has not completed registration yet.
    case notRegistered
    /// The request needs operator status in `room`.
    case notOperator(room: Name)
    /// The room refused the client: invite-only, a wrong key, full, or a ban.
    case cannotJoin(room: Name, JoinRefusal)
    /// The client may not speak in `room` (moderated, and it has no voice; or it is not a member).
    case cannotSend(room: Name)
    /// `nick` (as sent) is not a member of `room`.
    case userNotInRoom(nick: WireText, room: Name)
    /// `nick` is already in `room`.
    case alreadyInRoom(nick: Name, room: Name)

    /// A line or message exceeded `limit` bytes and was discarded. The connection stays open.
    case lineTooLong(limit: Int)
    /// A line contained a NUL byte.
    case badLine
    /// A command word the front end does not know; `word` as sent.
    case unknownCommand(WireText)
    /// The server is at its connection limit; the connection is being closed.
    case serverFull
    /// The server cannot register anyone now (a cluster node cut off from its bus, which must
    /// confirm every nick); the connection is being closed, and a retry shortly should work.
    case tryAgain
    /// The client did not read `limit` bytes of queued output; the connection is being closed.
    case slowConsumer(limit: Int)
    /// The client sent nothing for `seconds`; the connection is being closed.
    case idleTimeout(seconds: Int)
}
