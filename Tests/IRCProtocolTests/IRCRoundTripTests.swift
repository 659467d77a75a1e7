// IRCRoundTripTests: parse(encode(x)) == x for tables and generated messages, and random garbage that
// must never trap or yield a view outside its line.

import Codec
import IRCProtocol
import Testing

@Suite struct IRCRoundTripTests {
    /// Encodes `message` with the string encoder and parses the line back.
    static func roundTrip(_ message: Parsed, alwaysTrailing: Bool) throws -> Parsed {
        let wire = rendered { buffer in
            IRCEncoder.encode(
                tags: message.tags.map { ($0.key, String(decoding: $0.value, as: UTF8.self)) },
                source: message.source.map { String(decoding: $0, as: UTF8.self) },
                command: IRCCommand(message.command)!,
                params: message.params.map { String(decoding: $0, as: UTF8.self) },
                alwaysTrailing: alwaysTrailing, into: &buffer)
        }
        #expect(wire.suffix(2) == [ASCII.carriageReturn, ASCII.newline])
        return try parse(Array(wire.dropLast(2))).get()
    }

    @Test(
        "messages survive encoding and parsing",
        arguments: [
            Parsed(command: "QUIT"),
            Parsed(
                source: Array("alice!a@host".utf8), command: "PRIVMSG",
                params: [Array("#lobby".utf8), Array("hi there".utf8)]),
            Parsed(command: "TOPIC", params: [Array("#lobby".utf8), []]),
            Parsed(command: "PRIVMSG", params: [Array("bob".utf8), Array(":-) ::".utf8)]),
            Parsed(command: "PRIVMSG", params: [Array("bob".utf8), Array("  spaced  ".utf8)]),
            Parsed(command: "001", params: [Array("alice".utf8), Array("Welcome".utf8)]),
            Parsed(
                tags: [
                    .init(key: "+draft/react", value: Array("\u{1F44D}; \\ \r\n".utf8)), .init(key: "msgid", value: []),
                ],
                source: Array("s".utf8), command: "TAGMSG", params: [Array("#c".utf8)]),
            Parsed(command: "FOO", params: (1...15).map { Array(String($0).utf8) }),
            Parsed(command: "FOO", params: (1...14).map { Array(String($0).utf8) } + [Array("last one".utf8)]),
        ])
    func roundTrips(_ message: Parsed) throws {
        var expected = message
        expected.hasTrailing = false
        var roundTripped = try Self.roundTrip(message, alwaysTrailing: false)
        // Whether the last parameter needed a colon is the encoder's choice; compare the fields.
        roundTripped.hasTrailing = false
        #expect(roundTripped == expected)
        expected.hasTrailing = !message.params.isEmpty
        #expect(try Self.roundTrip(message, alwaysTrailing: true) == expected)
    }

    @Test("generated messages survive encoding and parsing")
    func generatedRoundTrips() throws {
        var generator = SeededGenerator(seed: 0x1AC)
        for _ in 0..<3000 {
            let message = Self.randomMessage(using: &generator)
            let alwaysTrailing = Bool.random(using: &generator)
            var roundTripped = try Self.roundTrip(message, alwaysTrailing: alwaysTrailing)
            if !alwaysTrailing { roundTripped.hasTrailing = false }
            var expected = message
            expected.hasTrailing = alwaysTrailing && !message.params.isEmpty
            #expect(roundTripped == expected)
            if roundTripped != expected { break }
        }
    }

    @Test("parsed lines re-rendered by the encoder parse to the same message")
    func reencodesParsedLines() throws {
        let lines = [
            "@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764;e=\\b\\ :quux!u@h PRIVMSG #c :hello  world ",
            ":src   JOIN   :#chan",
            "privmsg bob ::)",
            "FOO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16  17  ",
            "@+typing=active;;bad_key=1 TAGMSG #x",
        ]
        for line in lines {
            var original = try parse(line).get()
            // The 15th parameter, taken without a colon, needs one once it stands alone.
            if line.hasPrefix("FOO 1 ") { original.hasTrailing = true }
            let wire = try withBytes(line) { raw in
                let message = try #require(IRCParser.parse(raw).message)
                return rendered { buffer in IRCEncoder.encode(message, into: &buffer) }
            }
            #expect(try parse(Array(wire.dropLast(2))).get() == original, "\(line)")
        }
        let canonical = try withBytes("@e=\\b\\;f :src   privmsg   #c   :hi") { raw in
            let message = try #require(IRCParser.parse(raw).message)
            return renderedText { buffer in IRCEncoder.encode(message, into: &buffer) }
        }
        #expect(canonical == "@e=b;f :src PRIVMSG #c :hi\r\n")
    }

    @Test("random bytes never trap the parser, and every view stays inside the line")
    func survivesGarbage() throws {
        var generator = SeededGenerator(seed: 0x6A7BA6E)
        var parsedCount = 0
        var refusals: [IRCParseError: Int] = [:]
        for iteration in 0..<5000 {
            let line = Self.randomLine(using: &generator)
            let limits =
                iteration % 4 == 0 ? IRCLimits(maxParams: Int.random(in: 1...15, using: &generator)) : .standard
            try line.withUnsafeBytes { raw in
                switch IRCParser.parse(raw, limits: limits) {
                case .message(let message):
                    parsedCount += 1
                    try Self.checkViews(of: message, in: raw, limits: limits)
                    try Self.checkReencoding(of: message, limits: limits)
                case .failure(let error):
                    refusals[error, default: 0] += 1
                    Self.checkRefusal(error, of: raw, limits: limits)
                }
                _ = IRCParser.commandWord(in: raw).count
            }
        }
        // The generator is tuned so that many lines parse; make sure it stays that way.
        #expect(parsedCount > 2000)
        #expect(Set(refusals.keys) == Set(IRCParseError.allCases))
    }

    // MARK: Checks

    static func isInside(_ view: UnsafeRawBufferPointer, _ line: UnsafeRawBufferPointer) -> Bool {
        guard let start = view.baseAddress else { return view.isEmpty }
        guard let base = line.baseAddress else { return false }
        return start >= base && start + view.count <= base + line.count
    }

    static func checkViews(of message: IRCMessage, in line: UnsafeRawBufferPointer, limits: IRCLimits) throws {
        #expect(message.params.count <= limits.maxParams)
        for (index, param) in message.params.enumerated() {
            #expect(isInside(param, line))
            let isLast = index == message.params.count - 1
            if !isLast {
                #expect(!param.isEmpty && param[0] != ASCII.colon && !param.contains(ASCII.space))
            }
            _ = CTCP(param)?.isAction
            for item in IRCCommaList(param) { #expect(isInside(item, line)) }
        }
        if let source = message.source {
            #expect(isInside(source, line) && !source.isEmpty && !source.contains(ASCII.space))
        }
        #expect(isInside(message.commandBytes, line))
        #expect(message.command.matches(message.commandBytes))
        #expect(isInside(message.tags.raw, line))
        for tag in message.tags {
            #expect(isInside(tag.key, line) && isInside(tag.rawValue, line))
            #expect(IRCTag.isValidKey(tag.key))
            #expect(tag.value.count <= tag.rawValue.count)
        }
    }

    /// Re-encodes with generous limits (canonical spelling may add a colon) and parses back.
    static func checkReencoding(of message: IRCMessage, limits: IRCLimits) throws {
        let roomy = IRCLimits(maxTagsLength: 20_000, maxLineLength: 20_000, maxParams: limits.maxParams)
        let wire = rendered { buffer in IRCEncoder.encode(message, limits: roomy, into: &buffer) }
        let again = try parse(Array(wire.dropLast(2)), limits: roomy).get()
        var expected = Parsed(message)
        // The 15th parameter, taken without a colon, may need one once it stands alone.
        if !message.hasTrailing, let last = expected.params.last, last.contains(ASCII.space) {
            expected.hasTrailing = true
        }
        #expect(again == expected)
    }

    static func checkRefusal(_ error: IRCParseError, of line: UnsafeRawBufferPointer, limits: IRCLimits) {
        switch error {
        case .empty: #expect(line.allSatisfy { $0 == ASCII.space })
        case .forbiddenByte: #expect(line.containsForbiddenIRCByte())
        case .lineTooLong: #expect(line.count > limits.maxLineLength)
        case .tagsTooLong: #expect(line.count >= limits.maxTagsLength && line.first == IRCByte.at)
        case .noCommand, .badCommand: #expect(!line.containsForbiddenIRCByte())
        }
    }

    // MARK: Generators

    /// Bytes that mean something in IRC, weighted so that random lines often almost parse.
    static let alphabet: [UInt8] =
        Array(" :  @;=\\,+/!.#".utf8) + Array("PRIVMSGjoin".utf8) + Array("0123".utf8) + [0x01, 0xC3, 0xA9, 0xF0, 0x9F]

    static func randomLine(using generator: inout SeededGenerator) -> [UInt8] {
        var line: [UInt8] = []
        // A structured head most of the time: tags, a source, a command.
        if Int.random(in: 0..<3, using: &generator) == 0 {
            line +=
                Array("@".utf8) + randomBytes(0...40, using: &generator).filter { $0 != ASCII.space } + [ASCII.space]
        }
        if Bool.random(using: &generator) {
            line += Array(":".utf8) + randomBytes(0...10, using: &generator) + [ASCII.space]
        }
        line += Array(["PRIVMSG", "join", "001", "CAP", "Nick", "x1", ""].randomElement(using: &generator)!.utf8)
        if Int.random(in: 0..<10, using: &generator) != 0 { line.append(ASCII.space) }
        line += randomBytes(0...80, using: &generator)
        switch Int.random(in: 0..<40, using: &generator) {
        case 0: line += Array(repeating: UInt8(ascii: "y"), count: Int.random(in: 400...600, using: &generator))
        case 1:
            line =
                Array("@".utf8)
                + Array(repeating: UInt8(ascii: "t"), count: Int.random(in: 8000...8300, using: &generator)) + line
        case 2:
            line.insert(
                [0x00, 0x0D, 0x0A].randomElement(using: &generator)!,
                at: Int.random(in: 0...line.count, using: &generator))
        case 3: line = randomBytes(0...100, anyByte: true, using: &generator)
        default: break
        }
        return line
    }

    static func randomBytes(
        _ length: ClosedRange<Int>, anyByte: Bool = false, using generator: inout SeededGenerator
    ) -> [UInt8] {
        (0..<Int.random(in: length, using: &generator)).map { _ in
            anyByte || Int.random(in: 0..<8, using: &generator) == 0
                ? UInt8.random(in: 0...255, using: &generator)
                : alphabet.randomElement(using: &generator)!
        }
        .filter { anyByte || ($0 != 0 && $0 != 0x0D && $0 != 0x0A) }
    }

    /// A message within the limits, whose parts the string encoder accepts.
    static func randomMessage(using generator: inout SeededGenerator) -> Parsed {
        func word(_ characters: String, _ length: ClosedRange<Int>) -> [UInt8] {
            let pool = Array(characters.utf8)
            return (0..<Int.random(in: length, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
        }
        // Valid UTF-8 only: the string encoder takes Strings.
        let text = "ab :;=\\,+\t\u{1}#\u{E9}\u{1F603}"
        func textBytes(_ length: ClosedRange<Int>) -> [UInt8] {
            let pool = Array(text.unicodeScalars)
            let scalars = (0..<Int.random(in: length, using: &generator)).map { _ in
                pool.randomElement(using: &generator)!
            }
            return Array(String(String.UnicodeScalarView(scalars)).utf8)
        }
        var message = Parsed(command: "PRIVMSG")
        for _ in 0..<Int.random(in: 0...3, using: &generator) {
            let key =
                (Bool.random(using: &generator) ? "+" : "") + String(decoding: word("abz09-", 1...8), as: UTF8.self)
            message.tags.append(
                .init(key: key, value: textBytes(0...12) + (Bool.random(using: &generator) ? Array("\r\n".utf8) : [])))
        }
        if Bool.random(using: &generator) { message.source = word("abc!@.~-_[]", 1...20) }
        let commands = ["PRIVMSG", "NOTICE", "001", "353", "JOIN", "CAP", "TAGMSG"]
        message.command = commands.randomElement(using: &generator)!
        let count = Int.random(in: 0...15, using: &generator)
        for index in 0..<count {
            if index == count - 1 {
                message.params.append(textBytes(0...40))
            } else {
                var middle = word("ab#&:,*=\\", 1...10)
                if middle[0] == ASCII.colon { middle[0] = UInt8(ascii: "c") }
                message.params.append(middle)
            }
        }
        return message
    }
}
