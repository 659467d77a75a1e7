// IRCParser: one IRC line (RFC 1459/2812 as the Modern IRC documents read them, plus IRCv3 tags)
// parsed into an IRCMessage, or the reason it is refused.

import Codec

/// Why a line is not a message, each reason with the reply a server gives it.
public enum IRCParseError: Error, Sendable, Equatable, CaseIterable {
    /// The line is empty or only spaces. Servers ignore it silently.
    case empty
    /// The line holds a NUL, CR or LF byte. Servers drop it (CR and LF end lines; NUL is forbidden).
    case forbiddenByte
    /// The tag section is longer than ``IRCLimits/maxTagsLength``: 417 ERR_INPUTTOOLONG.
    case tagsTooLong
    /// The line after its tag section is longer than ``IRCLimits/maxLineLength``: 417 ERR_INPUTTOOLONG.
    case lineTooLong
    /// Tags or a source with nothing after them. Servers ignore it.
    case noCommand
    /// The command is neither letters nor three digits: 421 ERR_UNKNOWNCOMMAND, quoting
    /// ``IRCParser/commandWord(in:)``.
    case badCommand
}

/// What ``IRCParser/parse(_:limits:)`` makes of a line.
public enum IRCParseResult {
    case message(IRCMessage)
    case failure(IRCParseError)

    /// The message, or `nil` if the line was refused.
    public var message: IRCMessage? {
        if case .message(let message) = self { return message }
        return nil
    }

    /// The refusal, or `nil` if the line parsed.
    public var error: IRCParseError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Parses IRC lines; pure, no state, and no allocation.
///
/// The grammar, after RFC 1459/2812 as clarified by modern.ircdocs.horse and IRCv3 message-tags:
///
/// ```
/// line    = [ "@" tags SPACE ] *SPACE [ ":" source 1*SPACE ] command *( 1*SPACE param ) *SPACE
/// command = 1*15 letter / 3 digit                      ; matched ignoring case, returned upper-cased
/// param   = middle / ":" trailing                      ; at most 15; the 15th takes the rest of the line
///                                                      ; (less trailing spaces when it has no ":")
/// middle  = any bytes but SPACE, not starting with ":" ; never empty
/// ```
///
/// One or more spaces separate tokens, and trailing spaces after the last middle parameter are
/// ignored; a trailing parameter runs verbatim to the end of the line and may be empty or hold
/// spaces. Tags are found here but parsed only when ``IRCMessage/tags`` is iterated, so a tagged
/// line costs no more to parse than an untagged one.
///
/// Checks run in this order, and the first that fails is the answer: empty line, tag-section length,
/// length of the rest, forbidden bytes (NUL, CR, LF), a command present, the command's spelling. The
/// length checks come first so a server can answer 417 without scanning an over-long line.
public enum IRCParser {
    /// Parses one line, without its CR LF.
    ///
    /// - Parameters:
    ///   - line: The bytes of one line. The message's views point into it.
    ///   - limits: The lengths and parameter count to enforce. A server parsing what clients send
    ///     should pass ``IRCLimits/fromClient``.
    /// - Returns: The message, or the first rule the line breaks.
    ///
    /// ```swift
    /// switch IRCParser.parse(line, limits: .fromClient) {
    /// case .message(let message): handle(message)
    /// case .failure(.tagsTooLong), .failure(.lineTooLong): reply(417)
    /// case .failure(.badCommand): reply(421, IRCParser.commandWord(in: line))
    /// case .failure: break  // ignored
    /// }
    /// ```
    public static func parse(_ line: UnsafeRawBufferPointer, limits: IRCLimits = .standard) -> IRCParseResult {
        let count = line.count
        guard count > 0 else { return .failure(.empty) }

        var tags = OffsetRange.absent
        var position = 0
        if line[0] == IRCByte.at {
            let tagsEnd = line.firstSpace(from: 1)
            // The section counts the "@" and the space that ends it (one past the end if none does).
            guard tagsEnd + 1 <= limits.maxTagsLength else { return .failure(.tagsTooLong) }
            tags = OffsetRange(1..<tagsEnd)
            position = min(tagsEnd + 1, count)
        }
        guard count - position <= limits.maxLineLength else { return .failure(.lineTooLong) }
        guard !line.containsForbiddenIRCByte() else { return .failure(.forbiddenByte) }

        position = line.skippingSpaces(from: position)
        guard position < count else { return .failure(tags.isPresent ? .noCommand : .empty) }

        var source = OffsetRange.absent
        if line[position] == ASCII.colon {
            let sourceEnd = line.firstSpace(from: position + 1)
            // A lone ":" names no source; it reads as none.
            if sourceEnd > position + 1 { source = OffsetRange((position + 1)..<sourceEnd) }
            position = line.skippingSpaces(from: sourceEnd)
            guard position < count else { return .failure(.noCommand) }
        }

        let commandEnd = line.firstSpace(from: position)
        guard let command = IRCCommand(line.slice(position..<commandEnd)) else { return .failure(.badCommand) }
        let commandRange = OffsetRange(position..<commandEnd)
        position = commandEnd

        var params = ParamTable()
        var hasTrailing = false
        while true {
            position = line.skippingSpaces(from: position)
            guard position < count else { break }
            let isTrailing = line[position] == ASCII.colon
            if isTrailing {
                // Verbatim to the end of the line, spaces included.
                params.append((position + 1)..<count)
                hasTrailing = true
                break
            }
            if params.count == limits.maxParams - 1 {
                // RFC 2812: after 14 middles the rest is the last parameter, even without a ":".
                // Trailing spaces still end it, as they end a middle.
                var end = count
                while line[end - 1] == ASCII.space { end -= 1 }
                params.append(position..<end)
                break
            }
            let end = line.firstSpace(from: position)
            params.append(position..<end)
            position = end
        }
        return .message(
            IRCMessage(
                line: line, tags: tags, source: source, command: command, commandRange: commandRange,
                params: params, hasTrailing: hasTrailing))
    }

    /// The word where a line's command should be, for the 421 reply to a ``IRCParseError/badCommand``.
    ///
    /// Skips the tag section and the source as ``parse(_:limits:)`` does; empty if there is no word.
    public static func commandWord(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var position = 0
        if !line.isEmpty && line[0] == IRCByte.at {
            position = min(line.firstSpace(from: 1) + 1, line.count)
        }
        position = line.skippingSpaces(from: position)
        if position < line.count && line[position] == ASCII.colon {
            position = line.skippingSpaces(from: line.firstSpace(from: position + 1))
        }
        return line.slice(position..<line.firstSpace(from: position))
    }
}
