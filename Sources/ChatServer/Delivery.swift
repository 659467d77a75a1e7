// Delivery: the ChatSink: renders each event once per encoding and copies it to every recipient.

import ChatCore
import Codec
import IRCFrontEnd
import LineProtocol
import Reactor
import WebSocket

/// The encodings this server speaks; ChatCore only sees their numbers.
///
/// IRC over WebSocket has encodings of its own (the IRC lines framed, text or binary as the
/// subprotocol says), so a room line is framed once for all WebSocket members, as it is rendered
/// once for all TCP members.
enum FrontEnd {
    /// Line protocol v1.
    static let line = Encoding(0)
    /// IRC without message tags.
    static let irc = Encoding(1)
    /// IRC with `server-time` but not `message-tags`: every line carries `time`.
    static let ircServerTime = Encoding(2)
    /// IRC with `message-tags`: `time` on every line, `msgid` and client-only tags on messages.
    static let ircMessageTags = Encoding(3)
    /// The three IRC encodings, for the IRC front end.
    static let ircEncodings = IRCEncodings(plain: irc, serverTime: ircServerTime, messageTags: ircMessageTags)
    /// The first of the three IRC encodings in text frames (`text.ircv3.net`), then in binary
    /// frames (`binary.ircv3.net`): each in the order of ``ircEncodings``.
    static let webTextBase: UInt8 = 4
    static let webBinaryBase: UInt8 = 7

    /// The IRC encoding `encoding` is, or carries over WebSocket.
    @inline(__always)
    static func ircEncoding(of encoding: Encoding) -> Encoding {
        let index = encoding.index
        if index >= webBinaryBase { return Encoding(index - webBinaryBase + 1) }
        if index >= webTextBase { return Encoding(index - webTextBase + 1) }
        return encoding
    }

    /// The frame opcode of a WebSocket encoding, `nil` for one on a byte stream.
    @inline(__always)
    static func webOpcode(of encoding: Encoding) -> WebSocketOpcode? {
        let index = encoding.index
        if index >= webBinaryBase { return .binary }
        if index >= webTextBase { return .text }
        return nil
    }

    /// Stand-ins for clients of other cluster nodes (ClusterNode.swift): nothing is sent to them,
    /// their own node delivers to them what its ``ChatObserver`` publishes.
    static let remote = Encoding(10)

    /// IRC encoding `irc` (one of ``ircEncodings``) in frames of `opcode`.
    static func web(_ irc: Encoding, _ opcode: WebSocketOpcode) -> Encoding {
        Encoding((opcode == .binary ? webBinaryBase : webTextBase) + irc.index - 1)
    }
}

/// Turns ChatState's events into connection writes.
///
/// For each ``ChatSink/deliver(_:to:)`` call the event is rendered once, by the encoder of the
/// recipients' encoding, into one scratch buffer, and the same bytes are then copied to each
/// recipient's output queue in a loop with no dynamic call and no reference counting.
final class Delivery: ChatSink {
    let table = SessionTable()
    /// Set right after the state is created (the state needs the sink first); never `nil` after.
    unowned(unsafe) var state: ChatState!
    /// Every outgoing line is rendered here, so deliveries allocate nothing once it has grown.
    @exclusivity(unchecked) private var scratch = EncodeBuffer()
    /// Set with ``state``: the IRC front end's renderer.
    var ircEncoder: IRCEventEncoder!
    /// Where ``scratch``'s lines are framed for WebSocket members.
    @exclusivity(unchecked) private var framed = EncodeBuffer()

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        self.scratch.removeAll()
        switch recipients.encoding {
        case FrontEnd.line:
            LineEncoder.encode(event, into: &self.scratch)
        case FrontEnd.remote:
            return 0
        default:
            let single = recipients.clients.count == 1 ? recipients.clients[0] : nil
            let irc = FrontEnd.ircEncoding(of: recipients.encoding)
            self.ircEncoder.encode(
                event, style: FrontEnd.ircEncodings.style(of: irc), recipient: single, into: &self.scratch)
            if let opcode = FrontEnd.webOpcode(of: recipients.encoding) {
                return self.fanOutFramed(event, opcode, recipients)
            }
            if case .awayChanged = event {
                return self.fanOutToAwayNotify(self.scratch.bytes, recipients)
            }
        }
        guard self.scratch.count > 0 else { return 0 }
        // Presence to a room is coalesced for a few milliseconds (Connection.enqueue): in a
        // connection storm into a room within the presence limit, every member would otherwise cost
        // a write per loop iteration. A confirmation to the actor alone is a reply and is not held.
        let coalesce: Bool
        if case .client = recipients.audience { coalesce = false } else { coalesce = event.isPresence }
        return self.fanOut(self.scratch.bytes, to: recipients.clients, except: recipients.excluded, coalesce: coalesce)
    }

    /// The IRC lines in ``scratch``, framed once for the WebSocket members among `recipients`.
    private func fanOutFramed(_ event: ChatEvent, _ opcode: WebSocketOpcode, _ recipients: Recipients) -> Int {
        guard self.scratch.count > 0 else { return 0 }
        self.framed.removeAll()
        WebSocketFrameEncoder.writeLineFrames(of: self.scratch.bytes, opcode: opcode, into: &self.framed)
        if case .awayChanged = event {
            return self.fanOutToAwayNotify(self.framed.bytes, recipients)
        }
        let coalesce: Bool
        if case .client = recipients.audience { coalesce = false } else { coalesce = event.isPresence }
        return self.fanOut(self.framed.bytes, to: recipients.clients, except: recipients.excluded, coalesce: coalesce)
    }

    func close(_ client: ClientID) {
        guard let session = self.table.session(client) else { return }
        session.ending = .quit
        session.hangUp()
    }

    /// Renders a reply of the front end's own (`PONG`, the help text, an error the glue reports on
    /// closing) with `render` and queues it for `session`, its lines framed in `framing` messages
    /// for a WebSocket session.
    func reply(
        to session: Session, framing: WebSocketOpcode? = nil, _ render: (inout EncodeBuffer) -> Void
    ) {
        self.scratch.removeAll()
        render(&self.scratch)
        guard let framing else {
            session.connection.write(self.scratch.bytes)
            self.state.counters.bytesOut &+= self.scratch.count
            return
        }
        self.framed.removeAll()
        WebSocketFrameEncoder.writeLineFrames(of: self.scratch.bytes, opcode: framing, into: &self.framed)
        session.connection.write(self.framed.bytes)
        self.state.counters.bytesOut &+= self.framed.count
    }

    /// Away changes go only to IRC clients that asked for them (`away-notify`); rare enough that the
    /// per-recipient check costs nothing that matters.
    private func fanOutToAwayNotify(_ line: UnsafeRawBufferPointer, _ recipients: Recipients) -> Int {
        var delivered = 0
        for client in recipients.clients where client != recipients.excluded {
            guard let session = self.table.session(client) as? IRCSession,
                session.front.capabilities.contains(.awayNotify)
            else { continue }
            session.connection.enqueue(line)
            delivered += 1
        }
        self.state.counters.bytesOut &+= line.count &* delivered
        return delivered
    }

    /// The fan-out loop: no dynamic call, no reference counting per recipient.
    @inline(__always)
    private func fanOut(
        _ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?,
        coalesce: Bool
    ) -> Int {
        let excludedRaw = excluded?.raw ?? -1
        let delivered = self.table.entries.withUnsafeBufferPointer { entries in
            var delivered = 0
            for client in clients where client.raw != excludedRaw {
                let index = Int(client.raw)
                guard index < entries.count, let connection = entries[index].connection else { continue }
                if coalesce {
                    connection._withUnsafeGuaranteedRef { $0.enqueue(line) }
                } else {
                    connection._withUnsafeGuaranteedRef { $0.write(line) }
                }
                delivered += 1
            }
            return delivered
        }
        self.state.counters.bytesOut &+= line.count &* delivered
        return delivered
    }
}
