// IRCDirectory: the IRC connections of one server, for what one IRC client needs to know of another.

import ChatCore
import Codec

/// The encodings (ChatState partitions) IRC clients are rendered in, chosen by the glue.
///
/// Each is rendered once per event, so what a line carries costs no per-recipient branch:
/// ``plain`` lines have no tags, ``serverTime`` lines carry `time` (a client with `server-time` but
/// not `message-tags`), and ``messageTags`` lines carry `time`, `msgid` and the client-only tags
/// the sender attached; only they get `TAGMSG`.
public struct IRCEncodings: Sendable {
    public let plain: Encoding
    public let serverTime: Encoding
    public let messageTags: Encoding

    public init(plain: Encoding, serverTime: Encoding, messageTags: Encoding) {
        self.plain = plain
        self.serverTime = serverTime
        self.messageTags = messageTags
    }

    /// The encoding of a client that enabled `capabilities`.
    func encoding(for capabilities: IRCCapabilities) -> Encoding {
        if capabilities.contains(.messageTags) { return self.messageTags }
        if capabilities.contains(.serverTime) { return self.serverTime }
        return self.plain
    }

    /// How lines for `encoding` are tagged.
    public func style(of encoding: Encoding) -> IRCEventEncoder.Style {
        if encoding == self.messageTags { return .messageTags }
        if encoding == self.serverTime { return .serverTime }
        return .plain
    }
}

/// Every IRC connection of one server, by client.
///
/// ChatCore knows clients by nick and room; what only the IRC front end knows of them (their
/// capabilities, user modes, idle time) and lines ChatCore has no event for (`TAGMSG`, the `AWAY`
/// an away user's arrival owes `away-notify` clients) go through here. None of it is on the
/// message path. Connections add themselves when created and are removed by ``IRCConnection/closed()``.
public final class IRCDirectory {
    private var entries: ContiguousArray<IRCConnection?> = []
    /// The encodings IRC clients are rendered in.
    public let encodings: IRCEncodings
    /// The server's renderer (and through it its ChatState), learnt from the first connection:
    /// held here once rather than by every connection.
    private unowned(unsafe) var boundEncoder: IRCEventEncoder?

    /// What a client has said while registering, until registration ends (admitted, or closed
    /// before): at most the clients registering at once have one, so a registered connection
    /// carries none of it.
    struct Registration {
        /// The host part of the client's mask, from the glue.
        var host: String
        /// `USER`'s user name (with its `~`) and real name.
        var user: (name: String, realName: String)?
        /// Between `CAP LS`/`REQ` and `CAP END`: registration waits.
        var negotiating = false
        /// No password is required, or `PASS` gave the right one.
        var passwordOK: Bool
    }

    private var registrations: [ClientID: Registration] = [:]

    public init(encodings: IRCEncodings) {
        self.encodings = encodings
    }

    /// The server's renderer; set once the first connection was added.
    var encoder: IRCEventEncoder {
        guard let encoder = self.boundEncoder else { preconditionFailure("IRCDirectory used before any connection") }
        return encoder
    }

    func add(_ connection: IRCConnection, encoder: IRCEventEncoder) {
        if let bound = self.boundEncoder {
            precondition(bound === encoder, "one IRCDirectory serves one IRCEventEncoder")
        } else {
            self.boundEncoder = encoder
        }
        let index = connection.id.index
        if index >= self.entries.count {
            self.entries.append(contentsOf: repeatElement(nil, count: index + 1 - self.entries.count))
        }
        self.entries[index] = connection
    }

    func remove(_ id: ClientID) {
        guard id.index < self.entries.count else { return }
        self.entries[id.index] = nil
    }

    func startRegistration(of id: ClientID, _ registration: Registration) {
        self.registrations[id] = registration
    }

    func registration(of id: ClientID) -> Registration? {
        self.registrations[id]
    }

    func updateRegistration(of id: ClientID, _ change: (inout Registration) -> Void) {
        guard let index = self.registrations.index(forKey: id) else { return }
        change(&self.registrations.values[index])
    }

    /// Registration is over (or the connection is gone); forgets what it needed.
    func endRegistration(of id: ClientID) {
        guard self.registrations.removeValue(forKey: id) != nil else { return }
        // A storm of connections grows the table; once none is registering, give the capacity
        // back rather than keep it for the next storm.
        if self.registrations.isEmpty && self.registrations.capacity > 16 { self.registrations = [:] }
    }

    /// Clients registering now, for tests.
    var registeringCount: Int { self.registrations.count }

    /// The IRC connection of `id`, or `nil` for a client of another front end (or none).
    public subscript(_ id: ClientID) -> IRCConnection? {
        guard id.index >= 0 && id.index < self.entries.count else { return nil }
        return self.entries[id.index]
    }

    /// Where lines relayed to several connections are rendered once.
    private var scratch = EncodeBuffer(capacity: 1024)
    /// The most IRC and other clients registered at once, for LUSERS.
    var maxUsers = 0

    /// Renders one line with `body` and returns its bytes, to copy to several connections.
    func render(_ body: (inout EncodeBuffer) -> Void) -> [UInt8] {
        self.scratch.removeAll()
        body(&self.scratch)
        return self.scratch.array
    }

    /// Every IRC connection that completed registration.
    var registered: [IRCConnection] {
        self.entries.compactMap { $0?.isRegistered == true ? $0 : nil }
    }
}
