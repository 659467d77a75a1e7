// Client: what the chat domain knows about one connected client.

/// One connected client: its nick, its room, and where it sits in that room.
///
/// A class rather than a struct because the message path reads it once per line: fetching a
/// reference out of ``ChatState``'s client table is one retain, where copying a struct of a string, two
/// arrays and a reference out of it was four.
final class Client {
    /// The client's current nick.
    var nick: Name
    // 32 bits, declared right after the 33-byte nick so it fills the nick's padding: one Client per
    // connected client, and this keeps it in a 72-byte object.
    private var slotIndex: Int32
    /// The room the client is in. Every connected client is in exactly one room.
    var room: Room
    /// The client's index in `room.members`, kept current so leaving is O(1).
    var slot: Int {
        get { Int(self.slotIndex) }
        set { self.slotIndex = Int32(newValue) }
    }
    /// Set once the client sends `/quit`: later lines are ignored, and this reason is used for the
    /// `PART` line when the glue disconnects the client.
    var quitReason: [UInt8]?

    init(nick: Name, room: Room, slot: Int) {
        self.nick = nick
        self.room = room
        self.slotIndex = Int32(slot)
    }

    var hasQuit: Bool { self.quitReason != nil }
}
