// FuzzIRCParser: libFuzzer target for the IRC parser, its tags and the encoder. A line is parsed
// under limits the input chooses (small ones, so short inputs reach them); a message's views must
// stay in the line and keep the grammar, a refusal must name a rule the line breaks, and the
// message re-encoded must parse back to itself, both with roomy limits and with the same ones.
// Tag values must survive escape → unescape, and canonicalising must keep their meaning.

import Codec
import FuzzSupport
import IRCProtocol

/// A parsed message copied out of its line, for comparisons.
struct Parsed: Equatable {
    var tags: [[UInt8]] = []  // key, "=", unescaped value
    var source: [UInt8]?
    var command: String
    var params: [[UInt8]]
    var hasTrailing: Bool

    init(_ message: IRCMessage) {
        self.tags = message.tags.map { Array($0.key) + [UInt8(ascii: "=")] + $0.value }
        self.source = message.source.map(Array.init)
        self.command = message.command.description
        self.params = message.params.map(Array.init)
        self.hasTrailing = message.hasTrailing
    }
}

func isInside(_ view: UnsafeRawBufferPointer, _ line: UnsafeRawBufferPointer) -> Bool {
    guard let start = view.baseAddress else { return view.isEmpty }
    guard let base = line.baseAddress else { return view.isEmpty }
    return start >= base && start + view.count <= base + line.count
}

func checkViews(_ message: IRCMessage, in line: UnsafeRawBufferPointer, limits: IRCLimits) {
    let params = message.params
    require(params.count <= limits.maxParams, "\(params.count) params, limit \(limits.maxParams)")
    for (index, param) in params.enumerated() {
        require(isInside(param, line), "param \(index) outside the line")
        require(!param.containsForbiddenIRCByte(), "param \(index) holds NUL, CR or LF")
        if index < params.count - 1 {
            require(!param.isEmpty && param[0] != ASCII.colon && !param.contains(ASCII.space), "middle \(index)")
        }
        if let ctcp = CTCP(param) {
            require(isInside(ctcp.command, line) && isInside(ctcp.params, line), "CTCP views outside the line")
            _ = ctcp.isAction
        }
        for item in IRCCommaList(param) { require(isInside(item, line), "list item outside the line") }
    }
    if let source = message.source {
        require(isInside(source, line) && !source.isEmpty && !source.contains(ASCII.space), "source")
    }
    require(isInside(message.commandBytes, line), "command outside the line")
    require(message.command.matches(message.commandBytes), "command is not its bytes")
    require(isInside(message.tags.raw, line), "tags outside the line")
    for tag in message.tags {
        require(isInside(tag.key, line) && isInside(tag.rawValue, line), "tag outside the line")
        require(IRCTag.isValidKey(tag.key), "a malformed key iterated")
        checkTagValue(tag.rawValue)
        _ = tag.vendor
        _ = tag.name
    }
}

/// Unescaping, escaping, canonicalising and their length predictions agree.
func checkTagValue(_ raw: UnsafeRawBufferPointer) {
    var unescaped = EncodeBuffer(capacity: 64)
    IRCTag.unescape(raw, into: &unescaped)
    let value = unescaped.array
    require(value.count <= raw.count, "unescaping made the value longer")
    var escaped = EncodeBuffer(capacity: 64)
    value.withUnsafeBytes { IRCTag.escape($0, into: &escaped) }
    require(escaped.count == value.withUnsafeBytes { IRCTag.escapedLength($0) }, "escapedLength is wrong")
    var again = EncodeBuffer(capacity: 64)
    IRCTag.unescape(escaped.bytes, into: &again)
    // NUL has no escape and is dropped; nothing else may change.
    require(again.array == value.filter { $0 != 0 }, "escape → unescape changed the value")
    var canonical = EncodeBuffer(capacity: 64)
    IRCTag.canonicalize(raw, into: &canonical)
    require(canonical.count == IRCTag.canonicalLength(raw), "canonicalLength is wrong")
    var canonicalValue = EncodeBuffer(capacity: 64)
    IRCTag.unescape(canonical.bytes, into: &canonicalValue)
    require(canonicalValue.array == value.filter { $0 != 0 }, "canonicalising changed the value")
}

func checkRefusal(_ error: IRCParseError, of line: UnsafeRawBufferPointer, limits: IRCLimits) {
    switch error {
    case .empty: require(line.allSatisfy { $0 == ASCII.space }, "refused as empty")
    case .forbiddenByte: require(line.containsForbiddenIRCByte(), "refused for a forbidden byte")
    case .lineTooLong: require(line.count > limits.maxLineLength, "refused as too long")
    case .tagsTooLong: require(line.count >= limits.maxTagsLength && line.first == IRCByte.at, "tags too long")
    case .noCommand, .badCommand: require(!line.containsForbiddenIRCByte(), "\(error) with a forbidden byte")
    }
}

/// Re-encodes `message` within `limits` and parses the line back with them.
func reencoded(_ message: IRCMessage, limits: IRCLimits) -> Parsed {
    var buffer = EncodeBuffer(capacity: 256)
    IRCEncoder.encode(message, limits: limits, into: &buffer)
    let wire = buffer.bytes
    require(wire.count >= 2 && wire[wire.count - 2] == ASCII.carriageReturn && wire.last == ASCII.newline, "no CR LF")
    let line = wire.slice(0..<(wire.count - 2))
    require(!line.containsForbiddenIRCByte(), "the encoder wrote NUL, CR or LF inside a line")
    switch IRCParser.parse(line, limits: limits) {
    case .message(let again): return Parsed(again)
    case .failure(let error): fatalError("invariant: re-encoded line refused (\(error)): \(Array(line))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let setting = reader.byte()
    let limits: IRCLimits
    switch setting & 3 {
    case 0: limits = .standard
    case 1: limits = .fromClient
    default:
        limits = IRCLimits(
            maxTagsLength: Int(reader.byte()), maxLineLength: Int(reader.byte()), maxParams: 1 + Int(setting >> 2) % 15)
    }
    let line = reader.rest()
    _ = IRCParser.commandWord(in: line).count
    switch IRCParser.parse(line, limits: limits) {
    case .failure(let error):
        checkRefusal(error, of: line, limits: limits)
    case .message(let message):
        checkViews(message, in: line, limits: limits)
        var expected = Parsed(message)
        // A last parameter taken without a colon (the 15th) needs one once it holds a space.
        if !message.hasTrailing, let last = expected.params.last, last.contains(ASCII.space) {
            expected.hasTrailing = true
        }
        let roomy = IRCLimits(maxTagsLength: 20_000, maxLineLength: 20_000, maxParams: limits.maxParams)
        let again = reencoded(message, limits: roomy)
        require(again == expected, "re-encoded as \(again), parsed \(expected)")
        // The canonical form is never longer than the line, but for that one colon: it fits the same limits.
        if expected.hasTrailing == message.hasTrailing {
            let within = reencoded(message, limits: limits)
            require(within == expected, "re-encoded within the limits as \(within), parsed \(expected)")
        }
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
