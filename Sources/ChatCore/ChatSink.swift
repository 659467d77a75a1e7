// ChatSink: where ChatState's events go; the glue renders and delivers them.

/// The delivery side of ``ChatState``: renders events for each encoding and queues them for clients.
///
/// ``ChatState`` is given one sink at creation and hands it every event it produces. The server glue
/// implements it on its sessions, rendering with each front end's encoder; tests implement it by
/// recording the events. ChatCore never touches a socket or a wire byte itself.
///
/// ## Reentrancy
///
/// ``ChatState`` is not reentrant. While one of its methods runs, the sink may call
/// ``ChatState/disconnect(_:reason:)`` (for example when a slow consumer exceeds its output limit);
/// the state defers that disconnect until the current delivery has finished, so a broadcast is never
/// cut short by one of its recipients leaving. Reading and updating ``ChatState/counters`` and the
/// read-only queries (``ChatState/nick(of:)``, ``ChatState/room(of:)``, ``ChatState/hasQuit(_:)``) are
/// fine too. Calling any other method of ``ChatState`` from inside the sink is a programmer error and
/// traps.
public protocol ChatSink: AnyObject {
    /// Renders `event` for `recipients.encoding` and queues it for each of `recipients.clients` except
    /// `recipients.excluded`.
    ///
    /// For a room the event comes once per encoding present, so a sink renders once per call and
    /// copies the same bytes to every recipient in a tight loop.
    ///
    /// - Returns: How many clients it was queued for (a recipient the glue has already closed is
    ///   skipped and not counted).
    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int

    /// Flushes whatever is queued for `client`, then closes its connection.
    ///
    /// ``ChatState`` calls this after ``ChatEvent/bye(reason:)`` in reply to
    /// ``ChatCommand/quit(reason:)``. The glue still calls ``ChatState/disconnect(_:reason:)`` once the
    /// connection is actually gone.
    func close(_ client: ClientID)
}
