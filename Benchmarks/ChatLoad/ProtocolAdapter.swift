// ProtocolAdapter: everything chatload knows about a server's wire protocol, as a handful of
// byte strings. Workloads never branch on the protocol; they ask the adapter for the lines to
// send and the marker that means "this connection is ready" (or, for IRC, a short list of such
// steps: register, then join). Receivers do not parse replies at all (they scan for stamps, see
// Stamp.swift), so a new protocol is one more small struct.

/// One step of setting up a connection: bytes to send, then what ends the step.
struct SetupStep: Equatable, Sendable {
    /// Sent when the step begins (the first step: right after connecting).
    var send: [UInt8]
    /// Any one of these in what the connection read since the step began ends the step; none:
    /// the step ends as soon as `send` is written. The buffer searched starts with a virtual `\n`
    /// so markers can anchor at line starts.
    var doneMarkers: [[UInt8]]
}

/// Who a connection is in the plan, for the adapters whose setup depends on it.
struct ConnectionRole: Sendable {
    /// The connection's index in the plan (IRC nicks are `cl<index>`).
    var index: Int
    /// The room it subscribes to or joins during setup (nil: none).
    var room: String?
    /// Whether it sends messages.
    var isSender: Bool
    /// Whether it publishes to a room it is subscribed to (Redis needs RESP3 for that).
    var publishesWhileSubscribed: Bool
}

/// The bytes a workload sends and the markers it waits for, for one server protocol.
///
/// A publish is `publishPrefix(room:) + payload + lineEnd` and a ping is
/// `pingPrefix + token + lineEnd`; the split lets the sender write the stamp straight into its
/// scratch buffer without building a `String` per message.
protocol ProtocolAdapter: Sendable {
    /// The `--protocol` name.
    var name: String { get }

    /// What ends every request line.
    var lineEnd: [UInt8] { get }

    /// Sent once right after connecting, before anything else, by connections that both
    /// publish and subscribe (Redis needs RESP3 for that); empty when not needed.
    func preamble(publishesWhileSubscribed: Bool) -> [UInt8]

    /// The request that subscribes to (or joins) `room`.
    func subscribeLine(room: String) -> [UInt8]

    /// Whether a connection must be in a room to publish to it (chat) or not (Redis).
    var publisherJoinsRoom: Bool { get }

    /// The bytes before the payload of a message to `room`.
    func publishPrefix(room: String) -> [UInt8]

    /// The bytes before the token of a ping whose reply echoes the token.
    var pingPrefix: [UInt8] { get }

    /// What a connection sees when it is ready: after subscribing to `room`, or with `room`
    /// nil, right after connecting (nil marker: ready as soon as TCP connects). The setup
    /// buffer starts with a virtual `\n` so markers can anchor at line starts.
    func readyMarker(room: String?) -> [UInt8]?

    /// Whether `line` (one line read during setup, without its `\n` or `\r`) is an error reply
    /// that fails the run.
    func isErrorLine(_ line: ArraySlice<UInt8>) -> Bool

    /// The steps that set up a connection; the default is one step, ``preamble(publishesWhileSubscribed:)``
    /// plus ``subscribeLine(room:)``, ended by ``readyMarker(room:)``.
    func setupSteps(for role: ConnectionRole) -> [SetupStep]

    /// Whether the server may send PINGs that the client must answer (scanned for in every read).
    var answersServerPings: Bool { get }

    /// The reply to `line` (without its line end) if it is a server PING the client must
    /// answer; nil otherwise (and always, for protocols whose servers send no PINGs).
    func pong(to line: ArraySlice<UInt8>) -> [UInt8]?

    /// The room an idle connection subscribes to so that the server does per-client work and
    /// replies (nil: the greeting alone proves the server accepted and set up the client).
    var idleRoom: String? { get }

    /// Whether a connection that publishes to a room it is subscribed to gets its own message.
    var echoesToSender: Bool { get }
}

extension ProtocolAdapter {
    func setupSteps(for role: ConnectionRole) -> [SetupStep] {
        var send = self.preamble(publishesWhileSubscribed: role.publishesWhileSubscribed)
        if let room = role.room { send += self.subscribeLine(room: room) }
        return [SetupStep(send: send, doneMarkers: self.readyMarker(room: role.room).map { [$0] } ?? [])]
    }

    var answersServerPings: Bool { false }

    func pong(to line: ArraySlice<UInt8>) -> [UInt8]? { nil }

    /// `publishPrefix(room:) + payload + lineEnd` as one array (setup paths and tests only).
    func publishLine(room: String, payload: [UInt8]) -> [UInt8] {
        self.publishPrefix(room: room) + payload + self.lineEnd
    }

    /// `pingPrefix + token + lineEnd` as one array (setup paths and tests only).
    func pingLine(token: [UInt8]) -> [UInt8] {
        self.pingPrefix + token + self.lineEnd
    }
}

/// Switchboard's line protocol: `WELCOME <nick> <room>` on connect, `/join ROOM` answered by
/// `JOIN <room> <nick>`, plain lines are messages, `/ping T` answered by `PONG T`.
struct LineProtocolAdapter: ProtocolAdapter {
    var name: String { "line" }
    var lineEnd: [UInt8] { Array("\n".utf8) }
    func preamble(publishesWhileSubscribed: Bool) -> [UInt8] { [] }
    func subscribeLine(room: String) -> [UInt8] { Array("/join \(room)\n".utf8) }
    var publisherJoinsRoom: Bool { true }
    func publishPrefix(room: String) -> [UInt8] { [] }
    var pingPrefix: [UInt8] { Array("/ping ".utf8) }
    func readyMarker(room: String?) -> [UInt8]? {
        // Only our own JOIN can arrive before we are a member, so the first one is the reply.
        guard let room else { return Array("\nWELCOME ".utf8) }
        return Array("\nJOIN \(room) ".utf8)
    }
    func isErrorLine(_ line: ArraySlice<UInt8>) -> Bool { line.starts(with: "ERR".utf8) }
    var idleRoom: String? { nil }
    var echoesToSender: Bool { false }
}

/// Redis pub/sub through inline commands: `SUBSCRIBE room` (confirmed by a `subscribe` array),
/// `PUBLISH room payload` (answered by `:N`), `PING token` (answered by the token).
///
/// A RESP2 connection may send nothing but (un)subscribe commands once subscribed, so
/// connections that publish and subscribe switch to RESP3 with `HELLO 3` first. Redis then also
/// delivers a publisher's message to itself; chatload counts those apart and not as deliveries.
struct RedisProtocolAdapter: ProtocolAdapter {
    var name: String { "redis" }
    var lineEnd: [UInt8] { Array("\r\n".utf8) }
    func preamble(publishesWhileSubscribed: Bool) -> [UInt8] {
        publishesWhileSubscribed ? Array("HELLO 3\r\n".utf8) : []
    }
    func subscribeLine(room: String) -> [UInt8] { Array("SUBSCRIBE \(room)\r\n".utf8) }
    var publisherJoinsRoom: Bool { false }
    func publishPrefix(room: String) -> [UInt8] { Array("PUBLISH \(room) ".utf8) }
    var pingPrefix: [UInt8] { Array("PING ".utf8) }
    func readyMarker(room: String?) -> [UInt8]? {
        // RESP2 `*3\r\n$9\r\nsubscribe\r\n...` and RESP3 `>3\r\n$9\r\nsubscribe\r\n...` alike.
        guard room != nil else { return nil }
        return Array("$9\r\nsubscribe\r\n".utf8)
    }
    func isErrorLine(_ line: ArraySlice<UInt8>) -> Bool { line.first == UInt8(ascii: "-") }
    var idleRoom: String? { "lobby" }
    var echoesToSender: Bool { true }
}

/// The adapters `--protocol` accepts, by name.
enum ProtocolAdapters {
    static let all: [any ProtocolAdapter] = [LineProtocolAdapter(), RedisProtocolAdapter(), IRCProtocolAdapter()]

    static func named(_ name: String) -> (any ProtocolAdapter)? {
        self.all.first { $0.name == name }
    }

    /// The adapter of `options.protocolName`, configured by the options that concern it.
    static func adapter(for options: Options) -> (any ProtocolAdapter)? {
        guard var adapter = self.named(options.protocolName) else { return nil }
        if var irc = adapter as? IRCProtocolAdapter {
            irc.oper = options.ircOper
            irc.senderModes = options.ircSenderModes
            adapter = irc
        }
        return adapter
    }

    static var names: [String] { self.all.map(\.name) }
}
