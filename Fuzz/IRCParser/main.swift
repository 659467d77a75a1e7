// FuzzIRCParser: libFuzzer target for the IRC parser, its tags and the encoder. A line is parsed
// under limits the input chooses (small ones, so short inputs reach them); a message's views must
// stay in the line and keep the grammar, a refusal must name a rule the line breaks, and the
// message re-encoded must parse back to itself, both with roomy limits and with the same ones.
// Tag values must survive escape → unescape, and canonicalising must keep their meaning.

import Codec
import FuzzSupport
import IRCProtocol

/// Whether two lists of byte strings are the same, by memcmp (see ``Parsed/==``).
func same(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Bytes.equal($0, $1) }
}

/// A parsed message copied out of its line, for comparisons.
struct Parsed: Equatable {
    var tags: [[UInt8]] = []  // key, "=", unescaped value
    var source: [UInt8]?
    var command: String
    var params: [[UInt8]]
    var hasTrailing: Bool

    // By memcmp: the derived == compares a byte at a time, each byte a callback to libFuzzer.
    static func == (a: Parsed, b: Parsed) -> Bool {
        let sources = a.source.flatMap { a in b.source.map { Bytes.equal(a, $0) } } ?? (a.source == nil && b.source == nil)
        return same(a.tags, b.tags) && sources && a.command == b.command && same(a.params, b.params)
            && a.hasTrailing == b.hasTrailing
    }

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
            require(!param.isEmpty && param[0] != ASCII.colon && !Bytes.contains(ASCII.space, in: param), "middle \(index)")
        }
        if let ctcp = CTCP(param) {
            require(isInside(ctcp.command, line) && isInside(ctcp.params, line), "CTCP views outside the line")
            _ = ctcp.isAction
        }
        for item in IRCCommaList(param) { require(isInside(item, line), "list item outside the line") }
    }
    if let source = message.source {
        require(isInside(source, line) && !source.isEmpty && !Bytes.contains(ASCII.space, in: source), "source")
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

/// The tag checks' buffers, kept between inputs: five allocations and copies per tag value were
/// most of what checking a tag cost.
final class TagScratch {
    var unescaped = EncodeBuffer(capacity: 64)
    var escaped = EncodeBuffer(capacity: 64)
    var again = EncodeBuffer(capacity: 64)
    var canonical = EncodeBuffer(capacity: 64)
    var canonicalValue = EncodeBuffer(capacity: 64)
}
nonisolated(unsafe) let tagScratch = TagScratch()

/// Unescaping, escaping, canonicalising and their length predictions agree.
func checkTagValue(_ raw: UnsafeRawBufferPointer) {
    let scratch = tagScratch
    scratch.unescaped.removeAll()
    IRCTag.unescape(raw, into: &scratch.unescaped)
    let value = scratch.unescaped.bytes
    require(value.count <= raw.count, "unescaping made the value longer")
    scratch.escaped.removeAll()
    IRCTag.escape(value, into: &scratch.escaped)
    require(scratch.escaped.count == IRCTag.escapedLength(value), "escapedLength is wrong")
    scratch.again.removeAll()
    IRCTag.unescape(scratch.escaped.bytes, into: &scratch.again)
    // NUL has no escape and is dropped; nothing else may change.
    let withoutNUL = value.lazy.filter { $0 != 0 }
    require(scratch.again.bytes.elementsEqual(withoutNUL), "escape → unescape changed the value")
    scratch.canonical.removeAll()
    IRCTag.canonicalize(raw, into: &scratch.canonical)
    require(scratch.canonical.count == IRCTag.canonicalLength(raw), "canonicalLength is wrong")
    scratch.canonicalValue.removeAll()
    IRCTag.unescape(scratch.canonical.bytes, into: &scratch.canonicalValue)
    require(scratch.canonicalValue.bytes.elementsEqual(withoutNUL), "canonicalising changed the value")
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

/// Bytes of `reader` mapped onto `alphabet`, `length` of them.
func word(_ reader: inout FuzzReader, _ alphabet: [UInt8], _ length: Int) -> String {
    String(decoding: (0..<length).map { _ in alphabet[reader.below(alphabet.count)] }, as: UTF8.self)
}

let keyBytes = Array("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-".utf8)
let wordBytes = Array("abcXYZ019#&!@.*~,=;\\+-[]{}|^`:\u{1}é".utf8).filter { $0 != ASCII.space }
let commands = ["PRIVMSG", "NOTICE", "JOIN", "TAGMSG", "001", "353", "CAP", "MODE", "x"]

/// A message built from the input with the string encoder, which must parse back to its parts:
/// exactly within roomy limits; within the standard ones, exactly unless the writer had to cut.
func buildAndParse(_ reader: inout FuzzReader) {
    var tags: [(key: String, value: String)] = []
    for _ in 0..<reader.below(4) {
        let plus = reader.byte() & 1 == 0 ? "+" : ""
        let vendor = reader.byte() & 3 == 0 ? word(&reader, keyBytes, 1 + reader.below(6)) + ".x/" : ""
        let name = word(&reader, keyBytes, 1 + reader.below(10))
        let value = String(decoding: reader.take(reader.below(24)), as: UTF8.self)
        tags.append((plus + vendor + name, value))
    }
    let source = reader.byte() & 1 == 0 ? nil : word(&reader, wordBytes, 1 + reader.below(40))
    let command = IRCCommand(commands[reader.below(commands.count)])!
    var params: [String] = []
    let count = reader.below(16)
    for index in 0..<count {
        if index == count - 1 {
            params.append(String(decoding: reader.take(reader.below(600)), as: UTF8.self))
        } else {
            var middle = word(&reader, wordBytes, 1 + reader.below(12))
            if middle.utf8.first == ASCII.colon { middle = "c" + middle }
            params.append(middle)
        }
    }
    let alwaysTrailing = reader.byte() & 1 == 0
    // What the parser must give back: NUL left out of tag values; NUL, CR and LF of the last parameter as spaces.
    let expectedTags = tags.map { Array($0.key.utf8) + [UInt8(ascii: "=")] + Array($0.value.utf8).filter { $0 != 0 } }
    let expectedParams = params.enumerated().map { index, param in
        index == params.count - 1
            ? Array(param.utf8).map { $0 == 0 || $0 == 13 || $0 == 10 ? ASCII.space : $0 } : Array(param.utf8)
    }
    for limits in [IRCLimits(maxTagsLength: 20_000, maxLineLength: 20_000), .standard] {
        var buffer = EncodeBuffer(capacity: 256)
        var line = IRCLineWriter(buffer, limits: limits)
        for (key, value) in tags {
            var key = key
            var value = value
            key.withUTF8 { key in
                value.withUTF8 { value in
                    _ = line.tag(key: UnsafeRawBufferPointer(key), value: UnsafeRawBufferPointer(value), into: &buffer)
                }
            }
        }
        if let source { line.source(string: source, into: &buffer) }
        line.command(command, into: &buffer)
        for (index, param) in params.enumerated() {
            if index == params.count - 1 {
                line.lastParam(string: param, alwaysTrailing: alwaysTrailing, into: &buffer)
            } else {
                line.param(string: param, into: &buffer)
            }
        }
        line.finish(into: &buffer)
        let wire = buffer.bytes.slice(0..<(buffer.count - 2))
        require(!wire.containsForbiddenIRCByte(), "the writer put NUL, CR or LF inside a line")
        guard case .message(let message) = IRCParser.parse(wire, limits: limits) else {
            fatalError("invariant: the writer's line does not parse within its limits: \(Array(wire))")
        }
        let parsed = Parsed(message)
        if line.isTruncated {
            require(limits == .standard, "cut within roomy limits")
            require(parsed.params.count <= params.count, "a cut line has more parameters")
            continue
        }
        require(same(parsed.tags, expectedTags), "tags \(parsed.tags), wrote \(expectedTags)")
        require(parsed.source == source.map { Array($0.utf8) }, "source \(String(describing: parsed.source))")
        require(parsed.command == command.description, "command \(parsed.command)")
        require(same(parsed.params, expectedParams), "params \(parsed.params), wrote \(expectedParams)")
        require(parsed.hasTrailing == (alwaysTrailing && !params.isEmpty) || !alwaysTrailing, "trailing")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let setting = reader.byte()
    if setting & 0x80 != 0 && setting & 3 == 0 {
        buildAndParse(&reader)
        return 0
    }
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
        if !message.hasTrailing, let last = expected.params.last, Bytes.contains(ASCII.space, in: last) {
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
