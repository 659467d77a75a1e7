// SessionTable: the one table of clients by ClientID: who they are and where their output goes.

import ChatCore
import Reactor

/// Every client the server knows, indexed by ``ClientID/raw``, and the allocator of those IDs.
///
/// IDs are not descriptors: the table hands out the lowest recently freed slot, so they stay small
/// and dense, and a client with no socket here (one reached through another server) can have one.
/// ``ChatState`` keeps its domain state under the same IDs; the table is the glue's side, and the
/// fan-out loop reads it directly.
///
/// Entries are unretained: the reactor owns each open ``Connection``, and the connection owns its
/// handler (the session). An entry is cleared in the session's close callback, before the
/// connection lets go of either, so a delivery never reaches a released object.
final class SessionTable {
    struct Entry {
        /// Where the client's bytes go; `nil` for a free slot.
        var connection: Unmanaged<Connection>?
        var session: Unmanaged<Session>?
    }

    /// Read by the fan-out loop through a buffer pointer.
    @exclusivity(unchecked) private(set) var entries: ContiguousArray<Entry> = []
    /// Freed slots, most recent last, reused first so the table stays dense.
    private var free: [Int32] = []
    /// Clients with a session.
    private(set) var count = 0

    /// Reserves an ID for a new session.
    func allocate() -> ClientID {
        if let raw = self.free.popLast() { return ClientID(raw) }
        self.entries.append(Entry())
        return ClientID(Int32(self.entries.count - 1))
    }

    /// Records the session and connection of an ID from ``allocate()``.
    func attach(_ id: ClientID, session: Session, connection: Connection) {
        precondition(self.entries[id.index].connection == nil, "\(id) attached twice")
        self.entries[id.index] = Entry(
            connection: Unmanaged.passUnretained(connection), session: Unmanaged.passUnretained(session))
        self.count += 1
    }

    /// Clears the entry of a closed session: nothing more is delivered to it.
    func detach(_ id: ClientID) {
        guard self.entries[id.index].connection != nil else { return }
        self.entries[id.index] = Entry()
        self.count -= 1
    }

    /// Returns an ID to the pool, once ChatState has forgotten it too.
    func release(_ id: ClientID) {
        precondition(self.entries[id.index].connection == nil, "\(id) released while attached")
        self.free.append(id.raw)
    }

    /// The session of `id`, if it is attached.
    func session(_ id: ClientID) -> Session? {
        guard id.index < self.entries.count else { return nil }
        return self.entries[id.index].session?.takeUnretainedValue()
    }

    /// Every attached session (allocates; for shutdown).
    var sessions: [Session] {
        self.entries.compactMap { $0.session?.takeUnretainedValue() }
    }
}
