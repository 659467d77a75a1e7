// CTCP: the client-to-client messages carried in PRIVMSG and NOTICE texts, such as /me's ACTION.

import Codec

/// A CTCP message inside a PRIVMSG or NOTICE text: `\x01COMMAND params\x01`.
///
/// `/me waves` travels as `PRIVMSG #lobby :\x01ACTION waves\x01`. Per the Modern IRC CTCP document
/// the closing `\x01` may be missing, and the command is separated from its parameters by one space.
/// A view into the text it was found in. Render one with ``IRCLineWriter/ctcp(_:text:into:)``.
public struct CTCP {
    /// The CTCP command as sent (`ACTION`, `VERSION`); CTCP commands are upper case by convention.
    public let command: UnsafeRawBufferPointer
    /// Everything after the command and its space, up to the closing `\x01`; may be empty.
    public let params: UnsafeRawBufferPointer

    /// The CTCP message in `text`, or `nil` if `text` is an ordinary message.
    ///
    /// `text` must start with `\x01` and name a command; a text of `\x01` alone, or `\x01\x01`, is not
    /// a CTCP message.
    public init?(_ text: UnsafeRawBufferPointer) {
        guard text.count >= 2, text[0] == IRCByte.ctcpDelimiter else { return nil }
        var end = 1
        while end < text.count && text[end] != IRCByte.ctcpDelimiter { end += 1 }
        let body = text.slice(1..<end)
        let commandEnd = body.firstSpace(from: 0)
        guard commandEnd > 0 else { return nil }
        self.command = body.slice(0..<commandEnd)
        self.params = body.slice(min(commandEnd + 1, body.count)..<body.count)
    }

    /// Whether this is an `ACTION` (what `/me` sends), compared ignoring case.
    public var isAction: Bool {
        self.command.equalsIgnoringCase("action".utf8)
    }

    /// The text of `text` if it is a CTCP ACTION, or `nil`.
    public static func action(in text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let ctcp = CTCP(text), ctcp.isAction else { return nil }
        return ctcp.params
    }
}
