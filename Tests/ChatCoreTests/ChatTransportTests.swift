// ChatTransportTests: which transport entry point each kind of line goes through.

import Testing

@testable import ChatCore

/// Records, per line, whether it came through send, broadcast or announce.
final class RoutingTransport: ChatTransport {
    var routes: [(route: String, line: String)] = []

    func send(_ line: UnsafeRawBufferPointer, to client: ClientID) {
        self.routes.append(("send", String(decoding: line.dropLast(), as: UTF8.self)))
    }

    func close(_ client: ClientID) {}

    func broadcast(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int
    {
        self.routes.append(("broadcast", String(decoding: line.dropLast(), as: UTF8.self)))
        return clients.filter { $0 != excluded }.count
    }

    func announce(_ line: UnsafeRawBufferPointer, to clients: UnsafeBufferPointer<ClientID>, except excluded: ClientID?)
        -> Int
    {
        self.routes.append(("announce", String(decoding: line.dropLast(), as: UTF8.self)))
        return clients.filter { $0 != excluded }.count
    }
}

@Suite struct ChatTransportTests {
    @Test("presence lines go through announce, chat lines through broadcast, replies through send")
    func routes() {
        let transport = RoutingTransport()
        let chat = ChatState(config: ChatConfig(presenceLimit: 10)) { 0 }
        let (a, b) = (ClientID(1), ClientID(2))
        chat.connect(a, transport: transport)
        chat.connect(b, transport: transport)
        for line in ["hello", "/me waves", "/nick bob", "/join den", "/ping x"] {
            Array(line.utf8).withUnsafeBytes { chat.receive(line: $0, from: b, transport: transport) }
        }
        chat.disconnect(a, reason: "gone", transport: transport)
        let routed = transport.routes.map { "\($0.route): \($0.line)" }
        #expect(
            routed == [
                "send: WELCOME guest1 lobby", "announce: JOIN lobby guest1",
                "send: WELCOME guest2 lobby", "announce: JOIN lobby guest2",
                "broadcast: MSG lobby guest2 hello", "broadcast: ACTION lobby guest2 waves",
                "announce: NICK guest2 bob", "announce: PART lobby bob", "announce: JOIN den bob",
                "send: PONG x", "announce: PART lobby guest1 gone",
            ])
    }
}
