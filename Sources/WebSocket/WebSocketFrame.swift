// WebSocketFrame: the values on the WebSocket wire (RFC 6455 section 5): opcodes, close codes,
// masking keys, and the protocol errors a decoder fails a connection with.

/// A frame's opcode (RFC 6455 section 5.2). Others are reserved, and a decoder refuses them.
public enum WebSocketOpcode: UInt8, Sendable, Hashable, CaseIterable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Close, ping and pong: at most 125 bytes of payload, never fragmented, allowed between the
    /// fragments of a message.
    public var isControl: Bool { self.rawValue & 0x8 != 0 }
}

/// The status code of a close frame (RFC 6455 section 7.4), with the registered values as members.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection is fulfilled.
    public static let normalClosure = WebSocketCloseCode(1000)
    /// 1001: the server is shutting down, or the page is navigating away.
    public static let goingAway = WebSocketCloseCode(1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = WebSocketCloseCode(1002)
    /// 1003: a kind of message the endpoint does not accept (binary for a text-only endpoint).
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// 1005: no code was in the close frame. Reported locally, never sent.
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// 1006: the connection closed without a close frame. Reported locally, never sent.
    public static let abnormalClosure = WebSocketCloseCode(1006)
    /// 1007: a text message (or a close reason) that is not UTF-8.
    public static let invalidPayloadData = WebSocketCloseCode(1007)
    /// 1008: a message that breaks the endpoint's policy.
    public static let policyViolation = WebSocketCloseCode(1008)
    /// 1009: a message too big to process.
    public static let messageTooBig = WebSocketCloseCode(1009)
    /// 1010: the client expected an extension the server did not negotiate.
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    /// 1011: the server met an unexpected condition.
    public static let internalError = WebSocketCloseCode(1011)
    /// 1012: the server is restarting.
    public static let serviceRestart = WebSocketCloseCode(1012)
    /// 1013: the server is overloaded; try again later.
    public static let tryAgainLater = WebSocketCloseCode(1013)

    /// Whether the code may travel in a close frame: 1000–1003 and 1007–1014 (defined and
    /// registered), 3000–3999 (registered with IANA) and 4000–4999 (private use). 1004 is reserved;
    /// 1005, 1006 and 1015 stand for conditions and are never sent; the rest is unassigned.
    public var isValidOnWire: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    public var description: String { String(self.rawValue) }
}

/// The four bytes a client XORs its payload with (RFC 6455 section 5.3).
public struct WebSocketMaskingKey: Sendable, Hashable {
    /// The key's bytes in wire order, in one word.
    public let bytes: (UInt8, UInt8, UInt8, UInt8)

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        self.bytes = (b0, b1, b2, b3)
    }

    /// A key from a generator. A client must use a fresh unpredictable key per frame; servers send no key.
    public static func random(using generator: inout some RandomNumberGenerator) -> WebSocketMaskingKey {
        let word = generator.next() as UInt32
        return WebSocketMaskingKey(
            UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
            UInt8(truncatingIfNeeded: word >> 16),
            UInt8(truncatingIfNeeded: word >> 24))
    }

    public static func == (lhs: WebSocketMaskingKey, rhs: WebSocketMaskingKey) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.bytes.0)
        hasher.combine(self.bytes.1)
        hasher.combine(self.bytes.2)
        hasher.combine(self.bytes.3)
    }

    /// The key's byte for payload offset `index`.
    @inline(__always)
    func byte(at index: Int) -> UInt8 {
        switch index & 3 {
        case 0: return self.bytes.0
        case 1: return self.bytes.1
        case 2: return self.bytes.2
        default: return self.bytes.3
        }
    }

    /// Copies `source` to `destination`, XORed with the key as for payload bytes from `offset` on.
    ///
    /// Eight bytes at a time: the key repeats every four bytes, so one 64-bit word of it, rotated to
    /// `offset`, serves the whole run.
    func apply(_ source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer, offset: Int) {
        guard let base = source.baseAddress else { return }
        let count = source.count
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { wordBytes in
            for i in 0..<8 { wordBytes[i] = self.byte(at: offset &+ i) }
        }
        var index = 0
        while index + 8 <= count {
            let value = base.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ word
            destination.storeBytes(of: value, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            let value = base.load(fromByteOffset: index, as: UInt8.self) ^ self.byte(at: offset &+ index)
            destination.storeBytes(of: value, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }
}

/// Which end of the connection a decoder serves: a server expects masked frames, a client unmasked.
public enum WebSocketRole: Sendable, Hashable {
    case server
    case client
}

/// Why a decoder failed the connection (RFC 6455 section 7.1.7), each reason with its close code.
///
/// After a failure the decoder reads nothing more. The endpoint sends a close frame with
/// ``closeCode`` and closes the connection once it is flushed, without waiting for the peer's close.
public enum WebSocketProtocolError: Error, Sendable, Hashable, CaseIterable {
    /// A server got a frame without a masking key: 1002.
    case unmaskedFrame
    /// A client got a frame with a masking key: 1002.
    case maskedFrame
    /// An RSV bit is set and no extension was negotiated: 1002.
    case reservedBitsSet
    /// An opcode RFC 6455 reserves: 1002.
    case reservedOpcode
    /// A close, ping or pong frame without FIN: 1002.
    case fragmentedControlFrame
    /// A control frame with more than 125 bytes of payload: 1002.
    case controlFrameTooLong
    /// A continuation frame with no fragmented message to continue: 1002.
    case unexpectedContinuation
    /// A text or binary frame while a fragmented message waits for its continuation: 1002.
    case expectedContinuation
    /// A 64-bit payload length with its top bit set: 1002.
    case payloadLengthTooLarge
    /// A close frame with a one-byte payload (a code is two bytes): 1002.
    case closePayloadTooShort
    /// A close code that may not be sent (see ``WebSocketCloseCode/isValidOnWire``): 1002.
    case invalidCloseCode
    /// A message longer than the decoder's limit: 1009.
    case messageTooBig
    /// A text message that is not UTF-8: 1007.
    case invalidUTF8
    /// A close reason that is not UTF-8: 1007.
    case invalidCloseReason

    /// The code of the close frame to fail the connection with.
    public var closeCode: WebSocketCloseCode {
        switch self {
        case .messageTooBig: return .messageTooBig
        case .invalidUTF8, .invalidCloseReason: return .invalidPayloadData
        default: return .protocolError
        }
    }
}
