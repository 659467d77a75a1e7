// IRCLimits: the length and parameter limits the IRC parser enforces and the encoder renders within.

/// How long an IRC line may be, in its two separately limited parts, and how many parameters it has.
///
/// A line is `[@tags SPACE] rest CR LF`. The tag section (from `@` through the space that ends it)
/// and the rest (source, command and parameters, without CR LF) have separate budgets, as the IRCv3
/// message-tags specification and RFC 1459's 512 bytes say. Both counts are bytes, not characters.
public struct IRCLimits: Sendable, Equatable {
    /// The most bytes of the tag section, including the leading `@` and the space that ends it.
    public var maxTagsLength: Int
    /// The most bytes after the tag section, without the CR LF: RFC 1459's 512 less 2.
    public var maxLineLength: Int
    /// The most parameters (1...15). After `maxParams - 1` middle parameters, the rest of the line
    /// is the last one, as in RFC 2812's grammar.
    public var maxParams: Int

    /// Creates limits; a parameter count outside 1...15 or a negative length is a programmer error.
    public init(maxTagsLength: Int = 8191, maxLineLength: Int = 510, maxParams: Int = 15) {
        precondition((1...IRCMessage.paramCapacity).contains(maxParams), "IRC messages have 1 to 15 parameters")
        precondition(maxTagsLength >= 0 && maxLineLength >= 0, "IRC limits are byte counts")
        // Offsets into a line are stored as Int32.
        precondition(maxTagsLength + maxLineLength < Int(Int32.max), "IRC limits must fit a 32-bit offset")
        self.maxTagsLength = maxTagsLength
        self.maxLineLength = maxLineLength
        self.maxParams = maxParams
    }

    /// The wire limits: 8191 bytes of tag section, 510 bytes of the rest, 15 parameters.
    ///
    /// These are what a line may have once a server has added its own tags, so they are the limits
    /// for lines a server sends and for lines a client receives.
    public static let standard = IRCLimits()

    /// The limits a server applies to lines from clients: a tag section of at most 4096 bytes.
    ///
    /// "Clients MUST NOT send messages with tag data exceeding 4094 bytes" (IRCv3 message-tags), which
    /// is 4096 with the `@` and the space; a server answers a longer one with 417 (ERR_INPUTTOOLONG).
    public static let fromClient = IRCLimits(maxTagsLength: 4096)
}
