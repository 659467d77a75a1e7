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
    /// `client` left `room`: it parted, moved, or was kicked.
    func chatLeft(_ client: ClientID, room: Name, reason: WireText)
    /// `client` sent a chat line to `room`.
    func chatSaid(_ kind: MessageKind, room: Name, from client: ClientID, text: WireText)
    /// `client` sent a chat line to `recipient` alone.
    func chatSaid(_ kind: MessageKind, to recipient: ClientID, from client: ClientID, text: WireText)
    /// The admitted `client`, called `nick`, left the server.
    func chatDeparted(_ client: ClientID, nick: Name, reason: WireText)
}
