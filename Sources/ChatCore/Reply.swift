// Reply: every line the server sends, and the one place that knows how each is spelled on the wire.

/// One server-to-client line, before encoding.
///
/// Payloads are already in wire form (validated names, relayed text), so encoding is a sequence of
/// copies into a ``LineBuffer``. Names are inline values and text points into the incoming line, so
/// building and encoding a chat line involves no reference counting. An empty optional part (`PONG`'s
/// token, `BYE`'s and `PART`'s reason) is left off together with the space before it.
enum Reply {
    /// `MSG <room> <nick> <text>`: a room message, never echoed to its sender.
    case message(room: Name, nick: Name, text: UnsafeRawBufferPointer)
    /// `ACTION <room> <nick> <text>`: a `/me` action, never echoed to its sender.
    case action(room: Name, nick: Name, text: UnsafeRawBufferPointer)
    /// `PRIV <nick> <text>`: a private message from `nick`.
    case privateMessage(from: Name, text: UnsafeRawBufferPointer)
    /// `WELCOME <nick> <room>`: the first line of every connection.
    case welcome(nick: Name, room: Name)
    /// `JOIN <room> <nick>`.
    case join(room: Name, nick: Name)
    /// `PART <room> <nick> [reason]`.
    case part(room: Name, nick: Name, reason: [UInt8])
    /// `NICK <old> <new>`.
    case nick(old: Name, new: Name)
    /// `PONG [token]`.
    case pong(token: UnsafeRawBufferPointer)
    /// `ERR <code> <text>`.
    case error(ErrorCode, String)
    /// `BYE [reason]`.
    case bye(reason: UnsafeRawBufferPointer)
    /// `ROOM <name> <members>`: one line of `/rooms`.
    case room(name: Name, members: Int)
    /// `USER <nick>`: one line of `/who`.
    case user(nick: Name)
    /// `STAT <name> <value>`: one line of `/stats`.
    case stat(name: StaticString, value: Int)
    /// `INFO <text>`: one line of `/help`.
    case info(StaticString)
    /// `END <listing>`: closes a `/rooms`, `/who`, `/stats` or `/help` listing.
    case end(StaticString)

    /// The first word of the line, which tells the client what kind of line it is.
    var word: StaticString {
        switch self {
        case .message: "MSG"
        case .action: "ACTION"
        case .privateMessage: "PRIV"
        case .welcome: "WELCOME"
        case .join: "JOIN"
        case .part: "PART"
        case .nick: "NICK"
        case .pong: "PONG"
        case .error: "ERR"
        case .bye: "BYE"
        case .room: "ROOM"
        case .user: "USER"
        case .stat: "STAT"
        case .info: "INFO"
        case .end: "END"
        }
    }
}

extension LineBuffer {
    /// Replaces the contents with `reply`, encoded as one line ending in `"\n"`.
    mutating func encode(_ reply: Reply) {
        self.removeAll()
        self.append(reply.word)
        switch reply {
        case .message(let room, let nick, let text), .action(let room, let nick, let text):
            self.appendField(room)
            self.appendField(nick)
            self.appendField(text)
        case .privateMessage(let nick, let text):
            self.appendField(nick)
            self.appendField(text)
        case .welcome(let first, let second), .join(let first, let second), .nick(let first, let second):
            self.appendField(first)
            self.appendField(second)
        case .part(let room, let nick, let reason):
            self.appendField(room)
            self.appendField(nick)
            if !reason.isEmpty { self.appendField(reason) }
        case .pong(let optional), .bye(let optional):
            if !optional.isEmpty { self.appendField(optional) }
        case .error(let code, let text):
            self.append(byte: ASCII.space)
            self.append(string: code.rawValue)
            self.append(byte: ASCII.space)
            self.append(string: text)
        case .room(let name, let members):
            self.appendField(name)
            self.append(byte: ASCII.space)
            self.append(decimal: members)
        case .user(let nick):
            self.appendField(nick)
        case .stat(let name, let value):
            self.append(byte: ASCII.space)
            self.append(name)
            self.append(byte: ASCII.space)
            self.append(decimal: value)
        case .info(let text), .end(let text):
            self.append(byte: ASCII.space)
            self.append(text)
        }
        self.append(byte: ASCII.newline)
    }

    /// Replaces the contents with `<word> <room> <nick> <text>\n`: the message path's encoder.
    ///
    /// Equivalent to `encode(.message(…))` or `encode(.action(…))`, but the hot path calls it directly:
    /// building a ``Reply`` copies both names into the enum and encoding it switches over every case,
    /// which costs more than the copies themselves for short lines. This reserves once, then copies.
    mutating func encodeChat(_ word: StaticString, room: Name, nick: Name, text: UnsafeRawBufferPointer) {
        self.removeAll()
        self.reserve(word.utf8CodeUnitCount + room.count + nick.count + text.count + 4)
        self.append(word)
        self.appendField(room)
        self.appendField(nick)
        self.appendField(text)
        self.append(byte: ASCII.newline)
    }

    private mutating func appendField(_ name: Name) {
        self.append(byte: ASCII.space)
        name.withBytes { self.append($0) }
    }

    private mutating func appendField(_ bytes: [UInt8]) {
        self.append(byte: ASCII.space)
        self.append(bytes)
    }

    private mutating func appendField(_ bytes: UnsafeRawBufferPointer) {
        self.append(byte: ASCII.space)
        self.append(bytes)
    }
}
