// FuzzChatState: a stateful libFuzzer target for ChatState with both front ends in front of it.
// The input is a program: connects (line or IRC clients), lines (well-formed commands from small
// pools of names, and raw bytes) through LineParser.handle and IRCConnection, disconnects, and
// disconnects from inside a delivery as the slow-consumer path does. A sink renders every event as
// the server's Delivery does and checks it; after every step the state must hold its invariants:
// every room member connected and admitted, nicks unique ignoring case, room counts matching the
// members, no event for a client that is gone, every IRC line parseable and every protocol line whole.

import ChatCore
import Codec
import FuzzSupport
import IRCFrontEnd
import IRCProtocol
import LineProtocol

let lineEncoding = Encoding(0)
let ircEncodings = IRCEncodings(plain: Encoding(1), serverTime: Encoding(2), messageTags: Encoding(3))

// Built once: a `case "PRIVMSG"` builds its command from the literal on every line checked.
let twoParams: [IRCCommand] = ["PRIVMSG", "NOTICE", "TOPIC"]
let atMostTwoParams: [IRCCommand] = ["PART", "QUIT", "NICK", "TAGMSG", "AWAY"]
let kick: IRCCommand = "KICK"

/// Checks that `bytes` are whole IRC lines (CR LF each) that parse within the standard limits.
func checkIRC(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    var start = 0
    while start < bytes.count {
        guard let lf = Bytes.firstIndex(of: ASCII.newline, in: bytes, from: start) else {
            return require(false, "IRC output does not end in CR LF: \(Array(bytes))")
        }
        require(lf > start && bytes[lf - 1] == ASCII.carriageReturn, "IRC line without CR LF: \(Array(bytes))")
        let line = bytes.slice(start..<(lf - 1))
        switch IRCParser.parse(line, limits: .standard) {
        case .message(let message):
            // Relayed texts and reasons are one parameter each, whatever bytes they hold.
            let count = message.params.count
            if twoParams.contains(message.command) {
                require(count == 2, "\(message.command) with \(count) params")
            } else if atMostTwoParams.contains(message.command) {
                require(count <= 2, "\(message.command) with \(count) params")
            } else if message.command == kick {
                require(count <= 3, "\(message.command) with \(count) params")
            }
        case .failure(let error):
            require(false, "IRC output refused (\(error)): \(String(decoding: line, as: UTF8.self))")
        }
        start = lf + 1
    }
}

/// Checks that `bytes` are whole line-protocol lines.
func checkLine(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    require(bytes.last == ASCII.newline, "line output does not end in a newline: \(Array(bytes))")
    require(!Bytes.contains(ASCII.nul, in: bytes), "line output holds a NUL")
}

/// Whether `a` and `b` are the same bytes but for ASCII case: a fold independent of NameKey's.
func sameIgnoringASCIICase(_ a: Name, _ b: Name) -> Bool {
    func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
    guard a.count == b.count else { return false }
    return a.withBytes { x in b.withBytes { y in zip(x, y).allSatisfy { lower($0) == lower($1) } } }
}

/// A set of the harness's clients (slots 0..<32) as bits: hashing into a `Set` on every delivery
/// and check was a tenth of the run.
struct ClientSet: Sequence {
    private var bits: UInt32 = 0

    var count: Int { self.bits.nonzeroBitCount }

    func contains(_ id: ClientID) -> Bool {
        id.raw >= 0 && id.raw < 32 && self.bits & 1 << UInt32(id.raw) != 0
    }

    /// Inserts `id`; false if it was there already.
    @discardableResult
    mutating func insert(_ id: ClientID) -> Bool {
        precondition(id.raw >= 0 && id.raw < 32, "\(id) is not a harness slot")
        defer { self.bits |= 1 << UInt32(id.raw) }
        return !self.contains(id)
    }

    mutating func remove(_ id: ClientID) {
        if self.contains(id) { self.bits &= ~(1 << UInt32(id.raw)) }
    }

    func makeIterator() -> AnyIterator<ClientID> {
        var rest = self.bits
        return AnyIterator {
            guard rest != 0 else { return nil }
            let slot = rest.trailingZeroBitCount
            rest &= rest - 1
            return ClientID(Int32(slot))
        }
    }
}

final class Harness: ChatSink {
    static let slots = 8
    var clock: Int64 = 1_700_000_000_000
    var state: ChatState!
    var encoder: IRCEventEncoder!
    let directory = IRCDirectory(encodings: ircEncodings)
    /// The clients the harness connected and has not disconnected; IDs are not reused until then.
    var connected = ClientSet()
    var fronts: [IRCConnection?] = Array(repeating: nil, count: Harness.slots)
    var outputs: [Output?] = Array(repeating: nil, count: Harness.slots)
    /// Clients whose connection the state or the front end asked to close: the glue disconnects
    /// them once the step is over, as the server does once the socket has flushed.
    var closing: [ClientID] = []
    /// Set by the program: the next room delivery drops one of its recipients from inside the sink.
    var dropNext = false
    /// Clients dropped from inside the sink this step. The glue skips them (without counting them)
    /// until the state has run the deferred disconnect, as the server's fan-out skips closed sessions.
    var dropped = ClientSet()
    var scratch = EncodeBuffer(capacity: 1024)
    /// Whether this step reached the state or a front end. A step that did not (a line for an empty
    /// slot, a clock tick) leaves the state as the last check found it, so it is not checked again:
    /// many steps of a random program are such, and the walk costs more than the step.
    var touched = true
    /// The check's lists, kept between steps (allocating them was a tenth of the run), and searched
    /// rather than hashed: they hold a few names at most. Names, not Strings: building a String per
    /// name per step was most of the check.
    var nickKeys: [NameKey] = []
    var nicks: [Name] = []
    var roomsSeen: [Name] = []

    init(presenceLimit: Int) {
        self.state = ChatState(
            config: ChatConfig(presenceLimit: presenceLimit), clock: { [unowned self] in self.clock }, sink: self)
        self.encoder = IRCEventEncoder(
            config: IRCServerConfig(), state: self.state, wallClock: { [unowned self] in self.clock })
    }

    // MARK: ChatSink

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        self.scratch.removeAll()
        if recipients.encoding == lineEncoding {
            LineEncoder.encode(event, into: &self.scratch)
            checkLine(self.scratch.bytes)
        } else {
            let single = recipients.clients.count == 1 ? recipients.clients[0] : nil
            self.encoder.encode(
                event, style: ircEncodings.style(of: recipients.encoding), recipient: single,
                into: &self.scratch)
            checkIRC(self.scratch.bytes)
        }
        var count = 0
        for client in recipients.clients where client != recipients.excluded && !self.dropped.contains(client) {
            require(self.connected.contains(client), "\(event) delivered to \(client), who is gone")
            if case .client = recipients.audience {
                // A reply or an error to one client: pending ones get those too.
            } else {
                require(self.state.isAdmitted(client), "\(event) to the room or peers reached pending \(client)")
            }
            require(self.encoding(of: client) == recipients.encoding, "\(client) got \(recipients.encoding)")
            count += 1
        }
        if self.dropNext, case .room = recipients.audience, let victim = recipients.clients.first {
            // A slow consumer: the glue drops it in the middle of the broadcast; the state defers it.
            self.dropNext = false
            self.dropped.insert(victim)
            self.state.disconnect(victim, reason: "slow-consumer")
        }
        return count
    }

    func close(_ client: ClientID) {
        require(self.connected.contains(client), "close for \(client), who is gone")
        self.closing.append(client)
    }

    /// The encoding the harness last gave `client`: line clients never change, IRC clients change
    /// when their front end negotiates tags.
    func encoding(of client: ClientID) -> Encoding {
        self.outputs[client.index]?.encoding ?? lineEncoding
    }

    // MARK: Steps

    func connect(_ slot: Int, irc: Bool) {
        let id = ClientID(Int32(slot))
        guard !self.connected.contains(id) else { return }
        self.touched = true
        self.connected.insert(id)
        if irc {
            let output = Output(harness: self, id: id)
            self.outputs[slot] = output
            self.state.connect(id, encoding: ircEncodings.plain)
            self.fronts[slot] = IRCConnection(
                id: id, state: self.state, output: output, encoder: self.encoder, directory: self.directory,
                host: "10.0.0.\(slot)")
        } else {
            self.state.connect(id, encoding: lineEncoding)
            self.state.admit(id)
        }
    }

    func line(_ slot: Int, _ bytes: UnsafeRawBufferPointer) {
        let id = ClientID(Int32(slot))
        guard self.connected.contains(id) else { return }
        self.touched = true
        if let front = self.fronts[slot] {
            front.handle(line: bytes)
        } else if let reply = LineParser.handle(bytes, from: id, state: self.state) {
            self.scratch.removeAll()
            LineEncoder.encode(reply, into: &self.scratch)
            checkLine(self.scratch.bytes)
        }
    }

    func disconnect(_ slot: Int, reason: String?) {
        let id = ClientID(Int32(slot))
        guard self.connected.contains(id) else { return }
        self.touched = true
        self.state.disconnect(id, reason: reason)
        self.forget(id)
    }

    /// The glue's side of a disconnect: the session is gone and its ID free.
    func forget(_ id: ClientID) {
        self.fronts[id.index]?.closed()
        self.fronts[id.index] = nil
        self.outputs[id.index]?.isClosed = true
        self.outputs[id.index] = nil
        self.connected.remove(id)
    }

    func endStep() {
        // Nothing is dropped or closing unless the state was reached this step.
        guard self.touched else { return }
        self.touched = false
        for id in self.dropped {
            // The deferred disconnect has run: the state has forgotten the client.
            require(!self.state.isAdmitted(id) && self.state.nick(of: id) == nil, "dropped \(id) is still known")
            self.forget(id)
        }
        self.dropped = ClientSet()
        while let id = self.closing.popLast() {
            guard self.connected.contains(id) else { continue }
            self.state.disconnect(id, reason: "quit")
            self.forget(id)
        }
        self.checkInvariants()
    }

    // MARK: Invariants

    func checkInvariants() {
        let state = self.state!
        require(state.counters.connections == self.connected.count, "\(state.counters.connections) connections")
        var admitted = 0
        self.nickKeys.removeAll(keepingCapacity: true)
        self.nicks.removeAll(keepingCapacity: true)
        var memberships = 0
        for slot in 0..<Self.slots {
            let id = ClientID(Int32(slot))
            let rooms = state.roomNames(of: id)
            guard self.connected.contains(id) else {
                require(!state.isAdmitted(id) && state.nickName(of: id) == nil && rooms.isEmpty, "\(id) is gone but known")
                continue
            }
            if state.isAdmitted(id) {
                admitted += 1
                require(state.nickName(of: id) != nil, "admitted \(id) has no nick")
            } else {
                require(rooms.isEmpty, "pending \(id) is in \(rooms.map(\.string))")
            }
            if let nick = state.nickName(of: id) {
                let key = nick.key
                require(!self.nickKeys.contains(key), "nick \(nick.string) held twice")
                // A second opinion on the fold that NameKey does, from a plain ASCII one.
                require(!self.nicks.contains { sameIgnoringASCIICase($0, nick) }, "nick \(nick.string) held twice")
                self.nickKeys.append(key)
                self.nicks.append(nick)
                // Lookups by nick find admitted clients only; a pending one's nick is still reserved.
                require(state.client(named: nick) == (state.isAdmitted(id) ? id : nil), "\(nick.string) lookup")
            }
            self.roomsSeen.removeAll(keepingCapacity: true)
            for room in rooms {
                require(
                    !self.roomsSeen.contains { sameIgnoringASCIICase($0, room) },
                    "\(id) is in a room twice: \(rooms.map(\.string))")
                self.roomsSeen.append(room)
                require(state.isMember(id, of: room), "\(id) lists \(room.string) but is not a member")
            }
            memberships += rooms.count
        }
        require(state.admittedCount == admitted, "admittedCount \(state.admittedCount), counted \(admitted)")
        let summaries = state.roomSummaries()
        require(summaries.count == state.roomCount, "\(summaries.count) rooms listed, roomCount \(state.roomCount)")
        var listed = 0
        for summary in summaries {
            let members = state.members(of: summary.name) ?? []
            require(!members.isEmpty, "empty room \(summary.name.string) kept")
            require(members.count == summary.members, "\(summary.name.string) counts \(summary.members)")
            var distinct = ClientSet()
            for member in members {
                require(self.connected.contains(member), "\(member) in \(summary.name.string) is gone")
                require(distinct.insert(member), "\(summary.name.string) lists a member twice")
            }
            for member in members {
                require(state.isAdmitted(member), "\(member) in \(summary.name.string) is pending")
            }
            listed += members.count
        }
        require(listed == memberships, "rooms hold \(listed) members, clients \(memberships) memberships")
    }
}

/// An IRC client's output: checks what the front end writes, and remembers its encoding.
final class Output: IRCOutput {
    unowned let harness: Harness
    let id: ClientID
    var encoding = ircEncodings.plain
    var isClosed = false
    var scratch = EncodeBuffer(capacity: 512)

    init(harness: Harness, id: ClientID) {
        self.harness = harness
        self.id = id
    }

    func write(_ body: (inout EncodeBuffer) -> Void) {
        require(!self.isClosed, "\(self.id) written to after it was closed")
        self.scratch.removeAll()
        body(&self.scratch)
        checkIRC(self.scratch.bytes)
    }

    func setEncoding(_ encoding: Encoding) {
        self.encoding = encoding
        self.harness.state.setEncoding(self.id, encoding)
    }

    func close() {
        self.harness.closing.append(self.id)
    }
}

// MARK: The program

let nicks = ["alice", "Alice", "bob", "BOB", "carol", "guest1", "x", "a[b]", "A{B}", "9bad", "", "n-_^`|{}[]\\"]
let rooms = ["lobby", "den", "Den", "attic", "LOBBY", "bad room", "r", ""]
let texts = [
    "hi", "", "  spaced  ", "\u{1}ACTION waves\u{1}", "é\r", ":colon", "x y z", "a\rb",
    // Longer than an IRC line: cut to 510 bytes on a character boundary when relayed.
    String(repeating: "é", count: 300), String(repeating: "ab ", count: 200) + "\u{1F600}",
]

func pick(_ pool: [String], _ reader: inout FuzzReader) -> String { pool[reader.below(pool.count)] }

/// A well-formed line protocol command, or close to one.
func lineCommand(_ reader: inout FuzzReader) -> String {
    let nick = pick(nicks, &reader)
    let room = pick(rooms, &reader)
    let text = pick(texts, &reader)
    switch reader.below(12) {
    case 0: return "/nick \(nick)"
    case 1: return "/join \(room)"
    case 2: return "/msg \(nick) \(text)"
    case 3: return "/me \(text)"
    case 4: return "/rooms"
    case 5: return "/who"
    case 6: return "/quit \(text)"
    case 7: return "/ping \(text)"
    case 8: return "/stats"
    case 9: return "/help"
    case 10: return "//\(text)"
    default: return text
    }
}

let modes = ["+o", "-o", "+v", "+b", "-b", "+k", "-k", "+i", "-i", "+l", "-l", "+m", "+n", "-t", "+ov", "+kl"]
let caps = [
    "message-tags", "server-time", "echo-message", "away-notify", "multi-prefix", "userhost-in-names", "cap-notify",
    "-message-tags", "-server-time", "bogus",
]

/// A well-formed IRC command, or close to one.
func ircCommand(_ reader: inout FuzzReader) -> String {
    let nick = pick(nicks, &reader)
    let channel = "#" + pick(rooms, &reader)
    let text = pick(texts, &reader)
    switch reader.below(32) {
    case 0: return "NICK \(nick)"
    case 1: return "USER u\(reader.below(3)) 0 * :Real Name"
    case 2: return "CAP LS 302"
    case 3:
        return "CAP REQ :" + (0..<(1 + reader.below(3))).map { _ in pick(caps, &reader) }.joined(separator: " ")
    case 4: return "CAP END"
    case 5: return "JOIN \(channel)" + (reader.byte() & 1 == 0 ? ",#\(pick(rooms, &reader))" : " key")
    case 6: return "PART \(channel) :\(text)"
    case 7: return "PRIVMSG \(channel) :\(text)"
    case 8: return "PRIVMSG \(nick) :\(text)"
    case 9: return "NOTICE \(channel) :\(text)"
    case 10: return "TOPIC \(channel)" + (reader.byte() & 1 == 0 ? " :\(text)" : "")
    case 11: return "MODE \(channel) \(pick(modes, &reader)) \(nick) \(reader.below(4))"
    case 12: return "KICK \(channel) \(nick) :\(text)"
    case 13: return "INVITE \(nick) \(channel)"
    case 14: return reader.byte() & 1 == 0 ? "AWAY :\(text)" : "AWAY"
    case 15: return "WHO \(reader.byte() & 1 == 0 ? channel : nick)"
    case 16: return "WHOIS \(nick)"
    case 17: return "NAMES \(channel)"
    case 18: return "LIST"
    case 19: return "QUIT :\(text)"
    case 20: return "PING \(text)"
    case 21: return "@+typing=active;+draft/reply=\(text.filter { $0 != " " }) TAGMSG \(channel)"
    case 22: return "@+x=\(nick.filter { $0 != " " }) PRIVMSG \(channel) :\(text)"
    case 23: return "MODE \(nick) \(["+i", "-i", "+w"][reader.below(3)])"
    case 24: return ["MOTD", "LUSERS", "VERSION", "INFO", "TIME", "ISON \(nick)", "USERHOST \(nick)"][reader.below(7)]
    case 25: return "PASS \(text)"
    case 26:
        // A client tag section near the 4094 bytes a client may send: relayed beside the server's own tags.
        let value = String(repeating: "v\\s", count: reader.below(1100))
        return "@+a=\(value);+draft/b=\(reader.below(10)) PRIVMSG \(channel) :\(text)"
    default: return tokenSoup(&reader)
    }
}

/// Words that mean something somewhere in IRC: lists, masks, mode letters, numbers too big for a limit.
let tokens = [
    ":", "::", "*", "#", "#den", "#Den,#attic,", "#lobby", ",", "+", "-", "+o", "+ob-v", "+l", "+k", "+b", "b", "+lk",
    "-l", "+imnt", "-kl", "0", "-1", "99999999999999999999", "4294967296", "alice", "BOB", "a*", "*!*@*", "alice!*@*",
    "é", "\u{1}", "x\ty", "guest1", "&x", "+v", "-o", "o", "#bad room",
]
let commandWords = [
    "JOIN", "PART", "MODE", "KICK", "INVITE", "TOPIC", "NAMES", "WHO", "WHOIS", "LIST", "PRIVMSG", "NOTICE",
    "TAGMSG", "AWAY", "ISON", "USERHOST", "NICK", "USER", "CAP", "PING", "PONG", "PASS", "QUIT", "LUSERS",
]

/// A command word and parameters drawn from `tokens`, the last one trailing now and then.
func tokenSoup(_ reader: inout FuzzReader) -> String {
    var line = pick(commandWords, &reader)
    let count = reader.below(6)
    for index in 0..<count {
        let token = pick(tokens, &reader)
        line += index == count - 1 && reader.byte() & 1 == 0 ? " :" + token + " " + pick(tokens, &reader) : " " + token
    }
    return line
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let harness = Harness(presenceLimit: 1 + reader.below(6))
    var steps = 0
    while !reader.isAtEnd && steps < 400 {
        steps += 1
        let op = reader.byte()
        let slot = Int(op >> 5) % Harness.slots
        switch op & 0x1F {
        case 0..<3:
            harness.connect(slot, irc: op & 1 == 1)  // 1: IRC; 0 and 2: line
        case 3..<10:
            var line = harness.fronts[slot] == nil ? lineCommand(&reader) : ircCommand(&reader)
            line.withUTF8 { harness.line(slot, UnsafeRawBufferPointer($0)) }
        case 10..<12:
            // Raw bytes, as the framer would deliver them: no LF.
            let bytes = Array(reader.take(reader.below(64))).filter { $0 != ASCII.newline }
            bytes.withUnsafeBytes { harness.line(slot, $0) }
        case 12:
            harness.disconnect(slot, reason: reader.byte() & 1 == 0 ? nil : "closed")
        case 13:
            harness.dropNext = true
        case 14:
            harness.clock += Int64(reader.below(100_000))
        default:
            // Registration is the longest path: let IRC clients finish it more often than chance would.
            if harness.fronts[slot] != nil {
                for line in ["NICK \(pick(nicks, &reader))", "USER u 0 * :r"] {
                    var line = line
                    line.withUTF8 { harness.line(slot, UnsafeRawBufferPointer($0)) }
                }
            } else {
                var line = lineCommand(&reader)
                line.withUTF8 { harness.line(slot, UnsafeRawBufferPointer($0)) }
            }
        }
        harness.dropNext = harness.dropNext && op & 0x1F == 13
        harness.endStep()
    }
    for slot in 0..<Harness.slots { harness.disconnect(slot, reason: "shutdown") }
    harness.endStep()
    require(harness.state.roomCount == 0 && harness.state.counters.connections == 0, "state left after everyone left")
    return 0
}

runFuzzer { testOneInput($0, $1) }
