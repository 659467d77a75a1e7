// HTTPQuery: a request's query string as name/value pairs (`?nick=NAME&room=ROOM`), percent-decoded.

/// The `name=value` pairs of a query string, in order, decoded as HTML forms encode them
/// (`application/x-www-form-urlencoded`: `+` is a space, `%XX` is a byte).
///
/// Strict about what it keeps: a pair whose name or value holds a malformed escape (`%zz`, a `%` at
/// the end) or does not decode to UTF-8 is dropped, so a caller never sees a half-decoded value.
/// A pair without `=` has an empty value; empty pairs (`a=1&&b=2`) are skipped.
///
/// ```swift
/// let query = HTTPQuery("nick=J%C3%BCrgen&room=%23lobby&x")
/// query["nick"]   // "Jürgen"
/// query["room"]   // "#lobby"
/// query["x"]      // ""
/// query["y"]      // nil
/// ```
public struct HTTPQuery: Sendable, Hashable, RandomAccessCollection {
    /// One decoded pair.
    public struct Item: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public typealias Element = Item
    public typealias Index = Int

    /// The pairs that decoded, in order.
    public let items: [Item]

    /// Parses a raw query string (without the `?`).
    public init(_ query: String) {
        var items: [Item] = []
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = equals.map { pair[..<$0] } ?? pair[...]
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            guard let name = Self.percentDecode(rawName, plusAsSpace: true),
                let value = Self.percentDecode(rawValue, plusAsSpace: true),
                let nameText = String(validating: name, as: UTF8.self),
                let valueText = String(validating: value, as: UTF8.self)
            else { continue }
            items.append(Item(name: nameText, value: valueText))
        }
        self.items = items
    }

    public var startIndex: Int { self.items.startIndex }
    public var endIndex: Int { self.items.endIndex }
    public subscript(position: Int) -> Item { self.items[position] }

    /// The value of the first pair called `name` (compared exactly, after decoding), or `nil`.
    public subscript(name: String) -> String? {
        self.items.first { $0.name == name }?.value
    }

    /// `text` with each `%XX` replaced by the byte it stands for (and `+` by a space, if asked), or
    /// `nil` if a `%` is not followed by two hexadecimal digits.
    public static func percentDecode(_ text: some Collection<UInt8>, plusAsSpace: Bool) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index != text.endIndex {
            let byte = text[index]
            text.formIndex(after: &index)
            switch byte {
            case UInt8(ascii: "%"):
                guard index != text.endIndex, let high = hexValue(text[index]) else { return nil }
                text.formIndex(after: &index)
                guard index != text.endIndex, let low = hexValue(text[index]) else { return nil }
                text.formIndex(after: &index)
                output.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                output.append(UInt8(ascii: " "))
            default:
                output.append(byte)
            }
        }
        return output
    }
}

/// The value of a hexadecimal digit (either case), or `nil`.
@inline(__always)
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
