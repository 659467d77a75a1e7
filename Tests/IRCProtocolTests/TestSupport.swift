// TestSupport: parsed messages as comparable values, the encoder as a string function, and a seeded
// random generator for the garbage and round-trip tests.

import Codec
import IRCProtocol

/// A parsed message copied out of its line, so tests can compare and print it.
struct Parsed: Equatable, Sendable, CustomStringConvertible {
    struct Tag: Equatable, Sendable {
        var key: String
        var value: [UInt8]
    }

    var tags: [Tag] = []
    var source: [UInt8]?
    var command: String
    var params: [[UInt8]] = []
    var hasTrailing = false

    init(tags: [Tag] = [], source: [UInt8]? = nil, command: String, params: [[UInt8]] = [], hasTrailing: Bool = false) {
        self.tags = tags
        self.source = source
        self.command = command
        self.params = params
        self.hasTrailing = hasTrailing
    }

    init(_ message: IRCMessage) {
        self.tags = message.tags.map { Tag(key: String(decoding: $0.key, as: UTF8.self), value: $0.value) }
        self.source = message.source.map(Array.init)
        self.command = message.command.description
        self.params = message.params.map(Array.init)
        self.hasTrailing = message.hasTrailing
    }

    /// Compact and unambiguous: `{k=v;…} <source> COMMAND [p] … :[last]`.
    var description: String {
        func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        var parts: [String] = []
        if !self.tags.isEmpty {
            parts.append("{" + self.tags.map { "\($0.key)=\(text($0.value))" }.joined(separator: ";") + "}")
        }
        if let source = self.source { parts.append("<\(text(source))>") }
        parts.append(self.command)
        for (index, param) in self.params.enumerated() {
            let colon = index == self.params.count - 1 && self.hasTrailing ? ":" : ""
            parts.append("\(colon)[\(text(param))]")
        }
        return parts.joined(separator: " ")
    }
}

/// Parses `line` (no CR LF) and describes the outcome: a ``Parsed`` description or `error(reason)`.
func describe(_ line: String, limits: IRCLimits = .standard) -> String {
    describe(bytes: Array(line.utf8), limits: limits)
}

func describe(bytes: [UInt8], limits: IRCLimits = .standard) -> String {
    switch parse(bytes, limits: limits) {
    case .success(let parsed): return parsed.description
    case .failure(let error): return "error(\(error))"
    }
}

/// Parses `bytes` and copies the message out.
func parse(_ bytes: [UInt8], limits: IRCLimits = .standard) -> Result<Parsed, IRCParseError> {
    bytes.withUnsafeBytes { raw in
        switch IRCParser.parse(raw, limits: limits) {
        case .message(let message): return .success(Parsed(message))
        case .failure(let error): return .failure(error)
        }
    }
}

func parse(_ line: String, limits: IRCLimits = .standard) -> Result<Parsed, IRCParseError> {
    parse(Array(line.utf8), limits: limits)
}

/// What `render` appends to a fresh buffer, as bytes.
func rendered(_ render: (inout EncodeBuffer) -> Void) -> [UInt8] {
    var buffer = EncodeBuffer(capacity: 8)
    render(&buffer)
    return buffer.array
}

/// What `render` appends to a fresh buffer, as a string.
func renderedText(_ render: (inout EncodeBuffer) -> Void) -> String {
    String(decoding: rendered(render), as: UTF8.self)
}

/// Calls `body` with the UTF-8 bytes of `text`.
func withBytes<Result>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
    try Array(text.utf8).withUnsafeBytes(body)
}

/// SplitMix64: a small seeded generator, so a failing garbage test can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
