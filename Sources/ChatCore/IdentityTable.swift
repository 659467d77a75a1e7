// IdentityTable: every client's ClientIdentity, packed: one 8-byte slot per client, the bytes
// of all identities in one shared buffer, and common hosts stored once.

/// The identities front ends registered, by client.
///
/// One per IRC client, so its size is per connection. A `[ClientID: ClientIdentity]` cost a
/// bucket of 52 bytes (three `String`s and the key) with the table's slack, 85 bytes per client
/// at 10,000. Here a client has an 8-byte slot in an array indexed like ChatState's clients
/// (grown only as far as the highest client that has an identity, so a server of line clients
/// has none), and its user and real name are stored back to back in one byte buffer that all
/// identities share: 8 bytes plus the text (`~cl1234` and `chatload 1234` are 20), with no
/// allocation per client. Hosts repeat (every client of a proxy or of this machine has the same),
/// so the first ``sharedHostLimit`` different ones are kept once, in a list the slots point into,
/// for as long as the table lives (a few KB at most); later new hosts are stored with their
/// client's text.
///
/// Bytes of identities removed or replaced stay in the buffer as garbage until there is more of
/// it than of live bytes; the buffer is then rewritten with only the live ones (O(live), on a
/// disconnect, never per message). When the last identity goes, both arrays are given back.
struct IdentityTable {
    /// Where one client's identity is in ``text``: user, host, real name, in that order.
    private struct Slot {
        var offset: UInt32
        var userCount: UInt8
        /// The host's length in ``text`` (below 128), or `0x80 | i` for ``sharedHosts`` `[i]`.
        var host: UInt8
        var realNameCount: UInt16

        static let none = Slot(offset: .max, userCount: 0, host: 0, realNameCount: 0)

        var isEmpty: Bool { self.offset == .max }
        var sharedHost: Int? { self.host & 0x80 != 0 ? Int(self.host & 0x7F) : nil }
        var hostCount: Int { self.host & 0x80 != 0 ? 0 : Int(self.host) }
        /// Bytes of ``text`` it uses.
        var byteCount: Int { Int(self.userCount) + self.hostCount + Int(self.realNameCount) }
    }

    private var slots: ContiguousArray<Slot> = []
    private var text: ContiguousArray<UInt8> = []
    /// Hosts kept once for every identity that has them; never removed, at most ``sharedHostLimit``.
    private var sharedHosts: [[UInt8]] = []
    private var sharedHostIndex: [[UInt8]: UInt8] = [:]
    /// Bytes of ``text`` no slot points to any more.
    private var garbage = 0
    /// The number of clients with an identity.
    private(set) var count = 0

    /// The longest user name kept, in bytes (longer ones are cut there).
    static let maxUser = Int(UInt8.max)
    /// The longest host kept, in bytes (longer ones are cut there; an IPv6 address is at most 45).
    static let maxHost = 127
    /// How many different hosts are stored once and shared.
    static let sharedHostLimit = 128
    /// The longest real name kept, in bytes (longer ones are cut there).
    static let maxRealName = Int(UInt16.max)

    /// Records `identity` for `id`, replacing any earlier one. Each part is cut to its limit
    /// (``maxUser``, ``maxHost``, ``maxRealName``), beyond what IRC allows.
    mutating func set(_ id: ClientID, _ identity: ClientIdentity) {
        self.remove(id)
        if id.index >= self.slots.count {
            self.slots.append(contentsOf: repeatElement(.none, count: id.index + 1 - self.slots.count))
        }
        let user = identity.user.utf8.prefix(Self.maxUser)
        let host = Array(identity.host.utf8.prefix(Self.maxHost))
        let realName = identity.realName.utf8.prefix(Self.maxRealName)
        let shared = self.sharedHost(host)
        let inlineHost = shared == nil ? host.count : 0
        precondition(self.text.count + user.count + inlineHost + realName.count < Int(UInt32.max), "identities over 4 GiB")
        let slot = Slot(
            offset: UInt32(self.text.count), userCount: UInt8(user.count),
            host: shared.map { 0x80 | $0 } ?? UInt8(host.count), realNameCount: UInt16(realName.count))
        self.text.append(contentsOf: user)
        if shared == nil { self.text.append(contentsOf: host) }
        self.text.append(contentsOf: realName)
        self.slots[id.index] = slot
        self.count += 1
    }

    /// The index of `host` among the shared hosts, made one if there is room.
    private mutating func sharedHost(_ host: [UInt8]) -> UInt8? {
        if let index = self.sharedHostIndex[host] { return index }
        guard self.sharedHosts.count < Self.sharedHostLimit else { return nil }
        let index = UInt8(self.sharedHosts.count)
        self.sharedHosts.append(host)
        self.sharedHostIndex[host] = index
        return index
    }

    /// Forgets the identity of `id`, if it has one.
    mutating func remove(_ id: ClientID) {
        guard id.index >= 0 && id.index < self.slots.count, !self.slots[id.index].isEmpty else { return }
        self.garbage += self.slots[id.index].byteCount
        self.slots[id.index] = .none
        self.count -= 1
        if self.count == 0 {
            // The shared hosts stay: the next clients most likely come from the same ones.
            self.slots = []
            self.text = []
            self.garbage = 0
        } else if self.garbage > 4096 && self.garbage > self.text.count - self.garbage {
            self.compact()
        }
    }

    /// Calls `body` with the three parts of `id`'s identity, or `nil` if it has none. The bytes
    /// are valid only during the call.
    func withIdentity<Result>(of id: ClientID, _ body: (ClientIdentityBytes?) -> Result) -> Result {
        guard id.index >= 0 && id.index < self.slots.count else { return body(nil) }
        let slot = self.slots[id.index]
        guard !slot.isEmpty else { return body(nil) }
        return self.text.withUnsafeBytes { text in
            let user = Int(slot.offset)
            let host = user + Int(slot.userCount)
            let realName = host + slot.hostCount
            let end = realName + Int(slot.realNameCount)
            let userBytes = UnsafeRawBufferPointer(rebasing: text[user..<host])
            let realNameBytes = UnsafeRawBufferPointer(rebasing: text[realName..<end])
            guard let shared = slot.sharedHost else {
                let hostBytes = UnsafeRawBufferPointer(rebasing: text[host..<realName])
                return body(ClientIdentityBytes(user: userBytes, host: hostBytes, realName: realNameBytes))
            }
            return self.sharedHosts[shared].withUnsafeBytes {
                body(ClientIdentityBytes(user: userBytes, host: $0, realName: realNameBytes))
            }
        }
    }

    /// The identity of `id` as strings (allocates for parts over 15 bytes; for listings).
    subscript(_ id: ClientID) -> ClientIdentity? {
        self.withIdentity(of: id) { bytes in
            bytes.map {
                ClientIdentity(
                    user: String(decoding: $0.user, as: UTF8.self), host: String(decoding: $0.host, as: UTF8.self),
                    realName: String(decoding: $0.realName, as: UTF8.self))
            }
        }
    }

    /// Rewrites ``text`` with only the bytes slots point to, in slot order.
    private mutating func compact() {
        var packed = ContiguousArray<UInt8>()
        packed.reserveCapacity(self.text.count - self.garbage)
        for index in self.slots.indices where !self.slots[index].isEmpty {
            let slot = self.slots[index]
            let start = Int(slot.offset)
            packed.append(contentsOf: self.text[start..<(start + slot.byteCount)])
            self.slots[index].offset = UInt32(packed.count - slot.byteCount)
        }
        self.text = packed
        self.garbage = 0
    }

    /// Bytes held for identities, garbage included (for tests).
    var textByteCount: Int { self.text.count }
}

/// The parts of a client's ``ClientIdentity`` as bytes, valid only inside the call that passed
/// them (``ChatState/withIdentity(of:_:)``): what renderers copy into `nick!user@host` without
/// making strings.
public struct ClientIdentityBytes {
    public let user: UnsafeRawBufferPointer
    public let host: UnsafeRawBufferPointer
    public let realName: UnsafeRawBufferPointer
}
