// PendingBytes: bytes read from a socket or pipe but not yet handed out, split into lines.

/// Bytes read but not yet consumed. Taking a line advances a start index instead of moving the
/// rest down, so draining thousands of buffered lines stays linear; the consumed prefix is dropped
/// on the next append.
struct PendingBytes {
    private var bytes: [UInt8] = []
    private var start = 0

    var count: Int { self.bytes.count - self.start }
    var isEmpty: Bool { self.count == 0 }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        if self.start > 0 {
            self.bytes.removeSubrange(0..<self.start)
            self.start = 0
        }
        self.bytes.append(contentsOf: raw)
    }

    /// The first `\n`-terminated line without its newline, or nil if no line is complete yet.
    mutating func popLine() -> [UInt8]? {
        guard let newline = self.bytes[self.start...].firstIndex(of: 10) else { return nil }
        let line = Array(self.bytes[self.start..<newline])
        self.consume(upTo: newline + 1)
        return line
    }

    /// Up to `max` of the oldest bytes.
    mutating func popFirst(_ max: Int) -> [UInt8] {
        let end = self.start + min(max, self.count)
        let taken = Array(self.bytes[self.start..<end])
        self.consume(upTo: end)
        return taken
    }

    private mutating func consume(upTo end: Int) {
        self.start = end
        if self.start == self.bytes.count {
            self.bytes.removeAll(keepingCapacity: true)
            self.start = 0
        }
    }
}
