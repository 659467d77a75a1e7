// HTTPHeaders: an ordered list of header fields with case-insensitive lookup and comma-list tokens.

import Codec

/// One header field: a name and its value, without the surrounding whitespace.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Header fields in the order they were sent, looked up by name ignoring ASCII case.
///
/// A request head keeps its fields as sent, repeated names included; lookups scan the list, which
/// is at most ``HTTPHeadLimits/maxHeaderCount`` long and usually a dozen.
///
/// ```swift
/// headers["sec-websocket-key"]                          // the first value, any spelling of the name
/// headers.values(named: "Sec-WebSocket-Protocol")       // every value, in order
/// headers.containsToken("upgrade", inField: "Connection")  // "keep-alive, Upgrade" has it
/// ```
public struct HTTPHeaders: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = HTTPHeader
    public typealias Index = Int

    private var fields: [HTTPHeader]

    public init() {
        self.fields = []
    }

    public init(_ fields: [HTTPHeader]) {
        self.fields = fields
    }

    /// Fields from a literal, in order; repeating a name is allowed (`["Vary": "a", "Vary": "b"]`).
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { HTTPHeader(name: $0.0, value: $0.1) }
    }

    public var startIndex: Int { self.fields.startIndex }
    public var endIndex: Int { self.fields.endIndex }
    public subscript(position: Int) -> HTTPHeader { self.fields[position] }

    /// Adds a field at the end.
    public mutating func add(name: String, value: String) {
        self.fields.append(HTTPHeader(name: name, value: value))
    }

    /// The value of the first field called `name` (ignoring case), or `nil`.
    public subscript(name: String) -> String? {
        self.fields.first { Self.namesMatch($0.name, name) }?.value
    }

    /// The values of every field called `name` (ignoring case), in order.
    public func values(named name: String) -> [String] {
        self.fields.filter { Self.namesMatch($0.name, name) }.map(\.value)
    }

    /// How many fields are called `name` (ignoring case).
    public func count(named name: String) -> Int {
        self.fields.reduce(0) { $0 + (Self.namesMatch($1.name, name) ? 1 : 0) }
    }

    /// The elements of the comma-separated lists in every field called `name`, in order, without
    /// the whitespace around them and without empty elements (RFC 9110 section 5.6.1).
    public func tokens(inField name: String) -> [Substring] {
        var tokens: [Substring] = []
        for value in self.values(named: name) {
            for element in value.utf8.split(separator: 0x2C, omittingEmptySubsequences: true) {
                let trimmed = Self.trimmingWhitespace(element)
                if !trimmed.isEmpty { tokens.append(Substring(trimmed)) }
            }
        }
        return tokens
    }

    /// Whether a comma-separated field called `name` lists `token`, ignoring ASCII case in both.
    ///
    /// For fields whose elements are case-insensitive tokens, such as `Connection` and `Upgrade`.
    public func containsToken(_ token: String, inField name: String) -> Bool {
        self.tokens(inField: name).contains { Self.equalsIgnoringCase($0.utf8, token.utf8) }
    }

    /// Whether two field names are the same, ignoring ASCII case.
    public static func namesMatch(_ a: String, _ b: String) -> Bool {
        Self.equalsIgnoringCase(a.utf8, b.utf8)
    }

    static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }

    /// `text` without spaces and tabs at either end (OWS, RFC 9110 section 5.6.3).
    static func trimmingWhitespace(_ text: Substring.UTF8View) -> Substring.UTF8View {
        var start = text.startIndex
        var end = text.endIndex
        while start < end && (text[start] == ASCII.space || text[start] == ASCII.tab) { text.formIndex(after: &start) }
        while start < end {
            let last = text.index(before: end)
            guard text[last] == ASCII.space || text[last] == ASCII.tab else { break }
            end = last
        }
        return text[start..<end]
    }
}
