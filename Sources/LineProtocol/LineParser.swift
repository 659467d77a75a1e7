// LineParser: one line of protocol v1, parsed into a chat command or a request the front end answers.

import ChatCore
import Codec

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

/// What one line from a client asks for.
///
/// Payloads point into the line being parsed and are valid only while it is handled.
public enum LineInput {
    /// Nothing: an empty line is ignored.
    case empty
    /// A request for the chat domain.
    case command(ChatCommand)
    /// A request the front end answers itself, without the chat domain.
    case reply(LineReply)
    /// A line the front end refuses: a NUL byte, or an unknown command word.
    case error(ChatError)
}

/// A request the line front end answers itself.
public enum LineReply {
    /// `/ping [TOKEN]`: answered `PONG [TOKEN]`.
    case pong(WireText)
    /// `/help`: answered with the help text.
    case help
}

/// Parses protocol v1 lines; pure, no state, no allocation.
///
/// Arguments are separated from the command word and from each other by one or more spaces; a final
/// text argument runs verbatim to the end of the line, trailing spaces included.
public enum LineParser {
    /// Parses one line, without its `"\n"` (and without a `"\r"` before it).
    ///
    /// Plain text is the hot path and is recognised by its first byte after the NUL scan.
    @inlinable
    public static func parse(_ line: UnsafeRawBufferPointer) -> LineInput {
        guard !line.isEmpty else { return .empty }
        guard !line.containsNUL() else { return .error(.badLine) }
        guard line[0] == ASCII.slash else {
            return .command(.send(.message, text: line, to: .currentRoom))
        }
        return self.parseSlashed(line)
    }

    /// A line that starts with `/`: an escaped message, or a command.
    @usableFromInline
    static func parseSlashed(_ line: UnsafeRawBufferPointer) -> LineInput {
        if line.count >= 2 && line[1] == ASCII.slash {
            return .command(.send(.message, text: line.slice(1..<line.count), to: .currentRoom))
        }
        let wordEnd = line.firstSpace(from: 1)
        let rest = line.slice(line.skippingSpaces(from: wordEnd)..<line.count)
        guard let word = CommandWord.lookUp(line.slice(1..<wordEnd)) else {
            return .error(.unknownCommand(line.slice(0..<wordEnd)))
        }
        switch word {
        case .nick: return .command(.rename(to: rest.trimmingSpaces()))
        case .join: return .command(.join(room: rest.trimmingSpaces(), leavingOthers: true))
        case .rooms: return .command(.listRooms)
        case .who: return .command(.listMembers(room: nil))
        case .msg:
            let nickEnd = rest.firstSpace(from: 0)
            let textStart = rest.skippingSpaces(from: nickEnd)
            return .command(.send(.message, text: rest.slice(textStart..<rest.count), to: .nick(rest.slice(0..<nickEnd))))
        case .me: return .command(.send(.action, text: rest, to: .currentRoom))
        case .ping: return .reply(.pong(rest))
        case .stats: return .command(.stats)
        case .help: return .reply(.help)
        case .quit: return .command(.quit(reason: rest))
        }
    }

    /// Parses one line and carries it out against `state`: a command is performed, a refusal is
    /// reported (so it is ordered with the client's other output), and a request the front end
    /// answers itself is returned for the caller to render with `LineEncoder.encode(_:into:)`
    /// and send, unless the client has quit.
    ///
    /// This is the whole line front end apart from framing and output, shared by the server's
    /// session and the tests. The reply points into `line`: render it before `line` goes away.
    @inlinable
    public static func handle(_ line: UnsafeRawBufferPointer, from client: ClientID, state: ChatState) -> LineReply? {
        switch self.parse(line) {
        case .command(let command):
            state.perform(command, from: client)
        case .empty:
            break
        case .reply(let reply):
            return state.hasQuit(client) || !state.isAdmitted(client) ? nil : reply
        case .error(let error):
            state.report(error, to: client)
        }
        return nil
    }
}
