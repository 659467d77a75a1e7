// ChatCommand: what a client asks of the chat domain, whatever protocol it spoke.

/// The text of a message, a reason or a name as it arrived on the wire.
///
/// It points into the buffer the codec parsed and is valid only for the duration of the call that
/// carries it; ChatCore copies what it keeps.
public typealias WireText = UnsafeRawBufferPointer

/// The kind of a chat line: said, acted (a third-person action) or noticed (never answered automatically).
public enum MessageKind: UInt8, Sendable {
    case message, action, notice
}

/// Where a chat line goes.
public enum MessageTarget {
    /// The room the client is in: its only room for the line protocol, the first joined otherwise.
    case currentRoom
    /// A room by name, not yet validated. The sender must be a member.
    case room(WireText)
    /// A client by nick, not yet validated.
    case nick(WireText)
}

/// One request from a client, parsed by its front end's codec into protocol-neutral terms.
///
/// Names are raw bytes: ChatCore validates them, so every front end shares one naming rule and
/// reports a bad name with the same semantic ``ChatError``.
public enum ChatCommand {
    /// Send `text` to `target`. An empty text is refused with ``ChatError/missingText(_:private:)``.
    case send(MessageKind, text: WireText, to: MessageTarget)
    /// Take the nick `name`. Allowed before admission, while a front end registers the client.
    case rename(to: WireText)
    /// Enter the room `name`, creating it if needed (the creator becomes its operator); with
    /// `leavingOthers`, leave every other room first, so the join is a move. `key` answers a room
    /// with a key.
    case join(room: WireText, leavingOthers: Bool, key: WireText? = nil)
    /// Leave the room `name`.
    case part(room: WireText, reason: WireText)
    /// List every room with its member count.
    case listRooms
    /// List the members of a room: the current one when `room` is `nil`.
    case listMembers(room: WireText?)
    /// Report the server's counters.
    case stats
    /// Set the topic of a room the client is in (an operator's right while the topic is locked).
    case setTopic(room: WireText, text: WireText)
    /// Change a room's modes, member statuses or bans (an operator's right).
    case setModes(room: WireText, changes: [RoomModeChange])
    /// Put the member `nick` out of the room (an operator's right).
    case kick(room: WireText, nick: WireText, reason: WireText)
    /// Let `nick` into the room even if it is invite-only or bans it.
    case invite(nick: WireText, room: WireText)
    /// Mark the client away with `message`, or present again when it is empty. Everyone sharing a
    /// room with it hears ``ChatEvent/awayChanged(nick:message:)``.
    case away(message: WireText)
    /// Leave the server: the client gets ``ChatEvent/bye(reason:)`` and is closed by the sink.
    case quit(reason: WireText)
}
