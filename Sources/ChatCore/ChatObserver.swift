// ChatObserver: every change to the chat domain, told once whoever hears of it: what a cluster of
// servers must replicate to behave as one.

/// Told of each change to the domain once, with the clients involved, however many recipients
/// (if any) heard of it: unlike the ``ChatSink``, whose events follow audiences and the presence
/// limit, an observer sees every join in every room. Calls come after the change is applied and
/// during the command that caused it; texts are valid only for the call.
///
/// A cluster node observes its state to publish what its own clients do, and applies what other
/// nodes publish by performing commands for stand-ins of their clients (whose changes it then
/// ignores here).
public protocol ChatObserver: AnyObject {
    /// `client` was admitted under `nick`.
    func chatAdmitted(_ client: ClientID, nick: Name)
    /// `client` is now called `new` (was `old`).
    func chatRenamed(_ client: ClientID, from old: Name, to new: Name)
    /// `client` entered `room`.
    func chatJoined(_ client: ClientID, room: Name)
    /// `client` left `room`: it parted or moved (a kick is ``chatKicked(_:room:by:reason:)``).
    func chatLeft(_ client: ClientID, room: Name, reason: WireText)
    /// `client` sent a chat line to `room`.
    func chatSaid(_ kind: MessageKind, room: Name, from client: ClientID, text: WireText)
    /// `client` sent a chat line to `recipient` alone.
    func chatSaid(_ kind: MessageKind, to recipient: ClientID, from client: ClientID, text: WireText)
    /// The admitted `client`, called `nick`, left the server.
    func chatDeparted(_ client: ClientID, nick: Name, reason: WireText)
    /// `client` set the topic of `room` to `text`.
    func chatTopicChanged(room: Name, by client: ClientID, text: WireText)
    /// `client` changed modes of `room`: `changes` as applied (arguments normalised, nicks as held).
    func chatModesChanged(room: Name, by client: ClientID, changes: [RoomModeChange])
    /// `client` put `target` out of `room`; `target` is no longer a member.
    func chatKicked(_ target: ClientID, room: Name, by client: ClientID, reason: WireText)
    /// `client` invited `target` into `room`.
    func chatInvited(_ target: ClientID, room: Name, by client: ClientID)
    /// `client` went away with `message`, or came back (`message` empty).
    func chatAwayChanged(_ client: ClientID, message: WireText)
    /// `client`, not a member, asks to enter `room` (which may not exist here yet) with `key`,
    /// before anything is checked. Returning `true` holds the join: nothing happens and nothing is sent, and the
    /// observer is expected to have the client ask again later (a cluster node first learns what
    /// other nodes know of the room). Not asked for ``ChatState/replay(_:from:)``.
    func chatWillJoin(_ client: ClientID, room: Name, key: WireText?) -> Bool
    /// `client` sends a private line to `nick`, which no client here holds. Returning `true`
    /// takes the line over: nothing is sent and no error, and the observer reports
    /// ``ChatError/noSuchNick(_:)`` itself if the nick is held nowhere (a cluster node asks which
    /// node holds it and sends the line there). Not asked for ``ChatState/replay(_:from:)``.
    func chatWillMessageAbsent(_ kind: MessageKind, to nick: Name, from client: ClientID, text: WireText) -> Bool
}

/// Observers that only replicate some changes need not hear of the rest.
extension ChatObserver {
    public func chatTopicChanged(room: Name, by client: ClientID, text: WireText) {}
    public func chatModesChanged(room: Name, by client: ClientID, changes: [RoomModeChange]) {}
    public func chatKicked(_ target: ClientID, room: Name, by client: ClientID, reason: WireText) {}
    public func chatInvited(_ target: ClientID, room: Name, by client: ClientID) {}
    public func chatAwayChanged(_ client: ClientID, message: WireText) {}
    public func chatWillJoin(_ client: ClientID, room: Name, key: WireText?) -> Bool { false }
    public func chatWillMessageAbsent(_ kind: MessageKind, to nick: Name, from client: ClientID, text: WireText) -> Bool {
        false
    }
}
