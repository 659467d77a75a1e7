// FuzzLineParser: libFuzzer target for the line protocol's parser and front end. Each framed line
// is parsed, the result checked against the grammar (views inside the line, arguments trimmed as
// documented, unknown words refused), then handled for one of three clients of a real ChatState
// whose sink renders with LineEncoder: every rendered chunk must be whole protocol lines.

import ChatCore
import Codec
import FuzzSupport
import LineProtocol
import Reactor

/// Whether `view` lies within `line` (an empty view may point anywhere, or nowhere).
func isInside(_ view: UnsafeRawBufferPointer, _ line: UnsafeRawBufferPointer) -> Bool {
    guard let start = view.baseAddress else { return view.isEmpty }
    guard let base = line.baseAddress else { return view.isEmpty }
    return start >= base && start + view.count <= base + line.count
}

func isTrimmed(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.isEmpty || (bytes.first != ASCII.space && bytes.last != ASCII.space)
}

/// `word` (at most 8 bytes) as an integer, or nil if longer.
func packed(_ word: UnsafeRawBufferPointer) -> UInt64? {
    guard word.count <= 8 else { return nil }
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: word) }
    return value
}

/// The first word of every line the line encoder writes, packed and sorted: a line's word is found
/// in a few comparisons, where comparing it with each word cost a callback to libFuzzer apiece.
let lineWords: [UInt64] = [
    "MSG", "ACTION", "PRIV", "WELCOME", "JOIN", "PART", "NICK", "ROOM", "USER", "END", "STAT", "ERR", "BYE", "PONG",
    "INFO",
].map { word in Array(word.utf8).withUnsafeBytes { packed($0)! } }.sorted()

func isLineWord(_ word: UnsafeRawBufferPointer) -> Bool {
    guard let value = packed(word) else { return false }
    var low = 0
    var high = lineWords.count
    while low < high {
        let middle = (low + high) / 2
        if lineWords[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low < lineWords.count && lineWords[low] == value
}

/// Checks that `rendered` is one or more protocol lines, each a known word and its fields.
///
/// Without allocating, and scanning with ``Bytes``: every event of the run comes through here, and
/// splitting into arrays and scanning byte by byte were a third of the run.
func checkRendered(_ rendered: UnsafeRawBufferPointer) {
    guard !rendered.isEmpty else { return }
    require(rendered.last == ASCII.newline, "rendered output does not end in a newline: \(Array(rendered))")
    require(!Bytes.contains(ASCII.nul, in: rendered), "rendered line holds a NUL: \(Array(rendered))")
    var start = 0
    while let end = Bytes.firstIndex(of: ASCII.newline, in: rendered, from: start) {
        let line = rendered.slice(start..<end)
        let word = line.slice(0..<(Bytes.firstIndex(of: ASCII.space, in: line) ?? line.count))
        require(!word.isEmpty && isLineWord(word), "rendered line starts with \(Array(word)): \(Array(rendered))")
        start = end + 1
    }
}

/// Records nothing, checks every rendering, and knows who is connected.
final class CheckingSink: ChatSink {
    var connected: Set<ClientID> = []
    var scratch = EncodeBuffer(capacity: 256)

    func deliver(_ event: ChatEvent, to recipients: Recipients) -> Int {
        self.scratch.removeAll()
        LineEncoder.encode(event, into: &self.scratch)
        checkRendered(self.scratch.bytes)
        var count = 0
        for client in recipients.clients where client != recipients.excluded {
            require(self.connected.contains(client), "\(event) delivered to \(client), who is not connected")
            count += 1
        }
        return count
    }

    func close(_ client: ClientID) {}
}

/// The grammar of one parsed line.
func checkParse(_ line: UnsafeRawBufferPointer) {
    let parsed = LineParser.parse(line)
    switch parsed {
    case .empty:
        require(line.isEmpty, "a line of \(line.count) bytes parsed as empty")
    case .error(.badLine):
        require(Bytes.contains(ASCII.nul, in: line), "a line without NUL refused as bad")
    case .error(.unknownCommand(let word)):
        require(!Bytes.contains(ASCII.nul, in: line) && line.first == ASCII.slash, "unknown command on a line not starting with /")
        require(isInside(word, line) && word.first == ASCII.slash && !Bytes.contains(ASCII.space, in: word), "word \(Array(word))")
    case .error(let error):
        require(false, "the parser reported \(error)")
    case .command(let command):
        require(!Bytes.contains(ASCII.nul, in: line), "a line with NUL parsed as a command")
        switch command {
        case .send(let kind, let text, let target):
            require(isInside(text, line), "text outside the line")
            if line.first != ASCII.slash {
                require(kind == .message && text.count == line.count, "plain text not sent verbatim")
            } else if line.count >= 2 && line[1] == ASCII.slash {
                require(kind == .message && text.count == line.count - 1, "// not sent as the rest of the line")
            }
            if case .nick(let nick) = target {
                require(isInside(nick, line) && !Bytes.contains(ASCII.space, in: nick), "a /msg nick with a space")
                require(text.first != ASCII.space, "a /msg text starting with a space")
            }
        case .rename(let name), .join(let name, _, _):
            require(isInside(name, line) && isTrimmed(name), "a /nick or /join argument not trimmed")
        case .quit(let reason):
            require(isInside(reason, line) && reason.first != ASCII.space, "a /quit reason starting with a space")
        case .listRooms, .listMembers, .stats:
            break
        default:
            require(false, "the line protocol produced \(command)")
        }
    case .reply(let reply):
        var buffer = EncodeBuffer(capacity: 64)
        LineEncoder.encode(reply, into: &buffer)
        if case .pong(let token) = reply {
            require(isInside(token, line) && token.first != ASCII.space, "a /ping token starting with a space")
            require(buffer.bytes.filter { $0 == ASCII.newline }.count == 1, "PONG is not one line")
        }
        checkRendered(buffer.bytes)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let sink = CheckingSink()
    var clock: Int64 = 1_000_000
    let state = ChatState(config: ChatConfig(presenceLimit: 1 + Int(reader.byte() % 4)), clock: { clock }, sink: sink)
    let clients = (0..<3).map { ClientID(Int32($0)) }
    for client in clients {
        sink.connected.insert(client)
        state.connect(client, encoding: Encoding(0))
        state.admit(client)
    }
    // Each line's first byte picks its sender; the rest is what it typed.
    var framer = LineFramer(maxLineLength: 512)
    framer.process(reader.rest()) { frame in
        guard case .line(let line) = frame, !line.isEmpty else { return }
        let client = clients[Int(line[0]) % clients.count]
        let typed = line.slice(1..<line.count)
        checkParse(typed)
        clock += 10
        guard !state.hasQuit(client) else { return }
        if let reply = LineParser.handle(typed, from: client, state: state) {
            var buffer = EncodeBuffer(capacity: 64)
            LineEncoder.encode(reply, into: &buffer)
            checkRendered(buffer.bytes)
        }
    }
    for client in clients {
        state.disconnect(client, reason: "closed")
        sink.connected.remove(client)
    }
    require(state.roomCount == 0 && state.counters.connections == 0, "rooms or clients left after everyone left")
    return 0
}

runFuzzer { testOneInput($0, $1) }
