// RoomSettings: a room's topic, modes, operators, voices, bans and invitations.

/// A channel mode a front end can set: IRC's `+i +k +l +m +n +t +b +o +v`, in domain terms.
public enum RoomMode: UInt8, Sendable, CaseIterable {
    /// Only invited clients may join (`i`).
    case inviteOnly
    /// Joining needs the key (`k`, with an argument).
    case key
    /// At most a number of members (`l`, with an argument when set).
    case limit
    /// Only operators and voiced members may speak (`m`).
    case moderated
    /// Only members may send to the room (`n`; on by default).
    case noOutsideMessages
    /// Only operators may change the topic (`t`; on by default).
    case topicLocked
    /// A ban mask, `nick!user@host` with `*` and `?` (`b`, with an argument).
    case ban
    /// A member's operator status (`o`, with a nick).
    case op
    /// A member's voice (`v`, with a nick).
    case voice
}

/// One mode change asked for or applied: `+` or `-`, the mode, and its argument if it takes one.
public struct RoomModeChange: Equatable, Sendable {
    public var adding: Bool
    public var mode: RoomMode
    /// The key, the limit, the mask or the nick, as sent (or as applied).
    public var argument: String?

    public init(adding: Bool, mode: RoomMode, argument: String? = nil) {
        self.adding = adding
        self.mode = mode
        self.argument = argument
    }
}

/// Why a client could not join a room.
public enum JoinRefusal: UInt8, Sendable {
    case inviteOnly, badKey, full, banned
}

/// A member's standing in a room.
public struct MemberStatus: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let op = MemberStatus(rawValue: 1)
    public static let voice = MemberStatus(rawValue: 2)
}

/// What a room holds beyond its members. Allocated only for rooms that need it: every room gets one
/// when created (its creator is an operator), and the line protocol never looks at it.
final class RoomSettings {
    var topic: [UInt8] = []
    var topicSetBy = ""
    /// Wall-clock seconds when the topic was set, and when the room was created.
    var topicSetAt: Int64 = 0
    var createdAt: Int64 = 0
    var inviteOnly = false
    var moderated = false
    var noOutsideMessages = true
    var topicLocked = true
    var key: [UInt8]?
    var limit: Int?
    var bans: [String] = []
    var ops: Set<ClientID> = []
    var voices: Set<ClientID> = []
    var invited: Set<ClientID> = []

    func status(of client: ClientID) -> MemberStatus {
        var status: MemberStatus = []
        if self.ops.contains(client) { status.insert(.op) }
        if self.voices.contains(client) { status.insert(.voice) }
        return status
    }

    /// The flag modes set, as a mode string: `+nt`, `+iklmnt` (arguments not included).
    var flagModes: [RoomModeChange] {
        var modes: [RoomModeChange] = []
        if self.inviteOnly { modes.append(RoomModeChange(adding: true, mode: .inviteOnly)) }
        if let key = self.key { modes.append(RoomModeChange(adding: true, mode: .key, argument: String(decoding: key, as: UTF8.self))) }
        if let limit = self.limit { modes.append(RoomModeChange(adding: true, mode: .limit, argument: String(limit))) }
        if self.moderated { modes.append(RoomModeChange(adding: true, mode: .moderated)) }
        if self.noOutsideMessages { modes.append(RoomModeChange(adding: true, mode: .noOutsideMessages)) }
        if self.topicLocked { modes.append(RoomModeChange(adding: true, mode: .topicLocked)) }
        return modes
    }

    /// Forgets a member's standing when it leaves.
    func forget(_ client: ClientID) {
        self.ops.remove(client)
        self.voices.remove(client)
    }
}

/// `*` and `?` wildcard matching, ASCII case-insensitive: ban masks here, WHO masks in IRC.
public enum Wildcard {
    /// Whether `text` matches `pattern`, where `*` is any run and `?` any one character.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { Self.matches(Array(pattern.utf8), UnsafeRawBufferPointer($0)) }
    }

    /// The same over bytes: `*` any run, `?` any one byte.
    public static func matches(_ pattern: [UInt8], _ text: UnsafeRawBufferPointer) -> Bool {
        var (p, t) = (0, 0)
        var star = -1
        var resume = 0
        while t < text.count {
            // `*` first: a `*` in the text is a character like any other, never a match for the star.
            if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || Self.fold(pattern[p]) == Self.fold(text[t])) {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    private static func fold(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
}
