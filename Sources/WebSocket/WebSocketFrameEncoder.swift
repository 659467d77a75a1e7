// WebSocketFrameEncoder: frame headers written in front of payloads, whole frames, close frames, and
// frames rendered in place around a payload another encoder writes.

import Codec

/// Writes WebSocket frames (RFC 6455 section 5.2) into an ``EncodeBuffer``.
///
/// A server's frames are not masked, so a frame's bytes do not depend on who receives it: render a
/// room message once and copy the same frame to every WebSocket member. There are three ways in:
///
/// - ``writeHeader(opcode:fin:payloadLength:maskingKey:into:)`` when the payload's length is known
///   and the caller appends the payload itself;
/// - ``writeFrame(opcode:fin:payload:maskingKey:into:)`` for a header and a payload in one call
///   (masked, for a client, when given a key);
/// - ``beginFrame(in:)`` and ``PendingFrame/finish(opcode:fin:droppingLast:in:)`` when another
///   encoder renders the payload straight into the buffer: the header's room is reserved first and
///   the header is written in front of the payload once its length is known, with no copy of the
///   payload. The IRC encoder's line, less its CR LF, becomes a text frame this way:
///
/// ```swift
/// buffer.removeAll()
/// let frame = WebSocketFrameEncoder.beginFrame(in: &buffer)
/// IRCEncoder.encode(tags: [], source: source, command: "PRIVMSG", params: [room, text], into: &buffer)
/// let range = frame.finish(opcode: .text, droppingLast: 2, in: &buffer)   // no CR LF on WebSocket
/// for member in members { member.connection.write(buffer.bytes.slice(range)) }
/// ```
public enum WebSocketFrameEncoder {
    /// The longest header of an unmasked frame: 2 bytes, then 8 of length.
    public static let maxServerHeaderLength = 10
    /// The longest header of a masked frame: 2 bytes, 8 of length, 4 of key.
    public static let maxHeaderLength = 14
    /// The most bytes a close reason may have: a control frame's 125 less the 2-byte code.
    public static let maxCloseReasonLength = 123

    /// The length of the header for a payload of `payloadLength` bytes.
    public static func headerLength(payloadLength: Int, masked: Bool) -> Int {
        precondition(payloadLength >= 0, "a payload length cannot be negative")
        let lengthBytes = payloadLength <= 125 ? 0 : payloadLength <= 0xFFFF ? 2 : 8
        return 2 + lengthBytes + (masked ? 4 : 0)
    }

    /// Appends the header of a frame whose `payloadLength` bytes the caller appends next (masked
    /// with `maskingKey` if one is given).
    ///
    /// A control frame (close, ping, pong) must have `fin` and at most 125 bytes: a programmer error otherwise.
    public static func writeHeader(
        opcode: WebSocketOpcode, fin: Bool = true, payloadLength: Int, maskingKey: WebSocketMaskingKey? = nil,
        into buffer: inout EncodeBuffer
    ) {
        buffer.reserve(Self.headerLength(payloadLength: payloadLength, masked: maskingKey != nil))
        withUnsafeTemporaryAllocation(byteCount: Self.maxHeaderLength, alignment: 1) { scratch in
            let length = Self.renderHeader(
                opcode: opcode, fin: fin, payloadLength: payloadLength, maskingKey: maskingKey, into: scratch)
            buffer.append(UnsafeRawBufferPointer(rebasing: scratch[0..<length]))
        }
    }

    /// Appends a whole frame: its header and `payload`, masked with `maskingKey` if one is given.
    public static func writeFrame(
        opcode: WebSocketOpcode, fin: Bool = true, payload: UnsafeRawBufferPointer,
        maskingKey: WebSocketMaskingKey? = nil, into buffer: inout EncodeBuffer
    ) {
        Self.writeHeader(opcode: opcode, fin: fin, payloadLength: payload.count, maskingKey: maskingKey, into: &buffer)
        guard let maskingKey else {
            buffer.append(payload)
            return
        }
        let start = buffer.count
        buffer.append(payload)
        buffer.withUnsafeMutableBytes { bytes in
            let target = UnsafeMutableRawBufferPointer(rebasing: bytes[start...])
            maskingKey.apply(UnsafeRawBufferPointer(target), to: target.baseAddress!, offset: 0)
        }
    }

    /// Appends a whole frame whose payload is the UTF-8 bytes of `text` (a text frame, normally).
    public static func writeFrame(
        opcode: WebSocketOpcode = .text, fin: Bool = true, text: String, maskingKey: WebSocketMaskingKey? = nil,
        into buffer: inout EncodeBuffer
    ) {
        var text = text
        text.withUTF8 { bytes in
            Self.writeFrame(
                opcode: opcode, fin: fin, payload: UnsafeRawBufferPointer(bytes), maskingKey: maskingKey, into: &buffer)
        }
    }

    /// Appends a close frame: the code and reason, or an empty payload when `code` is `nil`.
    ///
    /// A reason longer than ``maxCloseReasonLength`` bytes is cut at the last whole UTF-8 character
    /// that fits. A code that may not be sent (1005, 1006, 1015, or one outside the ranges) is a
    /// programmer error.
    public static func writeClose(
        code: WebSocketCloseCode?, reason: String = "", maskingKey: WebSocketMaskingKey? = nil,
        into buffer: inout EncodeBuffer
    ) {
        guard let code else {
            precondition(reason.isEmpty, "a close frame without a code has no reason")
            Self.writeHeader(opcode: .close, payloadLength: 0, maskingKey: maskingKey, into: &buffer)
            return
        }
        precondition(code.isValidOnWire, "close code \(code) may not be sent")
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > Self.maxCloseReasonLength {
            var cut = Self.maxCloseReasonLength
            while cut > 0 && reasonBytes[cut] & 0xC0 == 0x80 { cut -= 1 }  // back to a character's first byte
            reasonBytes.removeSubrange(cut...)
        }
        var payload = [UInt8(truncatingIfNeeded: code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        payload.append(contentsOf: reasonBytes)
        payload.withUnsafeBytes {
            Self.writeFrame(opcode: .close, payload: $0, maskingKey: maskingKey, into: &buffer)
        }
    }

    /// Appends the pong that answers a ping with `payload` (RFC 6455 section 5.5.3: the same bytes).
    public static func writePong(
        answering payload: UnsafeRawBufferPointer, maskingKey: WebSocketMaskingKey? = nil,
        into buffer: inout EncodeBuffer
    ) {
        Self.writeFrame(opcode: .pong, payload: payload, maskingKey: maskingKey, into: &buffer)
    }

    /// Writes a frame header into raw memory of at least ``maxHeaderLength`` bytes and returns its
    /// length; for a caller that queues the header and the payload separately, with no buffer.
    ///
    /// ```swift
    /// withUnsafeTemporaryAllocation(byteCount: WebSocketFrameEncoder.maxHeaderLength, alignment: 1) { header in
    ///     let length = WebSocketFrameEncoder.renderHeader(
    ///         opcode: .text, fin: true, payloadLength: payload.count, maskingKey: nil, into: header)
    ///     connection.write(UnsafeRawBufferPointer(rebasing: header[..<length]))
    /// }
    /// connection.write(payload)
    /// ```
    public static func renderHeader(
        opcode: WebSocketOpcode, fin: Bool, payloadLength: Int, maskingKey: WebSocketMaskingKey?,
        into destination: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(destination.count >= Self.maxHeaderLength, "a frame header needs room for 14 bytes")
        precondition(payloadLength >= 0, "a payload length cannot be negative")
        precondition(
            !opcode.isControl || (fin && payloadLength <= 125), "control frames are whole and at most 125 bytes")
        destination[0] = (fin ? 0x80 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        var length: Int
        if payloadLength <= 125 {
            destination[1] = maskBit | UInt8(payloadLength)
            length = 2
        } else if payloadLength <= 0xFFFF {
            destination[1] = maskBit | 126
            destination[2] = UInt8(truncatingIfNeeded: payloadLength >> 8)
            destination[3] = UInt8(truncatingIfNeeded: payloadLength)
            length = 4
        } else {
            destination[1] = maskBit | 127
            let wide = UInt64(payloadLength)
            for i in 0..<8 { destination[2 + i] = UInt8(truncatingIfNeeded: wide >> (56 - 8 * UInt64(i))) }
            length = 10
        }
        if let maskingKey {
            destination[length] = maskingKey.bytes.0
            destination[length + 1] = maskingKey.bytes.1
            destination[length + 2] = maskingKey.bytes.2
            destination[length + 3] = maskingKey.bytes.3
            length += 4
        }
        return length
    }
}

extension WebSocketFrameEncoder {
    /// Reserves room for an unmasked frame header at the end of `buffer`; append the payload after
    /// it, then ``PendingFrame/finish(opcode:fin:droppingLast:in:)``.
    public static func beginFrame(in buffer: inout EncodeBuffer) -> PendingFrame {
        let start = buffer.count
        buffer.reserve(Self.maxServerHeaderLength)
        for _ in 0..<Self.maxServerHeaderLength { buffer.append(byte: 0) }
        return PendingFrame(payloadStart: start + Self.maxServerHeaderLength)
    }

    /// A frame whose header room is reserved and whose payload is being appended.
    public struct PendingFrame: Sendable {
        /// Where the payload begins in the buffer.
        public let payloadStart: Int

        /// Writes the header in front of the payload appended since ``WebSocketFrameEncoder/beginFrame(in:)``.
        ///
        /// - Parameters:
        ///   - opcode: The frame's opcode.
        ///   - fin: Whether this frame ends its message.
        ///   - droppingLast: Bytes at the end of the buffer that are not part of the payload (a line
        ///     encoder's CR LF); they are removed.
        ///   - buffer: The buffer `beginFrame` reserved the header in, with nothing else appended to
        ///     it since but the payload.
        /// - Returns: Where the frame is in `buffer.bytes`. The header is right-aligned in the
        ///   reserved room, so the range begins at most 10 bytes before ``payloadStart``.
        public func finish(
            opcode: WebSocketOpcode, fin: Bool = true, droppingLast: Int = 0, in buffer: inout EncodeBuffer
        ) -> Range<Int> {
            precondition(
                buffer.count - droppingLast >= self.payloadStart, "the frame's payload is gone from the buffer")
            buffer.removeLast(droppingLast)
            let payloadLength = buffer.count - self.payloadStart
            let headerLength = WebSocketFrameEncoder.headerLength(payloadLength: payloadLength, masked: false)
            let headerStart = self.payloadStart - headerLength
            buffer.withUnsafeMutableBytes { bytes in
                let room = UnsafeMutableRawBufferPointer(rebasing: bytes[headerStart..<self.payloadStart])
                withUnsafeTemporaryAllocation(byteCount: WebSocketFrameEncoder.maxHeaderLength, alignment: 1) {
                    let length = WebSocketFrameEncoder.renderHeader(
                        opcode: opcode, fin: fin, payloadLength: payloadLength, maskingKey: nil, into: $0)
                    assert(length == headerLength, "header length must match its prediction")
                    room.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<length]))
                }
            }
            return headerStart..<buffer.count
        }
    }
}

extension WebSocketFrameEncoder {
    /// Appends one unmasked frame per line of `text`, each line without its LF (or CR LF): how a
    /// line protocol travels over WebSocket when every message is one line (IRCv3's WebSocket
    /// transport, for one). Empty lines are left out; text after the last LF is a line too.
    ///
    /// A server renders a room line once and frames it once this way, then copies the frames to
    /// every WebSocket member, as it copies the bare line to every TCP member.
    ///
    /// A text frame must be UTF-8, or the peer fails the connection (1007); a line that is not
    /// (someone on a byte-oriented protocol sent Latin-1) goes out in a text frame with each bad
    /// sequence replaced by U+FFFD, as IRCv3's `text.ircv3.net` asks. Binary frames carry it as it is.
    public static func writeLineFrames(
        of text: UnsafeRawBufferPointer, opcode: WebSocketOpcode = .text, into buffer: inout EncodeBuffer
    ) {
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != ASCII.newline { end += 1 }
            let next = end + 1
            if end > start && text[end - 1] == ASCII.carriageReturn { end -= 1 }
            if end > start {
                let line = UnsafeRawBufferPointer(rebasing: text[start..<end])
                if opcode == .text && !UTF8Validator.isValid(line) {
                    Self.writeFrame(opcode: opcode, text: String(decoding: line, as: UTF8.self), into: &buffer)
                } else {
                    Self.writeFrame(opcode: opcode, payload: line, into: &buffer)
                }
            }
            start = next
        }
    }
}
