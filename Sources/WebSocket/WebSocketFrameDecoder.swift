// WebSocketFrameDecoder: a resumable WebSocket frame parser (RFC 6455 section 5) that assembles
// fragmented messages, checks text as it arrives, and reports control frames between fragments.

/// What ``WebSocketFrameDecoder/process(_:_:)`` reports. Payloads are valid only during the callback.
public enum WebSocketEvent {
    /// A whole text message, unmasked, already checked to be UTF-8.
    case text(UnsafeRawBufferPointer)
    /// A whole binary message, unmasked.
    case binary(UnsafeRawBufferPointer)
    /// A ping; answer it with a pong carrying the same bytes
    /// (``WebSocketFrameEncoder/writePong(answering:maskingKey:into:)``).
    case ping(UnsafeRawBufferPointer)
    /// A pong: the answer to a ping, or a heartbeat nobody asked for.
    case pong(UnsafeRawBufferPointer)
    /// The peer's close frame: its code (`nil` for an empty close frame, which stands for 1005) and
    /// its UTF-8 reason. Reply with a close frame (echoing the code is usual), then close the
    /// connection once it is flushed. The decoder reads nothing after it.
    case close(code: WebSocketCloseCode?, reason: UnsafeRawBufferPointer)
    /// The peer broke the protocol: send a close frame with `error.closeCode` and close the
    /// connection once it is flushed. The decoder reads nothing after it.
    case failure(WebSocketProtocolError)
}

/// Decodes the frames a WebSocket peer sends into messages and control frames, a read at a time.
///
/// Resumable: the bytes may be divided anywhere (inside a header, a masking key, a UTF-8
/// character), and the events are the same. It enforces, as RFC 6455 requires of an endpoint:
///
/// - frames from a client are masked and frames from a server are not (``WebSocketRole``);
/// - RSV bits are clear, since no extension is negotiated, and opcodes are the six defined ones;
/// - control frames carry at most 125 bytes and are not fragmented, and may come between the
///   fragments of a message; a continuation has a message to continue, and a new message waits
///   until the last one's final fragment;
/// - a message is at most `maxMessageSize` bytes, refused at the first frame header that would
///   pass the limit, so an over-long message is never buffered;
/// - text is UTF-8, checked as each piece arrives, so a bad byte fails the connection at once
///   rather than when its message ends;
/// - a close frame has no payload or a valid code and a UTF-8 reason.
///
/// A message that arrives whole in one read (the common case) is unmasked into temporary storage
/// and delivered at once; only a message split across reads or frames is assembled in an array,
/// released once delivered, so an idle connection's decoder holds no heap memory.
///
/// ```swift
/// var decoder = WebSocketFrameDecoder(role: .server, maxMessageSize: 64 * 1024)
/// decoder.process(bytes) { event in
///     switch event {
///     case .text(let text): handle(text)
///     case .binary: refuse()
///     case .ping(let payload): sendPong(payload)
///     case .pong: break
///     case .close(let code, _): sendClose(code); closeAfterFlush()
///     case .failure(let error): sendClose(error.closeCode); closeAfterFlush()
///     }
/// }
/// ```
public struct WebSocketFrameDecoder {
    /// Which end this decoder serves, and so whether frames must be masked.
    public let role: WebSocketRole
    /// The longest message accepted, in bytes, over all its fragments.
    public let maxMessageSize: Int

    private enum Phase {
        /// Reading a frame header: `headerCount` bytes of it are in `header`.
        case header
        /// Reading a frame's payload: `payloadRemaining` bytes to go.
        case payload
        /// A close frame arrived or the protocol was broken; nothing more is read.
        case finished
    }

    private var phase = Phase.header
    /// Header bytes so far (at most 14).
    private var header: (UInt64, UInt64) = (0, 0)
    private var headerCount = 0

    // The frame being read.
    private var opcode = WebSocketOpcode.continuation
    private var fin = false
    private var maskingKey: WebSocketMaskingKey?
    private var payloadLength = 0
    private var payloadRemaining = 0

    /// The opcode of the fragmented message in progress (text or binary), if any.
    private var messageOpcode: WebSocketOpcode?
    /// The fragments so far of a message that did not arrive whole in one read.
    private var message: [UInt8] = []
    /// The payload so far of a control frame split across reads.
    private var control: [UInt8] = []
    /// The UTF-8 state of the text message in progress.
    private var validator = UTF8Validator()

    /// A decoder for one connection.
    ///
    /// - Parameters:
    ///   - role: `.server` to decode what clients send (masked frames), `.client` for what servers send.
    ///   - maxMessageSize: The longest message accepted; longer ones fail with 1009.
    public init(role: WebSocketRole = .server, maxMessageSize: Int = 1 << 20) {
        precondition(maxMessageSize >= 125, "a WebSocket message limit must allow a control frame's payload")
        self.role = role
        self.maxMessageSize = maxMessageSize
    }

    /// True once a close frame or a protocol error was reported: later bytes are ignored.
    public var isFinished: Bool {
        if case .finished = self.phase { return true }
        return false
    }

    /// Bytes held between reads: an unfinished message, control frame or header.
    public var bufferedByteCount: Int {
        self.message.count + self.control.count + self.headerCount
    }

    /// Whether a fragmented message has begun and not ended.
    public var isInsideMessage: Bool { self.messageOpcode != nil }

    /// Decodes `bytes`, calling `body` for each message, control frame, or the failure, in order.
    public mutating func process(_ bytes: UnsafeRawBufferPointer, _ body: (WebSocketEvent) -> Void) {
        var index = 0
        let count = bytes.count
        while index < count {
            switch self.phase {
            case .finished:
                return
            case .header:
                if let error = self.readHeader(bytes, from: &index) {
                    self.fail(error, body)
                    return
                }
                guard self.headerCount == self.headerLength() else { return }  // it continues in the next read
                if let error = self.startFrame() {
                    self.fail(error, body)
                    return
                }
                if self.payloadRemaining == 0 { self.endFrame(payload: nil, body) }
            case .payload:
                let available = min(self.payloadRemaining, count - index)
                let chunk = bytes.slice(index..<(index + available))
                index += available
                self.consumePayload(chunk, body)
            }
        }
    }

    // MARK: Headers

    /// Copies header bytes from `bytes` at `index`, checking the first two as soon as they are in:
    /// most protocol errors show there, and are refused without waiting for the rest.
    private mutating func readHeader(_ bytes: UnsafeRawBufferPointer, from index: inout Int) -> WebSocketProtocolError?
    {
        while index < bytes.count {
            let needed = self.headerLength() - self.headerCount
            if needed == 0 { break }
            let take = min(needed, bytes.count - index)
            let offset = self.headerCount
            withUnsafeMutableBytes(of: &self.header) { header in
                header.baseAddress!.advanced(by: offset).copyMemory(
                    from: bytes.baseAddress!.advanced(by: index), byteCount: take)
            }
            self.headerCount += take
            index += take
            // Until two bytes are in, headerLength() is 2, so this is the moment they arrive.
            if offset < 2 && self.headerCount == 2, let error = self.checkFirstBytes() { return error }
        }
        return nil
    }

    /// The full length of the header being read, as far as its first two bytes tell.
    private func headerLength() -> Int {
        guard self.headerCount >= 2 else { return 2 }
        let second = self.headerByte(1)
        let lengthBytes: Int
        switch second & 0x7F {
        case 126: lengthBytes = 2
        case 127: lengthBytes = 8
        default: lengthBytes = 0
        }
        return 2 + lengthBytes + (second & 0x80 != 0 ? 4 : 0)
    }

    private func headerByte(_ index: Int) -> UInt8 {
        withUnsafeBytes(of: self.header) { $0[index] }
    }

    /// Checks what the first two bytes tell: RSV bits, opcode, mask, and a control frame's FIN and
    /// length, and whether a continuation is expected.
    private func checkFirstBytes() -> WebSocketProtocolError? {
        let first = self.headerByte(0)
        let second = self.headerByte(1)
        guard first & 0x70 == 0 else { return .reservedBitsSet }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else { return .reservedOpcode }
        let masked = second & 0x80 != 0
        switch self.role {
        case .server where !masked: return .unmaskedFrame
        case .client where masked: return .maskedFrame
        default: break
        }
        if opcode.isControl {
            guard first & 0x80 != 0 else { return .fragmentedControlFrame }
            guard second & 0x7F <= 125 else { return .controlFrameTooLong }
        } else if opcode == .continuation {
            guard self.messageOpcode != nil else { return .unexpectedContinuation }
        } else {
            guard self.messageOpcode == nil else { return .expectedContinuation }
        }
        return nil
    }

    /// Reads the complete header (whose first two bytes passed ``checkFirstBytes()``), checks the
    /// length, and sets up the frame; `nil` if it may proceed.
    private mutating func startFrame() -> WebSocketProtocolError? {
        self.headerCount = 0
        let first = self.headerByte(0)
        let second = self.headerByte(1)
        let opcode = WebSocketOpcode(rawValue: first & 0x0F)!
        let masked = second & 0x80 != 0
        var position = 2
        var length = UInt64(second & 0x7F)
        if length == 126 {
            length = UInt64(self.headerByte(2)) << 8 | UInt64(self.headerByte(3))
            position = 4
        } else if length == 127 {
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(self.headerByte(i)) }
            guard length >> 63 == 0 else { return .payloadLengthTooLarge }
            position = 10
        }
        if !opcode.isControl {
            guard length <= UInt64(self.maxMessageSize - self.message.count) else { return .messageTooBig }
            if opcode != .continuation {
                self.messageOpcode = opcode
                self.validator.reset()
            }
        }
        self.fin = first & 0x80 != 0
        self.opcode = opcode
        self.maskingKey =
            masked
            ? WebSocketMaskingKey(
                self.headerByte(position), self.headerByte(position + 1), self.headerByte(position + 2),
                self.headerByte(position + 3))
            : nil
        self.payloadLength = Int(length)
        self.payloadRemaining = Int(length)
        self.phase = .payload
        return nil
    }

    // MARK: Payloads

    /// Takes the next piece of the current frame's payload (still masked).
    private mutating func consumePayload(_ chunk: UnsafeRawBufferPointer, _ body: (WebSocketEvent) -> Void) {
        let offset = self.payloadLength - self.payloadRemaining
        self.payloadRemaining -= chunk.count
        let whole = offset == 0 && self.payloadRemaining == 0
        if self.opcode.isControl {
            if whole {
                Self.withUnmasked(chunk, key: self.maskingKey) { self.endFrame(payload: $0, body) }
            } else {
                Self.append(chunk, key: self.maskingKey, offset: offset, to: &self.control)
                if self.payloadRemaining == 0 {
                    let payload = self.control
                    self.control = []
                    payload.withUnsafeBytes { self.endFrame(payload: $0, body) }
                }
            }
            return
        }
        if whole && self.fin && self.message.isEmpty {
            // A message in one frame in one read: no copy kept.
            Self.withUnmasked(chunk, key: self.maskingKey) { payload in
                if self.messageOpcode == .text {
                    guard UTF8Validator.isValid(payload) else { return self.fail(.invalidUTF8, body) }
                }
                self.endFrame(payload: payload, body)
            }
            return
        }
        let start = self.message.count
        Self.append(chunk, key: self.maskingKey, offset: offset, to: &self.message)
        if self.messageOpcode == .text {
            var validator = self.validator
            let valid = self.message.withUnsafeBytes { validator.validate($0.slice(start..<$0.count)) }
            self.validator = validator
            guard valid else { return self.fail(.invalidUTF8, body) }
        }
        if self.payloadRemaining == 0 { self.endFrame(payload: nil, body) }
    }

    /// The current frame is complete. `payload` is its unmasked payload, when it was not appended
    /// to ``message``.
    private mutating func endFrame(payload: UnsafeRawBufferPointer?, _ body: (WebSocketEvent) -> Void) {
        self.phase = .header
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        switch self.opcode {
        case .ping:
            body(.ping(payload ?? empty))
        case .pong:
            body(.pong(payload ?? empty))
        case .close:
            self.endClose(payload ?? empty, body)
        case .text, .binary, .continuation:
            guard self.fin else { return }
            let opcode = self.messageOpcode
            self.messageOpcode = nil
            if opcode == .text {
                guard self.validator.isComplete else { return self.fail(.invalidUTF8, body) }
            }
            if let payload {
                body(opcode == .text ? .text(payload) : .binary(payload))
            } else {
                let message = self.message
                self.message = []
                message.withUnsafeBytes { body(opcode == .text ? .text($0) : .binary($0)) }
            }
        }
    }

    private mutating func endClose(_ payload: UnsafeRawBufferPointer, _ body: (WebSocketEvent) -> Void) {
        guard !payload.isEmpty else {
            self.phase = .finished
            body(.close(code: nil, reason: payload))
            return
        }
        guard payload.count >= 2 else { return self.fail(.closePayloadTooShort, body) }
        let code = WebSocketCloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnWire else { return self.fail(.invalidCloseCode, body) }
        let reason = payload.slice(2..<payload.count)
        guard UTF8Validator.isValid(reason) else { return self.fail(.invalidCloseReason, body) }
        self.phase = .finished
        body(.close(code: code, reason: reason))
    }

    private mutating func fail(_ error: WebSocketProtocolError, _ body: (WebSocketEvent) -> Void) {
        self.phase = .finished
        self.headerCount = 0
        self.message = []
        self.control = []
        body(.failure(error))
    }

    /// Appends `chunk`, unmasked with `key` from payload offset `offset`, to `storage`.
    private static func append(
        _ chunk: UnsafeRawBufferPointer, key: WebSocketMaskingKey?, offset: Int, to storage: inout [UInt8]
    ) {
        guard let maskingKey = key else {
            storage.append(contentsOf: chunk)
            return
        }
        let start = storage.count
        storage.append(contentsOf: repeatElement(0, count: chunk.count))
        storage.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            maskingKey.apply(chunk, to: base + start, offset: offset)
        }
    }

    /// Calls `body` with a whole frame's payload `chunk` unmasked with `key`, in temporary storage
    /// (on the stack when it is small).
    private static func withUnmasked(
        _ chunk: UnsafeRawBufferPointer, key: WebSocketMaskingKey?, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        guard let maskingKey = key, chunk.count > 0 else { return body(chunk) }
        withUnsafeTemporaryAllocation(byteCount: chunk.count, alignment: 8) { scratch in
            maskingKey.apply(chunk, to: scratch.baseAddress!, offset: 0)
            body(UnsafeRawBufferPointer(scratch))
        }
    }
}
