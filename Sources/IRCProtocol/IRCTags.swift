// IRCTags: the IRCv3 message-tags section of a line, read lazily: keys, escaped values, unescaping.

import Codec

/// The tags of a message (IRCv3 message-tags): `key[=value]` items separated by `;`.
///
/// A view over the tag section's bytes (without the `@` and the space), parsed only when iterated.
/// Iteration yields the well-formed tags in order and skips the rest, as the specification asks
/// ("MUST NOT perform any validation that would reject the message if an invalid tag key name is
/// used"): empty items (`;;`) and keys that are not `[+][vendor/]name`, where vendor is a host name
/// (letters, digits, `-`, `.`) and name is letters, digits and `-`.
///
/// Values are kept escaped as on the wire; ``IRCTag/value`` and ``IRCTag/unescapeValue(into:)``
/// undo the escaping. A key given twice yields both tags; ``subscript(_:)-(String)`` returns the last,
/// as the specification says to use.
///
/// The view allocates nothing; the work is bounded by the tag section's length, which the parser has
/// already limited.
public struct IRCTags: Sequence {
    /// The tag section without its `@` and the space after it.
    public let raw: UnsafeRawBufferPointer

    /// A view over `raw`: tag-section bytes without the `@` and the space.
    public init(raw: UnsafeRawBufferPointer) {
        self.raw = raw
    }

    /// Whether there is no well-formed tag.
    public var isEmpty: Bool {
        var iterator = self.makeIterator()
        return iterator.next() == nil
    }

    /// The value of the last tag with key `key` (matched exactly, `+` and vendor included), or `nil`.
    public subscript(_ key: String) -> IRCTag? {
        var key = key
        return key.withUTF8 { self[bytes: UnsafeRawBufferPointer($0)] }
    }

    /// The last tag whose key is `key`, byte for byte, or `nil`.
    public subscript(bytes key: UnsafeRawBufferPointer) -> IRCTag? {
        var found: IRCTag?
        for tag in self where tag.key.elementsEqual(key) {
            found = tag
        }
        return found
    }

    public func makeIterator() -> Iterator {
        Iterator(raw: self.raw)
    }

    /// Yields the well-formed tags in order.
    public struct Iterator: IteratorProtocol {
        let raw: UnsafeRawBufferPointer
        var position = 0

        init(raw: UnsafeRawBufferPointer) {
            self.raw = raw
        }

        public mutating func next() -> IRCTag? {
            while self.position < self.raw.count {
                let start = self.position
                var end = start
                while end < self.raw.count && self.raw[end] != IRCByte.semicolon { end += 1 }
                self.position = end + 1
                var equals = start
                while equals < end && self.raw[equals] != IRCByte.equals { equals += 1 }
                let key = self.raw.slice(start..<equals)
                guard IRCTag.isValidKey(key) else { continue }
                let value = equals < end ? self.raw.slice((equals + 1)..<end) : self.raw.slice(end..<end)
                return IRCTag(key: key, rawValue: value)
            }
            return nil
        }
    }
}

/// One tag: a key and its value, escaped as on the wire.
public struct IRCTag {
    /// The whole key: `+` for client-only tags, then `vendor/` if any, then the name.
    public let key: UnsafeRawBufferPointer
    /// The value as on the wire, still escaped; empty for `key` and `key=`, which mean the same.
    public let rawValue: UnsafeRawBufferPointer

    /// A tag with `key` and the escaped `rawValue`.
    public init(key: UnsafeRawBufferPointer, rawValue: UnsafeRawBufferPointer) {
        self.key = key
        self.rawValue = rawValue
    }

    /// Whether the key starts with `+`: a client-only tag, which servers relay but do not interpret.
    public var isClientOnly: Bool {
        !self.key.isEmpty && self.key[0] == IRCByte.plus
    }

    /// The vendor (the part before `/`, without `+`), or `nil` for a tag without one.
    public var vendor: UnsafeRawBufferPointer? {
        let start = self.isClientOnly ? 1 : 0
        guard let slash = self.key[start...].firstIndex(of: ASCII.slash) else { return nil }
        return self.key.slice(start..<slash)
    }

    /// The key without `+` and vendor.
    public var name: UnsafeRawBufferPointer {
        let start = self.isClientOnly ? 1 : 0
        let slash = self.key[start...].firstIndex(of: ASCII.slash)
        return self.key.slice((slash.map { $0 + 1 } ?? start)..<self.key.count)
    }

    /// The unescaped value, appended to `buffer` (allocates nothing once the buffer has grown).
    public func unescapeValue(into buffer: inout EncodeBuffer) {
        Self.unescape(self.rawValue, into: &buffer)
    }

    /// The unescaped value, as bytes (allocates: tags are rare).
    public var value: [UInt8] {
        var buffer = EncodeBuffer(capacity: max(self.rawValue.count, 1))
        self.unescapeValue(into: &buffer)
        return buffer.array
    }

    /// The unescaped value, decoded as UTF-8 with invalid bytes replaced.
    public var valueString: String {
        String(decoding: self.value, as: UTF8.self)
    }

    /// Appends `raw` unescaped: `\:` is `;`, `\s` is a space, `\\` is `\`, `\r` and `\n` are CR and
    /// LF; any other escaped byte stands for itself, and a lone `\` at the end is dropped.
    public static func unescape(_ raw: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        var runStart = 0
        var i = 0
        let count = raw.count
        while i < count {
            guard raw[i] == IRCByte.backslash else {
                i += 1
                continue
            }
            buffer.append(raw.slice(runStart..<i))
            i += 1
            if i < count {
                switch raw[i] {
                case ASCII.colon: buffer.append(byte: IRCByte.semicolon)
                case UInt8(ascii: "s"): buffer.append(byte: ASCII.space)
                case UInt8(ascii: "r"): buffer.append(byte: ASCII.carriageReturn)
                case UInt8(ascii: "n"): buffer.append(byte: ASCII.newline)
                default: buffer.append(byte: raw[i])  // "\\" and unknown escapes alike
                }
                i += 1
            }
            runStart = i
        }
        buffer.append(raw.slice(runStart..<count))
    }

    /// Appends `value` escaped for the wire: `;`, space, `\`, CR and LF as `\:`, `\s`, `\\`, `\r`,
    /// `\n`. NUL has no escape and is left out.
    public static func escape(_ value: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        var runStart = 0
        for i in 0..<value.count {
            let replacement: StaticString?
            switch value[i] {
            case IRCByte.semicolon: replacement = "\\:"
            case ASCII.space: replacement = "\\s"
            case IRCByte.backslash: replacement = "\\\\"
            case ASCII.carriageReturn: replacement = "\\r"
            case ASCII.newline: replacement = "\\n"
            case ASCII.nul: replacement = ""
            default: replacement = nil
            }
            guard let replacement else { continue }
            buffer.append(value.slice(runStart..<i))
            buffer.append(replacement)
            runStart = i + 1
        }
        buffer.append(value.slice(runStart..<value.count))
    }

    /// The length of `value` once escaped by ``escape(_:into:)``.
    public static func escapedLength(_ value: UnsafeRawBufferPointer) -> Int {
        var length = 0
        for byte in value {
            switch byte {
            case IRCByte.semicolon, ASCII.space, IRCByte.backslash, ASCII.carriageReturn, ASCII.newline: length += 2
            case ASCII.nul: break
            default: length += 1
            }
        }
        return length
    }

    /// The length of `raw` (an escaped value from the wire) in the form ``escape(_:into:)`` writes.
    ///
    /// Unescaping and escaping again differs from the wire form only where an escape is unknown
    /// (`\b` is `b`) or a lone `\` ends the value (dropped); raw values hold no `;`, space, CR or LF.
    public static func canonicalLength(_ raw: UnsafeRawBufferPointer) -> Int {
        var length = 0
        var i = 0
        while i < raw.count {
            if raw[i] != IRCByte.backslash {
                length += 1
                i += 1
            } else if i + 1 < raw.count {
                length += Self.isKnownEscape(raw[i + 1]) ? 2 : Self.escapedLength(of: raw[i + 1])
                i += 2
            } else {
                i += 1
            }
        }
        return length
    }

    /// Appends `raw` (an escaped value from the wire) in the form ``escape(_:into:)`` writes, without
    /// unescaping it into a copy first.
    public static func canonicalize(_ raw: UnsafeRawBufferPointer, into buffer: inout EncodeBuffer) {
        var runStart = 0
        var i = 0
        while i < raw.count {
            guard raw[i] == IRCByte.backslash else {
                i += 1
                continue
            }
            if i + 1 < raw.count && Self.isKnownEscape(raw[i + 1]) {
                i += 2  // already canonical: part of the run
                continue
            }
            buffer.append(raw.slice(runStart..<i))
            if i + 1 < raw.count {
                // An unknown escape stands for its byte, which is escaped again if it needs to be.
                let byte = raw[i + 1]
                withUnsafeBytes(of: byte) { Self.escape($0, into: &buffer) }
                i += 2
            } else {
                i += 1
            }
            runStart = i
        }
        buffer.append(raw.slice(runStart..<raw.count))
    }

    @inline(__always)
    private static func isKnownEscape(_ byte: UInt8) -> Bool {
        byte == ASCII.colon || byte == UInt8(ascii: "s") || byte == IRCByte.backslash || byte == UInt8(ascii: "r")
            || byte == UInt8(ascii: "n")
    }

    @inline(__always)
    private static func escapedLength(of byte: UInt8) -> Int {
        withUnsafeBytes(of: byte) { Self.escapedLength($0) }
    }

    /// Whether `key` is `[+][vendor/]name`: vendor letters, digits, `-` and `.`; name letters, digits
    /// and `-`; neither empty.
    public static func isValidKey(_ key: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if i < key.count && key[i] == IRCByte.plus { i += 1 }
        var partStart = i
        var sawSlash = false
        var sawDot = false
        while i < key.count {
            let byte = key[i]
            if byte == ASCII.slash {
                // One vendor, and it must not be empty.
                guard !sawSlash && i > partStart else { return false }
                sawSlash = true
                partStart = i + 1
            } else if byte == UInt8(ascii: ".") {
                // Dots belong to the vendor's host name only.
                guard !sawSlash else { return false }
                sawDot = true
            } else if !Self.isKeyByte(byte) {
                return false
            }
            i += 1
        }
        return i > partStart && (sawSlash || !sawDot)
    }

    @inline(__always)
    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || byte == UInt8(ascii: "-")
    }
}
