// ChatConfig: the tunables of the chat domain.

/// Settings for a ``ChatState``.
///
/// ```swift
/// let state = ChatState(config: ChatConfig(presenceLimit: 500), clock: monotonicMilliseconds)
/// ```
public struct ChatConfig: Sendable {
    /// Rooms with more members than this get no presence events (arrivals, departures, renames).
    ///
    /// Announcing every arrival to every member makes a connection storm into one room quadratic; above
    /// the limit only the acting client hears its own confirmation, so each event costs O(1).
    public var presenceLimit: Int = 1000

    /// The room every new client starts in. Must be a valid name: 1–32 of `[A-Za-z0-9_-]`.
    public var lobby: String = "lobby"

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - presenceLimit: The largest room that still gets presence lines. Defaults to 1000.
    ///   - lobby: The name of the room new clients join. Defaults to `lobby`.
    public init(presenceLimit: Int = 1000, lobby: String = "lobby") {
        self.presenceLimit = presenceLimit
        self.lobby = lobby
    }
}
