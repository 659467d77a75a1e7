// PingWatcher: finds a server's PING lines in the bytes a ready IRC connection reads, so the
// client can answer them. Like the stamp scanner it parses no framing: it jumps from `N` to `N`
// with `memchr` (a benchmark's PRIVMSG lines have none: `cl<N>` nicks, `#room`, digits and `x`)
// and checks for `PING ` around each, and a line split across two reads, even inside the word,
// is still found.
import Glibc

/// Reports every `PING ...` line (from the `P` to before its `\r\n`) in a byte stream delivered
/// in arbitrary pieces.
struct PingWatcher {
    private static let word: [UInt8] = Array("PING ".utf8)
    /// The longest PING line kept; longer ones are cut (a server's token is short).
    private static let maxLine = 512

    /// The last bytes of the previous read (fewer than the word), where a split `PING ` may begin.
    private var tail: [UInt8] = []
    /// A PING line whose end has not arrived yet.
    private var pending: [UInt8]?

    init() {}

    /// Scans `bytes` and calls `body` with each complete PING line, in stream order.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>) -> Void) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let count = bytes.count
        var offset = 0
        let previousTail = self.tail
        if self.pending == nil, !self.tail.isEmpty {
            // A word that began in the previous read: look across the boundary.
            let joined = self.tail + Array(UnsafeRawBufferPointer(rebasing: bytes[0..<min(count, Self.word.count)]))
            if let at = Self.firstIndex(of: Self.word, in: joined), at < self.tail.count {
                self.pending = Array(self.tail[at...])
            }
        }
        self.tail = []
        while offset < count {
            if self.pending != nil {
                let rest = count - offset
                guard let newline = memchr(base + offset, Int32(UInt8(ascii: "\n")), rest) else {
                    self.appendPending(UnsafeRawBufferPointer(start: base + offset, count: rest))
                    return
                }
                let end = UnsafeRawPointer(newline) - base
                self.appendPending(UnsafeRawBufferPointer(start: base + offset, count: end - offset))
                var line = self.pending![...]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                self.pending = nil
                body(line)
                offset = end + 1
                continue
            }
            guard let at = Self.nextWord(in: base, from: offset, count: count) else { break }
            self.pending = []
            offset = at
        }
        // Keep the last bytes in case the next read completes a word that starts here.
        let keep = Self.word.count - 1
        if count >= keep {
            self.tail = Array(UnsafeRawBufferPointer(rebasing: bytes[(count - keep)...]))
        } else {
            self.tail = Array((previousTail + Array(bytes)).suffix(keep))
        }
    }

    /// Where the next `PING ` that lies wholly inside the read starts (one that begins in the
    /// last four bytes is found with the next read, across the boundary).
    @inline(__always)
    private static func nextWord(in base: UnsafeRawPointer, from start: Int, count: Int) -> Int? {
        var offset = start
        while offset < count {
            guard let hit = memchr(base + offset, Int32(UInt8(ascii: "N")), count - offset) else { return nil }
            let n = UnsafeRawPointer(hit) - base
            if n >= 2 && n + 2 < count && base.load(fromByteOffset: n - 2, as: UInt8.self) == UInt8(ascii: "P")
                && base.load(fromByteOffset: n - 1, as: UInt8.self) == UInt8(ascii: "I")
                && base.load(fromByteOffset: n + 1, as: UInt8.self) == UInt8(ascii: "G")
                && base.load(fromByteOffset: n + 2, as: UInt8.self) == UInt8(ascii: " ")
            {
                return n - 2
            }
            offset = n + 1
        }
        return nil
    }

    private mutating func appendPending(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.maxLine - self.pending!.count
        guard room > 0 else { return }
        self.pending!.append(contentsOf: bytes.prefix(room))
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
