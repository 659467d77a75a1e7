// IRCConnection+Messages: PRIVMSG, NOTICE and TAGMSG to channels and nicks, echo-message, and the
// relay of msgid and client-only tags.

import ChatCore
import Codec
import IRCProtocol

extension IRCConnection {
    /// `PRIVMSG`/`NOTICE targets text`. `NOTICE` never gets an error back (RFC 1459).
    func send(_ message: IRCMessage, kind: MessageKind) {
        let params = message.params
        let notice = kind == .notice
        let command = notice ? "NOTICE" : "PRIVMSG"
        guard let targets = params.first, !targets.isEmpty else {
            if !notice { self.numeric(411, ["No recipient given (\(command))"]) }
            return
        }
        guard params.count > 1, !params[1].isEmpty else {
            if !notice { self.numeric(412, ["No text to send"]) }
            return
        }
        var text = params[1]
        var kind = kind
        if kind == .message, let action = CTCP.action(in: text) {
            kind = .action
            text = action
        }
        let tags = message.hasTags ? message.tags.raw : WireText(start: nil, count: 0)
        if !notice { self.lastSpokeAt = self.nowSeconds }
        for (index, target) in IRCCommaList(targets, omittingEmpty: true).enumerated() {
            guard index < IRCServerConfig.maxTargets else {
                if !notice { self.numeric(407, [Self.shown(target), "Too many targets"]) }
                continue
            }
            // One id per target, shared by every recipient and the echo.
            self.encoder.relay = IRCEventEncoder.Relay(msgid: self.encoder.nextMsgid(), tags: tags)
            defer { self.encoder.relay = nil }
            if IRCChannel.isChannel(target) {
                guard let room = IRCChannel.room(target), let name = self.state.roomName(room) else {
                    if !notice { self.numeric(403, [Self.shown(target), "No such channel"]) }
                    continue
                }
                guard self.state.isMember(self.id, of: name) || !self.hasMode(.noOutsideMessages, name) else {
                    if !notice { self.numeric(404, ["#" + name.string, "Cannot send to channel"]) }
                    continue
                }
                self.state.perform(.send(kind, text: text, to: .room(room)), from: self.id)
                if self.capabilities.contains(.echoMessage), let nick = self.state.nickName(of: self.id) {
                    self.echo(.message(kind, room: name, from: nick, text: text))
                }
            } else {
                guard let recipient = self.state.client(named: target) else {
                    // A cluster node may find the nick on another node: it sends the line there
                    // and has it echoed (``echoSent(_:to:text:)``), or answers 401 if it is nowhere.
                    if !self.state.offerPrivately(kind, text: text, to: target, from: self.id) && !notice {
                        self.numeric(401, [Self.shown(target), "No such nick/channel"])
                    }
                    continue
                }
                self.state.perform(.send(kind, text: text, to: .nick(target)), from: self.id)
                if self.capabilities.contains(.echoMessage), let nick = self.state.nickName(of: self.id),
                    let to = self.state.nickName(of: recipient)
                {
                    self.echo(.privateMessage(kind, from: nick, to: to, text: text))
                }
                if !notice, let away = self.state.awayMessage(of: recipient), let to = self.state.nickName(of: recipient) {
                    self.numeric(301, [to.string, String(decoding: away, as: UTF8.self)])
                }
            }
        }
    }

    /// Whether the room `name` has the flag `mode` set (`+n`, `+m`).
    func hasMode(_ mode: RoomMode, _ name: Name) -> Bool {
        self.state.details(of: name)?.modes.contains { $0.mode == mode && $0.adding } ?? false
    }

    /// With `echo-message`, the sender's copy of a private line sent for it later, once it was
    /// sent (a cluster node that looked the nick up on the others). It gets an `msgid` of its own:
    /// the recipient's node numbers what it delivers itself.
    public func echoSent(_ kind: MessageKind, to nick: Name, text: WireText) {
        guard self.capabilities.contains(.echoMessage), let from = self.state.nickName(of: self.id) else { return }
        self.encoder.relay = IRCEventEncoder.Relay(msgid: self.encoder.nextMsgid(), tags: WireText(start: nil, count: 0))
        defer { self.encoder.relay = nil }
        self.echo(.privateMessage(kind, from: from, to: nick, text: text))
    }

    /// With `echo-message`, the sender gets its own message as the others see it (same `msgid`).
    private func echo(_ event: ChatEvent) {
        let style = self.style
        self.output.write { self.encoder.encode(event, style: style, recipient: self.id, into: &$0) }
    }

    /// `TAGMSG targets`: only tags, relayed to the `message-tags` clients among the recipients (and
    /// echoed with `echo-message`). ChatCore has no event for it, so it goes through the directory.
    func tagMessage(_ message: IRCMessage) {
        let params = message.params
        guard let targets = params.first, !targets.isEmpty else {
            return self.numeric(411, ["No recipient given (TAGMSG)"])
        }
        guard let nick = self.state.nickName(of: self.id) else { return }
        let tags = message.hasTags ? message.tags.raw : WireText(start: nil, count: 0)
        for (index, target) in IRCCommaList(targets, omittingEmpty: true).enumerated() {
            guard index < IRCServerConfig.maxTargets else {
                self.numeric(407, [Self.shown(target), "Too many targets"])
                continue
            }
            let relay = IRCEventEncoder.Relay(msgid: self.encoder.nextMsgid(), tags: tags)
            var recipients: [ClientID] = []
            let shownTarget: String
            if IRCChannel.isChannel(target) {
                guard let room = IRCChannel.room(target), let name = self.state.roomName(room) else {
                    self.numeric(403, [Self.shown(target), "No such channel"])
                    continue
                }
                let member = self.state.isMember(self.id, of: name)
                let silenced = self.hasMode(.moderated, name) && self.state.status(of: self.id, in: name).isEmpty
                guard (member || !self.hasMode(.noOutsideMessages, name)) && !silenced else {
                    self.numeric(404, ["#" + name.string, "Cannot send to channel"])
                    continue
                }
                shownTarget = "#" + name.string
                recipients = (self.state.members(of: name) ?? []).filter { $0 != self.id }
            } else {
                guard let recipient = self.state.client(named: target), let to = self.state.nickName(of: recipient)
                else {
                    self.numeric(401, [Self.shown(target), "No such nick/channel"])
                    continue
                }
                shownTarget = to.string
                recipients = [recipient]
            }
            if self.capabilities.contains(.echoMessage) && self.capabilities.contains(.messageTags) {
                recipients.append(self.id)
            }
            let line = self.directory.render { buffer in
                var shownTarget = shownTarget
                shownTarget.withUTF8 {
                    self.encoder.tagMessage(from: nick, to: UnsafeRawBufferPointer($0), relay: relay, into: &buffer)
                }
            }
            for recipient in recipients {
                guard let other = self.directory[recipient], other.capabilities.contains(.messageTags) else { continue }
                line.withUnsafeBytes { bytes in other.output.write { $0.append(bytes) } }
            }
        }
    }
}
