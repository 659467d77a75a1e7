// IRCCommaList: the comma-separated lists in IRC parameters (JOIN #a,#b key1,key2; PRIVMSG a,b).

import Codec

/// The items of a comma-separated parameter, as views into it: `#a,#b` yields `#a` and `#b`.
///
/// Empty items are kept by default, because some lists are positional: in `JOIN #a,#b,#c k1,,k3` the
/// second key is empty, and dropping it would give `#c`'s key to `#b`. Pass `omittingEmpty: true`
/// for lists of targets, where an empty item means nothing. An empty parameter yields no item.
///
/// ```swift
/// for channel in IRCCommaList(message.params[0], omittingEmpty: true) { join(channel) }
/// ```
public struct IRCCommaList: Sequence {
    public let bytes: UnsafeRawBufferPointer
    public let omittingEmpty: Bool

    public init(_ bytes: UnsafeRawBufferPointer, omittingEmpty: Bool = false) {
        self.bytes = bytes
        self.omittingEmpty = omittingEmpty
    }

    public func makeIterator() -> Iterator {
        Iterator(bytes: self.bytes, omittingEmpty: self.omittingEmpty)
    }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        let omittingEmpty: Bool
        var position = 0

        public mutating func next() -> UnsafeRawBufferPointer? {
            while self.position <= self.bytes.count && !self.bytes.isEmpty {
                let start = self.position
                var end = start
                while end < self.bytes.count && self.bytes[end] != IRCByte.comma { end += 1 }
                self.position = end + 1
                if end == start && self.omittingEmpty { continue }
                return self.bytes.slice(start..<end)
            }
            return nil
        }
    }
}
