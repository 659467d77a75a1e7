// Stamp: the `~S<sender>:<seq>:<t_ns>~` token every payload carries, its encoder, and the byte
// scanner receivers run over whatever they read.
//
// Receivers never parse a protocol's framing to find stamps. They scan the raw bytes for the
// marker, which works the same for `MSG room nick text\n` and for a RESP push, and keeps the hot
// path to one `memchr` per stamp plus a digit loop. A stamp split across two reads is finished by
// the scanner's state, which survives between calls.
import Glibc

/// The send stamp a load-generator payload starts with: `~S<sender>:<seq>:<t_ns>~`.
///
/// `sender` is the sender's index in the run, `seq` counts that sender's messages from 0, and
/// `t_ns` is the monotonic clock at the moment the message was queued for writing. The rest of
/// the payload is filler (`x`), which contains none of the marker bytes and no spaces, so the
/// payload is a single inline-command argument for Redis and a plain chat line for `line`.
struct Stamp: Equatable {
    var sender: UInt32
    var seq: UInt32
    var timeNanoseconds: UInt64

    /// The longest encoded stamp: `~S` + 10 digits + `:` + 10 digits + `:` + 20 digits + `~`.
    static let maxLength = 2 + 10 + 1 + 10 + 1 + 20 + 1

    static let filler = UInt8(ascii: "x")

    /// Reads `CLOCK_MONOTONIC` in nanoseconds; senders and receivers use this one clock.
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Writes the stamp followed by filler so that exactly `max(payloadSize, stamp length)`
    /// bytes are written.
    ///
    /// - Parameters:
    ///   - destination: where to write; needs room for `max(payloadSize, Stamp.maxLength)` bytes.
    ///   - payloadSize: the requested payload size; a smaller size still gets the whole stamp.
    /// - Returns: the number of bytes written.
    @inline(__always)
    func encode(into destination: UnsafeMutableRawPointer, payloadSize: Int) -> Int {
        var at = 0
        destination.storeBytes(of: UInt8(ascii: "~"), toByteOffset: 0, as: UInt8.self)
        destination.storeBytes(of: UInt8(ascii: "S"), toByteOffset: 1, as: UInt8.self)
        at = 2
        at += Stamp.writeDecimal(UInt64(self.sender), to: destination + at)
        destination.storeBytes(of: UInt8(ascii: ":"), toByteOffset: at, as: UInt8.self)
        at += 1
        at += Stamp.writeDecimal(UInt64(self.seq), to: destination + at)
        destination.storeBytes(of: UInt8(ascii: ":"), toByteOffset: at, as: UInt8.self)
        at += 1
        at += Stamp.writeDecimal(self.timeNanoseconds, to: destination + at)
        destination.storeBytes(of: UInt8(ascii: "~"), toByteOffset: at, as: UInt8.self)
        at += 1
        if at < payloadSize {
            memset(destination + at, Int32(Stamp.filler), payloadSize - at)
            at = payloadSize
        }
        return at
    }

    /// Writes `value` in decimal without allocating; returns the number of digits.
    ///
    /// The length comes from comparisons, then the digits are written backwards two per
    /// division (divisions by constants compile to multiplications).
    @inline(__always)
    static func writeDecimal(_ value: UInt64, to destination: UnsafeMutableRawPointer) -> Int {
        var digits = 1
        var bound: UInt64 = 10
        while digits < 20 && value >= bound {
            digits += 1
            bound = bound &* 10
        }
        var rest = value
        var index = digits
        while rest >= 100 {
            let pair = UInt8(truncatingIfNeeded: rest % 100)
            rest /= 100
            index -= 2
            destination.storeBytes(of: UInt8(ascii: "0") &+ pair / 10, toByteOffset: index, as: UInt8.self)
            destination.storeBytes(of: UInt8(ascii: "0") &+ pair % 10, toByteOffset: index + 1, as: UInt8.self)
        }
        let last = UInt8(truncatingIfNeeded: rest)
        if last >= 10 {
            destination.storeBytes(of: UInt8(ascii: "0") &+ last / 10, toByteOffset: 0, as: UInt8.self)
            destination.storeBytes(of: UInt8(ascii: "0") &+ last % 10, toByteOffset: 1, as: UInt8.self)
        } else {
            destination.storeBytes(of: UInt8(ascii: "0") &+ last, toByteOffset: 0, as: UInt8.self)
        }
        return digits
    }
}

/// Finds stamps in a byte stream delivered in arbitrary pieces.
///
/// A small state machine: outside a stamp it jumps to the next `~` with `memchr`; inside one it
/// accumulates digits. Anything that breaks the `~S<digits>:<digits>:<digits>~` shape drops
/// back to searching (a `~` that breaks it may start the next stamp). The state carries over
/// between calls, so a stamp split across reads is reported when its last byte arrives.
struct StampScanner {
    private enum State: UInt8 {
        case searching, tilde, sender, seq, time
    }

    private var state = State.searching
    private var digits = 0
    private var sender: UInt64 = 0
    private var seq: UInt64 = 0
    private var time: UInt64 = 0

    init() {}

    /// Whether the scanner is in the middle of a stamp (bytes of it were seen, the end not yet).
    var isInsideStamp: Bool { self.state != .searching }

    /// Scans `bytes` and calls `body` for every complete stamp, in stream order.
    @inline(__always)
    mutating func scan(_ bytes: UnsafeRawBufferPointer, _ body: (Stamp) -> Void) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let end = base + bytes.count
        var p = base
        while p < end {
            if self.state == .searching {
                guard let hit = memchr(p, Int32(UInt8(ascii: "~")), end - p) else { return }
                p = UnsafeRawPointer(hit) + 1
                // Fast path: the whole stamp is in this read, so parse it in straight loops.
                if end - p >= Stamp.maxLength, let (stamp, next) = Self.parseWhole(at: p) {
                    body(stamp)
                    p = next
                    continue
                }
                self.state = .tilde
                continue
            }
            let byte = p.load(as: UInt8.self)
            p += 1
            let digit = byte &- UInt8(ascii: "0")
            switch self.state {
            case .searching:
                break
            case .tilde:
                if byte == UInt8(ascii: "S") {
                    self.state = .sender
                    self.digits = 0
                    self.sender = 0
                } else {
                    self.restart(on: byte)
                }
            case .sender:
                if digit < 10 && self.digits < 10 {
                    self.sender = self.sender &* 10 &+ UInt64(digit)
                    self.digits += 1
                } else if byte == UInt8(ascii: ":") && self.digits > 0 {
                    self.state = .seq
                    self.digits = 0
                    self.seq = 0
                } else {
                    self.restart(on: byte)
                }
            case .seq:
                if digit < 10 && self.digits < 10 {
                    self.seq = self.seq &* 10 &+ UInt64(digit)
                    self.digits += 1
                } else if byte == UInt8(ascii: ":") && self.digits > 0 {
                    self.state = .time
                    self.digits = 0
                    self.time = 0
                } else {
                    self.restart(on: byte)
                }
            case .time:
                if digit < 10 && self.digits < 20 {
                    self.time = self.time &* 10 &+ UInt64(digit)
                    self.digits += 1
                } else if byte == UInt8(ascii: "~") && self.digits > 0 {
                    self.state = .searching
                    if self.sender <= UInt64(UInt32.max) && self.seq <= UInt64(UInt32.max) {
                        body(
                            Stamp(
                                sender: UInt32(truncatingIfNeeded: self.sender),
                                seq: UInt32(truncatingIfNeeded: self.seq), timeNanoseconds: self.time))
                    }
                } else {
                    self.restart(on: byte)
                }
            }
        }
    }

    /// Parses `S<sender>:<seq>:<time>~` at `start` (just after a `~`), which must have at least
    /// `Stamp.maxLength` readable bytes; nil if it is not a well-formed stamp (the byte-at-a-time
    /// state machine then takes over from `start`).
    @inline(__always)
    private static func parseWhole(at start: UnsafeRawPointer) -> (Stamp, UnsafeRawPointer)? {
        guard start.load(as: UInt8.self) == UInt8(ascii: "S") else { return nil }
        var p = start + 1
        guard let sender = Self.number(&p, maxDigits: 10, terminator: UInt8(ascii: ":")),
            sender <= UInt64(UInt32.max),
            let seq = Self.number(&p, maxDigits: 10, terminator: UInt8(ascii: ":")),
            seq <= UInt64(UInt32.max),
            let time = Self.number(&p, maxDigits: 20, terminator: UInt8(ascii: "~"))
        else { return nil }
        let stamp = Stamp(
            sender: UInt32(truncatingIfNeeded: sender), seq: UInt32(truncatingIfNeeded: seq), timeNanoseconds: time)
        return (stamp, p)
    }

    /// Reads 1...`maxDigits` digits and the `terminator` at `p`, leaving `p` after it.
    @inline(__always)
    private static func number(_ p: inout UnsafeRawPointer, maxDigits: Int, terminator: UInt8) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while true {
            let byte = p.load(as: UInt8.self)
            p += 1
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return byte == terminator && digits > 0 ? value : nil }
            guard digits < maxDigits else { return nil }
            value = value &* 10 &+ UInt64(digit)
            digits += 1
        }
    }

    /// Leaves a broken stamp; a `~` that broke it may open the next one.
    @inline(__always)
    private mutating func restart(on byte: UInt8) {
        self.state = byte == UInt8(ascii: "~") ? .tilde : .searching
    }
}
