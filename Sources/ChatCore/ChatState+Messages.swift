// ChatState+Messages: chat lines to rooms and to nicks, and their counters.

extension ChatState {
    /// Sends a chat line of `kind` to `target`.
    ///
    /// To a room, the hot path: one event, handed to the sink once per encoding present in the room,
    /// never to the sender. To a nick: checked in this order, a valid nick, a text, a holder.
    /// Messaging yourself is allowed and delivers to you.
    @inline(__always)
    func send(_ kind: MessageKind, _ text: WireText, to target: MessageTarget, from id: ClientID, _ client: Client) {
        let room: Room
        switch target {
        case .currentRoom:
            guard let current = client.firstRoom else {
                self.deliver(.error(.notInRoom(WireText(start: nil, count: 0))), to: id, client)
                return
            }
            room = current
        case .room(let raw):
            guard let key = NameKey(validating: raw) else {
                self.deliver(.error(.badName(.room)), to: id, client)
                return
            }
            guard let named = self.rooms.find(key),
                client.isMember(of: named) || !named.settings.noOutsideMessages || self.replaying
            else {
                self.deliver(.error(.notInRoom(raw)), to: id, client)
                return
            }
            room = named
        case .nick(let raw):
            self.sendPrivately(kind, text, to: raw, from: id, client)
            return
        }
        guard !text.isEmpty else {
            self.deliver(.error(.missingText(kind, private: false)), to: id, client)
            return
        }
        if room.settings.moderated && room.settings.status(of: id).isEmpty && !self.replaying {
            self.deliver(.error(.cannotSend(room: room.name)), to: id, client)
            return
        }
        let delivered = self.deliver(
            .message(kind, room: room.name, from: client.nick, text: text), toRoom: room, except: id)
        self.counters.messagesIn += 1
        self.counters.deliveriesOut += delivered
        self.observer?.chatSaid(kind, room: room.name, from: id, text: text)
    }

    /// Offers a private line for `nick`, which no client here holds, to the observer: a cluster
    /// node may find the nick on another node and send it there. Returns whether the observer
    /// took it (it then reports ``ChatError/noSuchNick(_:)`` itself if the nick is nowhere).
    ///
    /// For front ends that look the recipient up themselves (IRC answers an unknown nick before
    /// anything reaches ``perform(_:from:)``, which offers on its own).
    public func offerPrivately(_ kind: MessageKind, text: WireText, to nick: WireText, from id: ClientID) -> Bool {
        guard let client = self.client(id), client.isAdmitted, !client.hasQuit, !text.isEmpty,
            let key = NameKey(validating: nick, .nick), self.nickOwner(key) == nil
        else { return false }
        return self.offerToObserver(kind, text, to: nick, from: id)
    }

    private func offerToObserver(_ kind: MessageKind, _ text: WireText, to raw: WireText, from id: ClientID) -> Bool {
        guard let observer = self.observer, !self.replaying, let nick = Name(raw, .nick),
            observer.chatWillMessageAbsent(kind, to: nick, from: id, text: text)
        else { return false }
        self.counters.messagesIn += 1
        return true
    }

    /// Delivers a private line to the holder of the nick `raw`.
    ///
    /// The nick is looked up through its folded ``NameKey``, so a private message allocates nothing
    /// either. A client still registering holds its nick but cannot be messaged yet.
    private func sendPrivately(
        _ kind: MessageKind, _ text: WireText, to raw: WireText, from id: ClientID, _ client: Client
    ) {
        guard let key = NameKey(validating: raw, .nick) else {
            self.deliver(.error(.badName(.recipient)), to: id, client)
            return
        }
        guard !text.isEmpty else {
            self.deliver(.error(.missingText(kind, private: true)), to: id, client)
            return
        }
        let owner = self.nickOwner(key)
        guard let recipientID = owner, let recipient = self.client(recipientID), recipient.isAdmitted else {
            if owner == nil, self.offerToObserver(kind, text, to: raw, from: id) { return }
            self.deliver(.error(.noSuchNick(raw)), to: id, client)
            return
        }
        let delivered = withUnsafePointer(to: recipientID) { pointer in
            self.sink.deliver(
                .privateMessage(kind, from: client.nick, to: recipient.nick, text: text),
                to: Recipients(
                    audience: .client(recipientID), encoding: recipient.encoding,
                    clients: UnsafeBufferPointer(start: pointer, count: 1), excluded: nil))
        }
        self.counters.messagesIn += 1
        self.counters.deliveriesOut += delivered
        self.observer?.chatSaid(kind, to: recipientID, from: id, text: text)
    }
}
