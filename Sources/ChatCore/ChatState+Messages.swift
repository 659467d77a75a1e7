// ChatState+Messages: the chat lines (room messages, actions, private messages) and their counters.

extension ChatState {
    /// Relays `text` to every other member of the sender's room as `MSG <room> <nick> <text>`.
    ///
    /// The server's hot path: one encode into the scratch buffer, then one `send` per recipient.
    func say(_ text: UnsafeRawBufferPointer, from id: ClientID, _ sender: Client, transport: any ChatTransport) {
        let room = sender.room
        self.scratch.encodeChat("MSG", room: room.name, nick: sender.nick, text: text)
        let delivered = self.deliverScratch(in: room, except: id, transport: transport)
        self.counters.messagesIn += 1
        self.counters.deliveriesOut += delivered
    }

    /// Relays a `/me` action to every other member of the sender's room as `ACTION <room> <nick> <text>`.
    func act(_ text: UnsafeRawBufferPointer, from id: ClientID, _ sender: Client, transport: any ChatTransport) {
        guard !text.isEmpty else {
            self.sendError(.badLine, "usage: /me TEXT", to: id, transport: transport)
            return
        }
        let room = sender.room
        self.scratch.encodeChat("ACTION", room: room.name, nick: sender.nick, text: text)
        let delivered = self.deliverScratch(in: room, except: id, transport: transport)
        self.counters.messagesIn += 1
        self.counters.deliveriesOut += delivered
    }

    /// Delivers `/msg NICK TEXT` to the holder of `NICK` as `PRIV <sender> <text>`.
    ///
    /// The nick is looked up through its folded ``NameKey``, so a private message allocates nothing
    /// either. Messaging yourself is allowed and delivers to you.
    func sendPrivately(
        _ text: UnsafeRawBufferPointer, to nick: UnsafeRawBufferPointer, from id: ClientID, _ sender: Client,
        transport: any ChatTransport
    ) {
        guard let key = NameKey(validating: nick) else {
            self.sendError(.badName, "usage: /msg NICK TEXT, " + Self.nameRule("NICK"), to: id, transport: transport)
            return
        }
        guard !text.isEmpty else {
            self.sendError(.badLine, "usage: /msg NICK TEXT", to: id, transport: transport)
            return
        }
        guard let recipient = self.nicks.owner(of: key) else {
            self.sendError(
                .noSuchNick, "\(String(decoding: nick, as: UTF8.self)) is not connected", to: id,
                transport: transport)
            return
        }
        self.send(.privateMessage(from: sender.nick, text: text), to: recipient, transport: transport)
        self.counters.messagesIn += 1
        self.counters.deliveriesOut += 1
    }

    /// The explanation that follows every `bad-name` error.
    static func nameRule(_ what: String) -> String {
        "\(what) must be 1-\(NameKey.maxLength) characters from A-Z a-z 0-9 _ -"
    }
}
