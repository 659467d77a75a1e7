// ChatState+Commands: dispatch of parsed lines, and the commands that are not chat lines.

extension ChatState {
    /// The `/help` text, one `INFO` line each.
    static let helpLines: [StaticString] = [
        "Switchboard line protocol v1. One line per message; commands start with /.",
        "<text>            send text to your room (start it with // to send a line beginning with /)",
        "/nick NAME        change your nick (1-32 of A-Z a-z 0-9 _ -, unique ignoring case)",
        "/join ROOM        leave your room and join ROOM, creating it if needed",
        "/rooms            list rooms and their member counts",
        "/who              list the members of your room",
        "/msg NICK TEXT    send TEXT to NICK only",
        "/me TEXT          act in your room",
        "/ping [TOKEN]     the server answers PONG [TOKEN]",
        "/stats            server counters",
        "/help             this text",
        "/quit [REASON]    leave; the server answers BYE [REASON] and closes the connection",
    ]

    /// Carries out one parsed line from a connected client.
    func perform(_ command: Command, from id: ClientID, _ sender: Client, transport: any ChatTransport) {
        switch command {
        case .say(let text):
            self.say(text, from: id, sender, transport: transport)
        case .action(let text):
            self.act(text, from: id, sender, transport: transport)
        case .privateMessage(let nick, let text):
            self.sendPrivately(text, to: nick, from: id, sender, transport: transport)
        case .nick(let name):
            self.rename(id, sender, to: name, transport: transport)
        case .join(let name):
            self.move(id, sender, to: name, transport: transport)
        case .rooms:
            self.listRooms(to: id, transport: transport)
        case .who:
            self.listMembers(of: sender.room, to: id, transport: transport)
        case .ping(let token):
            self.send(.pong(token: token), to: id, transport: transport)
        case .stats:
            self.listStats(to: id, transport: transport)
        case .help:
            for line in Self.helpLines {
                self.send(.info(line), to: id, transport: transport)
            }
            self.send(.end("help"), to: id, transport: transport)
        case .quit(let reason):
            self.quit(id, sender, reason: reason, transport: transport)
        case .unknown(let word):
            // Echo at most a short prefix: the word can be as long as the line.
            let shown = String(decoding: word.slice(0..<min(word.count, 40)), as: UTF8.self)
            self.sendError(.unknownCommand, "\(shown) is not a command; try /help", to: id, transport: transport)
        }
    }

    /// `/nick NAME`: renames the client and announces `NICK <old> <new>` to its room.
    ///
    /// Changing only the case of your own nick is a rename like any other. Asking for exactly the nick
    /// you have confirms it with a `NICK` line to you alone.
    private func rename(
        _ id: ClientID, _ sender: Client, to raw: UnsafeRawBufferPointer, transport: any ChatTransport
    ) {
        guard let name = Name(raw) else {
            self.sendError(.badName, Self.nameRule("a nick"), to: id, transport: transport)
            return
        }
        let old = sender.nick
        guard name != old else {
            self.send(.nick(old: old, new: name), to: id, transport: transport)
            return
        }
        guard self.nicks.rename(id, from: old, to: name) else {
            self.sendError(.nickTaken, "\(name.string) is already in use", to: id, transport: transport)
            return
        }
        sender.nick = name
        self.announce(.nick(old: old, new: name), in: sender.room, by: id, transport: transport)
    }

    /// `/join ROOM`: `PART` from the current room (the leaver hears it too), then `JOIN` the new one.
    ///
    /// Joining the room you are in (ignoring case) changes nothing and confirms it with a `JOIN` line
    /// to you alone.
    private func move(_ id: ClientID, _ sender: Client, to raw: UnsafeRawBufferPointer, transport: any ChatTransport) {
        guard let name = Name(raw) else {
            self.sendError(.badName, Self.nameRule("a room name"), to: id, transport: transport)
            return
        }
        guard name.key != sender.room.name.key else {
            self.send(.join(room: sender.room.name, nick: sender.nick), to: id, transport: transport)
            return
        }
        self.leaveRoom(id, reason: [], tellLeaver: true, transport: transport)
        self.enter(id, sender, into: name, transport: transport)
    }

    /// `/rooms`: `ROOM <name> <members>` for every room, ordered by name ignoring case, then `END rooms`.
    private func listRooms(to id: ClientID, transport: any ChatTransport) {
        for room in self.rooms.sortedByName() {
            self.send(.room(name: room.name, members: room.count), to: id, transport: transport)
        }
        self.send(.end("rooms"), to: id, transport: transport)
    }

    /// `/who`: `USER <nick>` for every member of the room, ordered by nick ignoring case, then `END who`.
    private func listMembers(of room: Room, to id: ClientID, transport: any ChatTransport) {
        let nicks = room.members.map { self.clients[$0.index]!.nick }.sorted { $0.key < $1.key }
        for nick in nicks {
            self.send(.user(nick: nick), to: id, transport: transport)
        }
        self.send(.end("who"), to: id, transport: transport)
    }

    /// `/stats`: one `STAT <name> <value>` line per counter, then `END stats`.
    private func listStats(to id: ClientID, transport: any ChatTransport) {
        let counters = self.counters
        let stats: [(name: StaticString, value: Int)] = [
            ("connections", counters.connections),
            ("rooms", self.rooms.count),
            ("messages_in", counters.messagesIn),
            ("deliveries_out", counters.deliveriesOut),
            ("bytes_in", counters.bytesIn),
            ("bytes_out", counters.bytesOut),
            ("slow_consumer_drops", counters.slowConsumerDrops),
            ("uptime_seconds", Int((self.clock() - self.startedAt) / 1000)),
        ]
        for stat in stats {
            self.send(.stat(name: stat.name, value: stat.value), to: id, transport: transport)
        }
        self.send(.end("stats"), to: id, transport: transport)
    }

    /// `/quit [REASON]`: answers `BYE [REASON]` and asks the transport to flush and close.
    ///
    /// The client stays in its room until the glue calls ``disconnect(_:reason:transport:)``; until
    /// then its further lines are ignored. The `PART` then carries `REASON`, or `quit` if none was given.
    private func quit(_ id: ClientID, _ sender: Client, reason: UnsafeRawBufferPointer, transport: any ChatTransport) {
        sender.quitReason = reason.isEmpty ? Array("quit".utf8) : Array(reason)
        self.send(.bye(reason: reason), to: id, transport: transport)
        transport.close(id)
    }
}
