// ClientIdentity: who a client says it is beyond its nick, for front ends that show it.

/// A client's user name, host and real name, as its front end registered them.
///
/// Kept apart from the per-client record, and only for clients whose front end sets one (IRC's
/// `USER`), so a line-protocol client costs nothing for it. Front ends that show a `nick!user@host`
/// or a real name look it up by client or by nick while rendering.
public struct ClientIdentity: Equatable, Sendable {
    public var user: String
    public var host: String
    public var realName: String

    public init(user: String, host: String, realName: String) {
        self.user = user
        self.host = host
        self.realName = realName
    }
}
