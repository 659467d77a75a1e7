// Command: one client line, parsed, and the table of command words it is parsed with.

/// The command words a client may type after `/`, spelled as on the wire.
///
/// This is the one table that maps wire words to commands. Matching ignores ASCII case, so `/NICK`
/// and `/Nick` are `/nick`.
enum CommandWord: String, CaseIterable, Sendable {
    case nick, join, rooms, who, msg, me, ping, stats, help, quit

    /// The table, built once: `allCases` would build a new array on every lookup.
    static let table: [CommandWord] = CommandWord.allCases

    /// The command `word` names (without its `/`), ignoring case, or `nil`.
    static func lookUp(_ word: UnsafeRawBufferPointer) -> CommandWord? {
        Self.table.first { word.equalsIgnoringCase($0.rawValue.utf8) }
    }
}

/// One line from a client, parsed.
///
/// Payloads point into the line being parsed and are valid only while ``ChatState`` handles it.
/// Arguments are separated from the command word and from each other by one or more spaces; a final
/// text argument runs verbatim to the end of the line, trailing spaces included.
enum Command {
    /// `<text>` (or `//<text>`, which sends `/<text>`): a message to the current room.
    case say(UnsafeRawBufferPointer)
    /// `/nick NAME`, with `NAME` trimmed of spaces but not yet validated.
    case nick(UnsafeRawBufferPointer)
    /// `/join ROOM`, with `ROOM` trimmed of spaces but not yet validated.
    case join(UnsafeRawBufferPointer)
    /// `/rooms`; any arguments are ignored.
    case rooms
    /// `/who`; any arguments are ignored.
    case who
    /// `/msg NICK TEXT`. Either part may be empty when the client left it out.
    case privateMessage(nick: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer)
    /// `/me TEXT`. The text may be empty when the client left it out.
    case action(UnsafeRawBufferPointer)
    /// `/ping [TOKEN]`.
    case ping(UnsafeRawBufferPointer)
    /// `/stats`; any arguments are ignored.
    case stats
    /// `/help`; any arguments are ignored.
    case help
    /// `/quit [REASON]`.
    case quit(UnsafeRawBufferPointer)
    /// A `/word` that is not a command; the payload is the word including its `/`.
    case unknown(UnsafeRawBufferPointer)

    /// Parses a non-empty line.
    ///
    /// Plain text is the hot path and is recognised by its first byte alone.
    init(parsing line: UnsafeRawBufferPointer) {
        precondition(!line.isEmpty, "empty lines are ignored before parsing")
        guard line[0] == ASCII.slash else {
            self = .say(line)
            return
        }
        if line.count >= 2 && line[1] == ASCII.slash {
            self = .say(line.slice(1..<line.count))
            return
        }
        let wordEnd = line.firstSpace(from: 1)
        let rest = line.slice(line.skippingSpaces(from: wordEnd)..<line.count)
        guard let word = CommandWord.lookUp(line.slice(1..<wordEnd)) else {
            self = .unknown(line.slice(0..<wordEnd))
            return
        }
        switch word {
        case .nick: self = .nick(rest.trimmingSpaces())
        case .join: self = .join(rest.trimmingSpaces())
        case .rooms: self = .rooms
        case .who: self = .who
        case .msg:
            let nickEnd = rest.firstSpace(from: 0)
            let textStart = rest.skippingSpaces(from: nickEnd)
            self = .privateMessage(nick: rest.slice(0..<nickEnd), text: rest.slice(textStart..<rest.count))
        case .me: self = .action(rest)
        case .ping: self = .ping(rest)
        case .stats: self = .stats
        case .help: self = .help
        case .quit: self = .quit(rest)
        }
    }
}
