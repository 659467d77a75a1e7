// IRCProtocolAdapter: chatload as an IRC client. Registration and JOIN are two setup steps
// (a server may refuse commands before its welcome), messages are channel PRIVMSGs, and the
// server's PINGs are answered; receivers still only scan for stamps.

/// IRC (RFC 1459/2812) as a client sees it: `NICK cl<index>` and `USER`, ready at the end of
/// the welcome burst (376 end of MOTD, or 422 no MOTD); then `JOIN #room`, ready at its 366 (end
/// of NAMES); messages are `PRIVMSG #room :payload`, pings `PING :token`. A server's `PING` is
/// answered with `PONG` during setup and afterwards. Like the line protocol, an IRC server
/// does not echo a channel message to its sender.
///
/// Fan-out senders may send extra commands before their `JOIN` (`--irc-oper`, `--irc-sender-mode`):
/// ngIRCd exempts only IRC operators with user mode `+F` from its per-client command throttle.
struct IRCProtocolAdapter: ProtocolAdapter {
    /// `OPER name password` for senders (nil: none).
    var oper: (name: String, password: String)?
    /// User modes senders set on themselves after `OPER`, e.g. `+F` (nil: none).
    var senderModes: String?

    var name: String { "irc" }
    var lineEnd: [UInt8] { Array("\r\n".utf8) }
    func preamble(publishesWhileSubscribed: Bool) -> [UInt8] { [] }
    func subscribeLine(room: String) -> [UInt8] { Array("JOIN #\(room)\r\n".utf8) }
    var publisherJoinsRoom: Bool { true }
    func publishPrefix(room: String) -> [UInt8] { Array("PRIVMSG #\(room) :".utf8) }
    var pingPrefix: [UInt8] { Array("PING :".utf8) }
    /// Any end of NAMES (``setupSteps(for:)`` waits for the connection's own, after registering).
    func readyMarker(room: String?) -> [UInt8]? {
        room.map { _ in Array(" 366 ".utf8) }
    }
    var idleRoom: String? { nil }
    var echoesToSender: Bool { false }
    var answersServerPings: Bool { true }

    /// The nick of connection `index`.
    static func nick(_ index: Int) -> String { "cl\(index)" }

    func setupSteps(for role: ConnectionRole) -> [SetupStep] {
        let nick = Self.nick(role.index)
        // Registration first: a server may refuse commands until it has sent 001 (InspIRCd
        // answers a JOIN pipelined behind NICK and USER with 451), so JOIN waits for the burst.
        var steps = [
            SetupStep(
                send: Array("NICK \(nick)\r\nUSER \(nick) 0 * :chatload \(role.index)\r\n".utf8),
                doneMarkers: [Array(" 376 \(nick) ".utf8), Array(" 422 \(nick) ".utf8)])
        ]
        var send: [UInt8] = []
        if role.isSender {
            if let oper { send += Array("OPER \(oper.name) \(oper.password)\r\n".utf8) }
            if let senderModes { send += Array("MODE \(nick) \(senderModes)\r\n".utf8) }
        }
        if let room = role.room {
            send += self.subscribeLine(room: room)
            steps.append(SetupStep(send: send, doneMarkers: [Array(" 366 \(nick) #\(room) ".utf8)]))
        } else if !send.isEmpty {
            steps.append(SetupStep(send: send, doneMarkers: []))
        }
        return steps
    }

    /// `ERROR ...` (the server is closing the link) or a 4xx/5xx numeric other than 422 (no
    /// MOTD, which ends a successful registration).
    func isErrorLine(_ line: ArraySlice<UInt8>) -> Bool {
        if line.starts(with: "ERROR ".utf8) { return true }
        guard let command = Self.command(of: line), !command.elementsEqual("422".utf8) else { return false }
        return command.count == 3 && command.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            && (command.first == UInt8(ascii: "4") || command.first == UInt8(ascii: "5"))
    }

    /// `PONG x` for a server's `PING x` or `:server PING x`; nil for other lines.
    func pong(to line: ArraySlice<UInt8>) -> [UInt8]? {
        guard let command = Self.command(of: line), command.elementsEqual("PING".utf8) else { return nil }
        return Array("PONG".utf8) + line[command.endIndex...] + Array("\r\n".utf8)
    }

    /// The command word of an IRC line, after the optional `:prefix`.
    private static func command(of line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var rest = line
        if rest.first == UInt8(ascii: "@") {  // message tags
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            rest = rest[(space + 1)...]
        }
        if rest.first == UInt8(ascii: ":") {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            rest = rest[(space + 1)...]
        }
        let end = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
        return rest[..<end]
    }
}
