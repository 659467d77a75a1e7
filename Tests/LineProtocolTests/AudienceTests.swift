// AudienceTests: which audience each kind of line is addressed to, which decides what the server's
// delivery may coalesce (presence to a room) and what it writes at once (replies, messages).

import ChatCore
import Codec
import LineProtocol
import Testing

/// Records, per delivery, the audience and whether the event was presence.
final class RoutingSink: ChatSink {
    var routes: [String] = []

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        let route: String
        switch recipients.audience {
        case .client: route = "client"
        case .room: route = event.isPresence ? "room presence" : "room"
        case .peers: route = "peers"
        }
        let lines = String(decoding: LineEncoder.lines(for: event).dropLast(), as: UTF8.self)
        self.routes.append("\(route): \(lines)")
        return recipients.clients.filter { $0 != recipients.excluded }.count
    }

    func close(_ client: ClientID) {}
}

@Suite struct AudienceTests {
    @Test("presence goes to rooms or peers, chat lines to the room, replies to the client")
    func routes() {
        let sink = RoutingSink()
        let chat = ChatState(config: ChatConfig(presenceLimit: 10), clock: { 0 }, sink: sink)
        let (a, b) = (ClientID(1), ClientID(2))
        for client in [a, b] {
            chat.connect(client, encoding: Encoding(0))
            chat.admit(client)
        }
        for line in ["hello", "/me waves", "/nick bob", "/join den", "/who"] {
            Array(line.utf8).withUnsafeBytes { handleLine($0, from: b, state: chat, sink: nil) }
        }
        chat.disconnect(a, reason: "gone")
        #expect(
            sink.routes == [
                "client: WELCOME guest1 lobby", "room presence: JOIN lobby guest1",
                "client: WELCOME guest2 lobby", "room presence: JOIN lobby guest2",
                "room: MSG lobby guest2 hello", "room: ACTION lobby guest2 waves",
                "peers: NICK guest2 bob", "room presence: PART lobby bob", "room presence: JOIN den bob",
                "client: USER bob\nEND who",
            ])
        // guest1 was alone in the lobby: its departure has no audience, and nothing is rendered.
    }
}
