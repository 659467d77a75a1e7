// LineErrorCode: the machine-readable codes of `ERR` lines: the one table of error wire words.

import ChatCore

/// The code in an `ERR <code> <text>` line.
///
/// The raw value is the word on the wire; clients should switch on it and treat the text after it as
/// human-readable only. Each semantic ``ChatError`` maps to exactly one code.
public enum LineErrorCode: String, Sendable, CaseIterable {
    /// A line was longer than the server's limit and was discarded. The connection stays open.
    case lineTooLong = "line-too-long"
    /// A line could not be accepted: it contains a NUL byte, or a command lacks its text.
    case badLine = "bad-line"
    /// A `/command` the server does not know.
    case unknownCommand = "unknown-command"
    /// A nick or room name that is missing, too long, or uses characters outside `[A-Za-z0-9_-]`.
    case badName = "bad-name"
    /// `/nick` asked for a name another client holds (compared ignoring case).
    case nickTaken = "nick-taken"
    /// `/msg` named a nick nobody holds.
    case noSuchNick = "no-such-nick"
    /// A room the client is not in (not reachable from line protocol v1, whose client is always in one).
    case notInRoom = "not-in-room"
    /// Registration is not complete (not reachable from line protocol v1, which admits at once).
    case notRegistered = "not-registered"
    /// The room refused `/join`: invite-only, a key, full, or a ban (set by IRC operators).
    case cannotJoin = "cannot-join"
    /// The room is moderated and the client has no voice.
    case cannotSend = "cannot-send"
    /// An operator's request from a client that is not one (not reachable from line protocol v1).
    case notOperator = "not-operator"
    /// The nick is already in the room (not reachable from line protocol v1).
    case alreadyInRoom = "already-in-room"
    /// The server is at its connection limit (sent by the glue before closing).
    case serverFull = "server-full"
    /// The server cannot take new clients for a moment (sent by the glue before closing).
    case tryAgain = "try-again"
    /// The client did not read its output fast enough (sent by the glue before closing).
    case slowConsumer = "slow-consumer"
    /// The client was silent for too long (sent by the glue before closing).
    case idleTimeout = "idle-timeout"

    /// The code that reports `error`.
    public init(_ error: ChatError) {
        switch error {
        case .badName: self = .badName
        case .nickTaken: self = .nickTaken
        case .noSuchNick: self = .noSuchNick
        case .missingText, .badLine: self = .badLine
        case .notInRoom, .userNotInRoom: self = .notInRoom
        case .cannotJoin: self = .cannotJoin
        case .cannotSend: self = .cannotSend
        case .notOperator: self = .notOperator
        case .alreadyInRoom: self = .alreadyInRoom
        case .notRegistered: self = .notRegistered
        case .lineTooLong: self = .lineTooLong
        case .unknownCommand: self = .unknownCommand
        case .serverFull: self = .serverFull
        case .tryAgain: self = .tryAgain
        case .slowConsumer: self = .slowConsumer
        case .idleTimeout: self = .idleTimeout
        }
    }
}
