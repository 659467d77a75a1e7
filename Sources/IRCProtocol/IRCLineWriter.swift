// IRCLineWriter: renders one IRC line part by part into an EncodeBuffer, within the line limits.

import Codec

/// Renders one IRC line, part by part, into an ``EncodeBuffer`` the caller reuses; allocates nothing.
///
/// Call the parts in wire order, each at most once except tags and middle parameters:
/// ``tag(_:value:into:)`` …, ``source(_:into:)``, ``command(_:into:)``, ``param(_:into:)`` …, then at
/// most one of ``lastParam(_:alwaysTrailing:into:)`` and ``ctcp(_:text:into:)``, then
/// ``finish(into:)``, which ends the line with CR LF. Do not write anything else into the buffer
/// until the line is finished: the writer measures the line by the buffer's count.
///
/// ```swift
/// var line = IRCLineWriter(buffer)
/// line.source(nickUserHost, into: &buffer)
/// line.command("PRIVMSG", into: &buffer)
/// line.param(channel, into: &buffer)
/// line.lastParam(text, into: &buffer)
/// line.finish(into: &buffer)          // ":alice!a@host PRIVMSG #lobby :hi there\r\n"
/// ```
///
/// **Truncation.** The part after the tags (source, command, parameters) is cut to
/// ``IRCLimits/maxLineLength`` bytes (510), so the line with its CR LF fits in 512. The cut falls
/// where the budget runs out, moved back to the start of a UTF-8 sequence so no character is split;
/// parts after the cut are left off and ``isTruncated`` is set. In practice only the last parameter,
/// the text, is long enough to be cut; a cut CTCP message keeps its closing `\x01`. A tag that would
/// take the tag section past ``IRCLimits/maxTagsLength`` is left off whole, and so are the tags after
/// it if they do not fit either; ``tag(_:value:into:)`` returns `false` for it.
///
/// **Safety.** Tag values are escaped. A NUL, CR or LF in the last parameter becomes a space, so no
/// text can end the line early or start another. Sources and middle parameters are the caller's own
/// words (names it has validated): one that is empty, holds a space, NUL, CR or LF, or (for a middle
/// parameter) starts with `:` is a programmer error and traps.
public struct IRCLineWriter {
    @usableFromInline enum Phase: UInt8, Comparable {
        case tags, source, command, params, lastParam, finished
        @usableFromInline static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }

    /// The limits the line is rendered within.
    public let limits: IRCLimits
    @usableFromInline let lineStart: Int
    @usableFromInline var bodyStart = -1
    @usableFromInline var phase = Phase.tags
    @usableFromInline var tagCount = 0
    /// Whether some of the line was left off to keep it within the limits.
    public private(set) var isTruncated = false

    /// Starts a line at the end of `buffer`'s current contents.
    public init(_ buffer: borrowing EncodeBuffer, limits: IRCLimits = .standard) {
        self.limits = limits
        self.lineStart = buffer.count
    }

    // MARK: Tags

    /// Appends the tag `key` with `value` escaped; an empty value writes the key alone.
    ///
    /// - Returns: `false` if the tag was left off because the tag section would pass its limit.
    @discardableResult
    public mutating func tag(
        key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer
    ) -> Bool {
        precondition(self.phase == .tags, "IRC tags come first")
        precondition(IRCTag.isValidKey(key), "not an IRC tag key")
        let valueLength = value.isEmpty ? 0 : 1 + IRCTag.escapedLength(value)
        // "@" or ";", the key, "=value", and the space that will close the section.
        let needed = 1 + key.count + valueLength + 1
        guard buffer.count - self.lineStart + needed <= self.limits.maxTagsLength else {
            self.isTruncated = true
            return false
        }
        buffer.append(byte: self.tagCount == 0 ? IRCByte.at : IRCByte.semicolon)
        buffer.append(key)
        if !value.isEmpty {
            buffer.append(byte: IRCByte.equals)
            IRCTag.escape(value, into: &buffer)
        }
        self.tagCount += 1
        return true
    }

    /// Appends a parsed tag (a client-only tag being relayed), its value re-escaped canonically
    /// straight from the wire form: no unescaped copy is made.
    ///
    /// - Returns: `false` if the tag was left off because the tag section would pass its limit.
    @discardableResult
    public mutating func tag(_ tag: IRCTag, into buffer: inout EncodeBuffer) -> Bool {
        precondition(self.phase == .tags, "IRC tags come first")
        precondition(IRCTag.isValidKey(tag.key), "not an IRC tag key")
        let escapedLength = IRCTag.canonicalLength(tag.rawValue)
        let needed = 1 + tag.key.count + (escapedLength == 0 ? 0 : 1 + escapedLength) + 1
        guard buffer.count - self.lineStart + needed <= self.limits.maxTagsLength else {
            self.isTruncated = true
            return false
        }
        buffer.append(byte: self.tagCount == 0 ? IRCByte.at : IRCByte.semicolon)
        buffer.append(tag.key)
        if escapedLength > 0 {
            buffer.append(byte: IRCByte.equals)
            IRCTag.canonicalize(tag.rawValue, into: &buffer)
        }
        self.tagCount += 1
        return true
    }

    /// Appends the tag `key` (a literal such as `"time"` or `"+typing"`) with `value` escaped.
    @discardableResult
    public mutating func tag(
        _ key: StaticString, value: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into buffer: inout EncodeBuffer
    ) -> Bool {
        key.withUTF8Buffer { self.tag(key: UnsafeRawBufferPointer($0), value: value, into: &buffer) }
    }

    /// Appends the tag `key` with the string `value` escaped.
    @discardableResult
    public mutating func tag(_ key: StaticString, string value: String, into buffer: inout EncodeBuffer) -> Bool {
        var value = value
        return value.withUTF8 { self.tag(key, value: UnsafeRawBufferPointer($0), into: &buffer) }
    }

    // MARK: Source and command

    /// Appends `:source ` (a server name or `nick!user@host`); an empty source writes nothing.
    public mutating func source(_ source: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        precondition(self.phase <= .source, "an IRC source comes before the command")
        precondition(!Self.holdsSeparator(source), "an IRC source holds no space, NUL, CR or LF")
        self.closeTags(into: &buffer)
        self.phase = .command
        guard !source.isEmpty else { return }
        self.appendClipped(byte: ASCII.colon, into: &buffer)
        self.appendClipped(source, into: &buffer)
        self.appendClipped(byte: ASCII.space, into: &buffer)
    }

    /// Appends `:source ` from a string.
    public mutating func source(string source: String, into buffer: inout EncodeBuffer) {
        var source = source
        source.withUTF8 { self.source(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// Appends the command or numeric.
    public mutating func command(_ command: IRCCommand, into buffer: inout EncodeBuffer) {
        precondition(self.phase <= .command, "an IRC line has one command")
        self.closeTags(into: &buffer)
        command.withBytes { self.appendClipped($0, into: &buffer) }
        self.phase = .params
    }

    // MARK: Parameters

    /// Appends a middle parameter: not the last one, so it must be a single word not starting with `:`.
    public mutating func param(_ param: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        precondition(self.phase == .params, "IRC parameters follow the command, before the last one")
        precondition(
            !param.isEmpty && param[0] != ASCII.colon && !Self.holdsSeparator(param),
            "a middle IRC parameter is one word, not empty and not starting with ':'")
        self.appendClipped(byte: ASCII.space, into: &buffer)
        self.appendClipped(param, into: &buffer)
    }

    /// Appends a middle parameter spelled by a literal.
    public mutating func param(_ param: StaticString, into buffer: inout EncodeBuffer) {
        param.withUTF8Buffer { self.param(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// Appends a middle parameter from a string.
    public mutating func param(string param: String, into buffer: inout EncodeBuffer) {
        var param = param
        param.withUTF8 { self.param(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// Appends a middle parameter in decimal (a count, a timestamp).
    public mutating func param(decimal value: Int, into buffer: inout EncodeBuffer) {
        precondition(self.phase == .params, "IRC parameters follow the command, before the last one")
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var length = 0
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                length += 1
                scratch[scratch.count - length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                length += 1
                scratch[scratch.count - length] = UInt8(ascii: "-")
            }
            self.param(UnsafeRawBufferPointer(rebasing: scratch[(scratch.count - length)...]), into: &buffer)
        }
    }

    /// Appends the last parameter, after a `:` when it needs one (it is empty, holds a space or
    /// starts with `:`) or when `alwaysTrailing` asks for it. NUL, CR and LF become spaces.
    public mutating func lastParam(
        _ param: UnsafeRawBufferPointer, alwaysTrailing: Bool = false, into buffer: inout EncodeBuffer
    ) {
        precondition(self.phase == .params, "the last IRC parameter follows the command")
        self.phase = .lastParam
        // NUL, CR and LF are written as spaces, so they need the colon as a space does: without it
        // "a\rb" would reach the peer as two parameters and "\r" as none.
        let needsColon =
            alwaysTrailing || param.isEmpty || param[0] == ASCII.colon || param.firstSpace(from: 0) < param.count
            || param.containsForbiddenIRCByte()
        self.appendClipped(byte: ASCII.space, into: &buffer)
        if needsColon { self.appendClipped(byte: ASCII.colon, into: &buffer) }
        self.appendClipped(param, sanitizing: .text, into: &buffer)
    }

    /// Appends the last parameter spelled by a literal.
    public mutating func lastParam(
        _ param: StaticString, alwaysTrailing: Bool = false, into buffer: inout EncodeBuffer
    ) {
        param.withUTF8Buffer {
            self.lastParam(UnsafeRawBufferPointer($0), alwaysTrailing: alwaysTrailing, into: &buffer)
        }
    }

    /// Appends the last parameter from a string.
    public mutating func lastParam(
        string param: String, alwaysTrailing: Bool = false, into buffer: inout EncodeBuffer
    ) {
        var param = param
        param.withUTF8 { self.lastParam(UnsafeRawBufferPointer($0), alwaysTrailing: alwaysTrailing, into: &buffer) }
    }

    /// Appends a CTCP message as the last parameter: `:\x01COMMAND text\x01` (`:\x01COMMAND\x01`
    /// when `text` is empty). A cut text keeps the closing `\x01`.
    ///
    /// `command` is a CTCP command such as `ACTION`; `text` has NUL, CR, LF and `\x01` turned into spaces.
    public mutating func ctcp(_ command: IRCCommand, text: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        precondition(self.phase == .params, "a CTCP message is the last IRC parameter")
        self.phase = .lastParam
        self.appendClipped(byte: ASCII.space, into: &buffer)
        self.appendClipped(byte: ASCII.colon, into: &buffer)
        self.appendClipped(byte: IRCByte.ctcpDelimiter, into: &buffer)
        command.withBytes { self.appendClipped($0, into: &buffer) }
        if !text.isEmpty {
            self.appendClipped(byte: ASCII.space, into: &buffer)
            self.appendClipped(text, sanitizing: .ctcpText, reserving: 1, into: &buffer)
        }
        // The budget kept a byte for this unless the line was already full before the text.
        self.appendClipped(byte: IRCByte.ctcpDelimiter, into: &buffer)
    }

    // MARK: End

    /// Ends the line with CR LF (outside the length budget).
    public mutating func finish(into buffer: inout EncodeBuffer) {
        precondition(self.phase == .params || self.phase == .lastParam, "an IRC line needs a command, and ends once")
        buffer.append(byte: ASCII.carriageReturn)
        buffer.append(byte: ASCII.newline)
        self.phase = .finished
    }

    // MARK: Budget

    /// Closes the tag section with a space, once, and starts the length budget of the rest.
    @usableFromInline
    mutating func closeTags(into buffer: inout EncodeBuffer) {
        guard self.bodyStart < 0 else { return }
        if self.tagCount > 0 { buffer.append(byte: ASCII.space) }
        self.bodyStart = buffer.count
    }

    /// Bytes left in the budget of the part after the tags.
    @usableFromInline
    func remaining(_ buffer: borrowing EncodeBuffer) -> Int {
        self.limits.maxLineLength - (buffer.count - self.bodyStart)
    }

    @usableFromInline
    mutating func appendClipped(byte: UInt8, into buffer: inout EncodeBuffer) {
        guard self.remaining(buffer) >= 1 else {
            self.isTruncated = true
            return
        }
        buffer.append(byte: byte)
    }

    /// Which bytes of a text become spaces.
    @usableFromInline enum Sanitizing {
        /// None: the caller's own words, already checked.
        case none
        /// NUL, CR and LF: a last parameter.
        case text
        /// NUL, CR, LF and `\x01`: the text inside a CTCP message.
        case ctcpText
    }

    /// Appends as much of `bytes` as fits the budget (less `reserve` bytes), cut on a UTF-8 boundary,
    /// with the bytes `sanitizing` names turned into spaces.
    @usableFromInline
    mutating func appendClipped(
        _ bytes: UnsafeRawBufferPointer, sanitizing: Sanitizing = .none, reserving reserve: Int = 0,
        into buffer: inout EncodeBuffer
    ) {
        var length = bytes.count
        let room = self.remaining(buffer) - reserve
        if length > room {
            self.isTruncated = true
            length = Self.utf8Boundary(in: bytes, before: max(room, 0))
        }
        let part = bytes.slice(0..<length)
        let ctcp = sanitizing == .ctcpText
        guard
            sanitizing != .none && (part.containsForbiddenIRCByte() || (ctcp && part.contains(IRCByte.ctcpDelimiter)))
        else {
            buffer.append(part)
            return
        }
        for byte in part {
            let forbidden =
                byte == ASCII.nul || byte == ASCII.carriageReturn || byte == ASCII.newline
                || (ctcp && byte == IRCByte.ctcpDelimiter)
            buffer.append(byte: forbidden ? ASCII.space : byte)
        }
    }

    /// `cut`, moved back (at most 3 bytes) so that `bytes[cut]` does not continue a UTF-8 sequence.
    /// Bytes that are not UTF-8 there are cut at `cut` itself.
    @usableFromInline
    static func utf8Boundary(in bytes: UnsafeRawBufferPointer, before cut: Int) -> Int {
        guard cut < bytes.count else { return bytes.count }
        var boundary = cut
        while boundary > 0 && cut - boundary < 3 && bytes[boundary] & 0xC0 == 0x80 {
            boundary -= 1
        }
        return bytes[boundary] & 0xC0 == 0x80 ? cut : boundary
    }

    /// Whether `bytes` hold a space, NUL, CR or LF.
    @usableFromInline
    static func holdsSeparator(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.firstSpace(from: 0) < bytes.count || bytes.containsForbiddenIRCByte()
    }
}
