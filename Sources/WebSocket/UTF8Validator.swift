// UTF8Validator: an incremental UTF-8 check that keeps its place across chunk boundaries.

/// Checks that a byte stream is well-formed UTF-8 (RFC 3629), a piece at a time.
///
/// WebSocket text messages must be valid UTF-8 (RFC 6455 section 8.1), and a server should fail the
/// connection as soon as a byte makes that impossible, not when the message ends: a text message
/// may arrive in many frames and each frame in many reads, and a code point may be split anywhere.
/// The validator carries the state of an unfinished code point from one call to the next, so it
/// gives the same answer however the bytes are divided.
///
/// Refuses overlong forms, surrogates (U+D800–U+DFFF) and anything above U+10FFFF, as the Unicode
/// standard's table of well-formed byte sequences (Table 3-7) does. ASCII runs are skipped eight
/// bytes at a time.
///
/// ```swift
/// var validator = UTF8Validator()
/// validator.validate(first)      // true: no byte so far rules out UTF-8
/// validator.validate(second)     // false as soon as one does
/// validator.isComplete           // at the end of a message: no code point left unfinished
/// ```
public struct UTF8Validator: Sendable, Equatable {
    /// Where the validator stands: between code points, partway through one, or refused.
    @usableFromInline enum State: UInt8, Sendable {
        case accept
        /// One, two or three continuation bytes (0x80–0xBF) to go.
        case need1, need2, need3
        /// After E0: the next byte must be A0–BF (no overlong three-byte forms).
        case afterE0
        /// After ED: the next byte must be 80–9F (no surrogates).
        case afterED
        /// After F0: the next byte must be 90–BF (no overlong four-byte forms).
        case afterF0
        /// After F4: the next byte must be 80–8F (nothing above U+10FFFF).
        case afterF4
        case reject
    }

    @usableFromInline var state: State = .accept

    /// A validator at the start of a stream.
    public init() {}

    /// True when the bytes so far end between code points (and none was refused).
    public var isComplete: Bool { self.state == .accept }

    /// True once a byte has ruled out UTF-8; the validator stays refused until ``reset()``.
    public var isRefused: Bool { self.state == .reject }

    /// Starts over, for the next message.
    public mutating func reset() {
        self.state = .accept
    }

    /// Checks the next bytes of the stream.
    ///
    /// - Returns: `false` if the stream so far cannot be UTF-8; `true` if it can, even when it ends
    ///   partway through a code point (check ``isComplete`` at the end).
    @discardableResult
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard self.state != .reject else { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var state = self.state
        var index = 0
        while index < count {
            if state == .accept {
                // Skip ASCII a word at a time.
                while index + 8 <= count
                    && base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < count else { break }
            }
            state = Self.step(state, base.load(fromByteOffset: index, as: UInt8.self))
            if state == .reject {
                self.state = .reject
                return false
            }
            index += 1
        }
        self.state = state
        return true
    }

    /// Whether `bytes` are, on their own, a complete and valid UTF-8 string.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    @inline(__always)
    static func step(_ state: State, _ byte: UInt8) -> State {
        switch state {
        case .accept:
            switch byte {
            case 0x00...0x7F: return .accept
            case 0xC2...0xDF: return .need1
            case 0xE0: return .afterE0
            case 0xE1...0xEC, 0xEE...0xEF: return .need2
            case 0xED: return .afterED
            case 0xF0: return .afterF0
            case 0xF1...0xF3: return .need3
            case 0xF4: return .afterF4
            default: return .reject  // 80–BF stray continuation, C0–C1 overlong, F5–FF out of range
            }
        case .need1: return byte & 0xC0 == 0x80 ? .accept : .reject
        case .need2: return byte & 0xC0 == 0x80 ? .need1 : .reject
        case .need3: return byte & 0xC0 == 0x80 ? .need2 : .reject
        case .afterE0: return (0xA0...0xBF).contains(byte) ? .need1 : .reject
        case .afterED: return (0x80...0x9F).contains(byte) ? .need1 : .reject
        case .afterF0: return (0x90...0xBF).contains(byte) ? .need2 : .reject
        case .afterF4: return (0x80...0x8F).contains(byte) ? .need2 : .reject
        case .reject: return .reject
        }
    }
}
