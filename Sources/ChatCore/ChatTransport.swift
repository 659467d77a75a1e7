// ChatTransport: how ChatCore hands outgoing lines to the connections the glue owns.

/// The connection side of ``ChatState``: queues encoded lines for clients and closes them.
///
/// The server glue implements this on top of its sockets; tests implement it with an array. ChatCore
/// never touches a socket itself.
///
/// ## Reentrancy
///
/// ``ChatState`` is not reentrant. While one of its methods runs, the transport may call
/// ``ChatState/disconnect(_:reason:transport:)`` (for example when ``send(_:to:)`` finds that a slow
/// consumer has exceeded its output limit); the state defers that disconnect until the current
/// delivery has finished, so a broadcast is never cut short by one of its recipients leaving. Reading
/// and updating ``ChatState/counters`` (for example adding to `bytesOut`) and calling
/// ``ChatState/nick(of:)`` or ``ChatState/room(of:)`` are fine too. Calling any other method of
/// ``ChatState`` from inside ``send(_:to:)`` or ``close(_:)`` is a programmer error and traps.
public protocol ChatTransport: AnyObject {
    /// Queues one protocol line for `client`.
    ///
    /// For a room message the same buffer is passed once per recipient, so implementations should copy
    /// the bytes and return quickly.
    ///
    /// - Parameters:
    ///   - line: A complete protocol line including its trailing `"\n"`. The buffer is only valid for the
    ///     duration of the call: copy it, do not keep it.
    ///   - client: The recipient. It may already be scheduled for disconnection; a transport should drop
    ///     lines for clients it has closed.
    func send(_ line: UnsafeRawBufferPointer, to client: ClientID)

    /// Flushes whatever is queued for `client`, then closes the connection.
    ///
    /// ``ChatState`` calls this after sending `BYE` in reply to `/quit`. The glue is still expected to
    /// call ``ChatState/disconnect(_:reason:transport:)`` once the connection is actually gone.
    ///
    /// - Parameter client: The client to close.
    func close(_ client: ClientID)

    /// Queues `line` for every client in `clients` except `excluded`, and returns how many it
    /// was queued for.
    ///
    /// Room messages go through here: one call per message rather than one dynamic ``send(_:to:)``
    /// call per member, so a transport can run the whole fan-out as one tight loop. The default
    /// implementation calls ``send(_:to:)`` for each recipient.
    func broadcast(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int

    /// Like ``broadcast(_:to:except:)``, for presence lines (`JOIN`, `PART`, `NICK`) to a room.
    ///
    /// Nobody waits on these, and a burst of arrivals into one room produces one for every member
    /// per arrival, so a transport may hold them briefly and send several in one write, as long
    /// as each client's lines stay in order. The default implementation is
    /// ``broadcast(_:to:except:)``.
    func announce(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int
}

extension ChatTransport {
    public func announce(
        _ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?
    ) -> Int {
        self.broadcast(line, to: clients, except: excluded)
    }

    public func broadcast(
        _ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?
    ) -> Int {
        var delivered = 0
        for client in clients where client != excluded {
            self.send(line, to: client)
            delivered += 1
        }
        return delivered
    }
}
