// IRCServerConfig: what the IRC front end says about the server: names, limits, MOTD, password.

import ChatCore

/// The IRC front end's settings, shared by every IRC connection of one server.
public struct IRCServerConfig: Sendable {
    /// The server's name, the source of every numeric (`--server-name`).
    public var serverName: String
    /// The network name in `005 NETWORK=`.
    public var network: String
    /// The version in `002` and `004`.
    public var version: String
    /// When the server started, for `003`, already worded.
    public var created: String
    /// The connection password clients must send with `PASS`, if any (`--irc-password`).
    public var password: String?
    /// The message of the day, one entry per line; `nil` answers `422`.
    public var motd: [String]?
    /// Registration must complete within this many milliseconds.
    public var registrationTimeoutMilliseconds: Int

    /// Longest topic accepted (`TOPICLEN`).
    public static let topicLength = 390
    /// The most targets of one PRIVMSG, NOTICE, TAGMSG, NAMES, WHOIS or KICK (`TARGMAX`).
    public static let maxTargets = 8

    public init(
        serverName: String = "switchboard.local", network: String = "Switchboard", version: String = "switchboard-0.1.0",
        created: String = "at start-up", password: String? = nil, motd: [String]? = nil,
        registrationTimeoutMilliseconds: Int = 30_000
    ) {
        self.serverName = serverName
        self.network = network
        self.version = version
        self.created = created
        self.password = password
        self.motd = motd
        self.registrationTimeoutMilliseconds = registrationTimeoutMilliseconds
    }

    /// The `005` tokens, in the order sent.
    public var isupport: [String] {
        [
            "CASEMAPPING=ascii", "CHANTYPES=#", "CHANMODES=b,k,l,imnt", "PREFIX=(ov)@+", "NICKLEN=\(NameKey.maxLength)",
            "CHANNELLEN=\(NameKey.maxLength + 1)", "TOPICLEN=\(Self.topicLength)", "NETWORK=\(self.network)",
            "LINELEN=512", "CHANLIMIT=#:", "MAXTARGETS=\(Self.maxTargets)", "AWAYLEN=390", "KICKLEN=390", "MODES=4",
            "TARGMAX=JOIN:,KICK:\(Self.maxTargets),NAMES:\(Self.maxTargets),NOTICE:\(Self.maxTargets),PART:,"
                + "PRIVMSG:\(Self.maxTargets),TAGMSG:\(Self.maxTargets),WHOIS:\(Self.maxTargets)",
            "WHOX",
        ]
    }
}

/// IRC channel names map to room names: `#lobby` is the room `lobby`, shared with every front end.
public enum IRCChannel {
    /// The room a channel name names, or `nil` when it is not `#` and a valid room name.
    public static func room(_ channel: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard channel.count >= 2, channel[0] == UInt8(ascii: "#") else { return nil }
        let room = UnsafeRawBufferPointer(rebasing: channel[1...])
        return NameKey(validating: room) == nil ? nil : room
    }

    /// Whether `target` is meant as a channel (starts with a channel type), valid or not.
    public static func isChannel(_ target: UnsafeRawBufferPointer) -> Bool {
        !target.isEmpty && target[0] == UInt8(ascii: "#")
    }
}
