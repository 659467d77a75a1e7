// ErrorCode: the machine-readable codes of `ERR` lines, mapped to their wire words.

/// The code in an `ERR <code> <text>` line.
///
/// The raw value is the word on the wire; clients should switch on it and treat the text after it as
/// human-readable only.
public enum ErrorCode: String, Sendable, CaseIterable {
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
    /// The server is at its connection limit (sent by the glue before closing).
    case serverFull = "server-full"
    /// The client did not read its output fast enough (sent by the glue before closing).
    case slowConsumer = "slow-consumer"
    /// The client was silent for too long (sent by the glue before closing).
    case idleTimeout = "idle-timeout"
}
