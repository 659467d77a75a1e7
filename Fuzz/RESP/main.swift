// FuzzRESP: libFuzzer target for the RESP decoder (replies from Redis, RESP2 and RESP3) and the
// command encoder. Raw streams under limits the input picks (small ones, so short inputs reach
// them) must give the same replies and the same error, at the same offset, however they are cut;
// a decoder that was reset must behave as a new one; every reply must keep the limits, and written
// back in its shortest form it must decode to itself under the same limits. Commands the input
// builds must encode to arrays of bulk strings that decode back to their arguments.

import Codec
import FuzzSupport
import RESP

/// What a stream decoded to: the replies, then the error that stopped it, if one did.
struct Outcome: Equatable {
    var values: [RESPValue] = []
    var error: RESPDecodingError?
}

/// The most bytes a decoder may hold between reads: the reply in progress (within the reply limit),
/// and a line of it still arriving (within the line limit, its type byte and CR).
func bufferBound(_ limits: RESPDecoderLimits) -> Int {
    limits.maxReplyBytes + limits.maxLineLength + 2
}

/// Decodes `stream` cut into `lengths` with `decoder`, checking each reply as it arrives.
///
/// Replies are read through their accessors only when `exercising`: the other chunkings' replies
/// must equal these ones, and copying them out (`value`) reads every byte their views cover.
func decode(
    _ stream: UnsafeRawBufferPointer, _ lengths: [Int], _ decoder: inout RESPDecoder, limits: RESPDecoderLimits,
    exercising: Bool = false
) -> Outcome {
    var outcome = Outcome()
    var start = 0
    for length in lengths {
        let piece = UnsafeRawBufferPointer(rebasing: stream[start..<(start + length)])
        start += length
        do {
            try decoder.process(piece) { reply in
                if exercising { exercise(reply) }
                outcome.values.append(reply.value)
            }
        } catch {
            outcome.error = error
            // Failed for good: the same error for any later bytes, and nothing delivered.
            do {
                try decoder.process(stream) { _ in require(false, "a reply after \(error)") }
                require(false, "a failed decoder took more bytes")
            } catch let again {
                require(again == error, "failed with \(error), then \(again)")
            }
            require(decoder.error == error, "error \(String(describing: decoder.error)), threw \(error)")
            return outcome
        }
        require(decoder.bufferedByteCount <= bufferBound(limits), "holds \(decoder.bufferedByteCount) bytes")
        require(decoder.error == nil, "an error that was not thrown")
    }
    return outcome
}

/// Everything a client reads off a reply: none of it may trap, and the views must agree.
func exercise(_ reply: RESPReply) {
    _ = reply.double
    _ = reply.string
    _ = reply.boolean
    if reply.kind.isAggregate {
        var position = 0
        // The subscript walks from the start, so it is checked at the ends and in the middle only:
        // at every position it made a long array quadratic.
        for element in reply.elements {
            if position <= 1 || position == reply.count / 2 || position == reply.count - 1 {
                let byPosition = reply[position]
                require(byPosition?.kind == element.kind && byPosition?.count == element.count, "element \(position)")
            }
            exercise(element)
            position += 1
        }
        require(position == reply.count && reply[position] == nil, "\(position) elements of \(reply.count)")
    } else {
        require(reply.count == 0 && reply[0] == nil, "a scalar with elements")
    }
    if reply.kind == .double { require(reply.double != nil, "double \(String(describing: reply.string))") }
    guard let event = reply.pubSubEvent else { return }
    switch event {
    case .message: require(reply.count == 3, "a message of \(reply.count)")
    case .patternMessage: require(reply.count == 4, "a pattern message of \(reply.count)")
    case .shardMessage: require(reply.count == 3, "a shard message of \(reply.count)")
    case .confirmation(_, let channel, let isNull, _): require(!isNull || channel.isEmpty, "a null channel's bytes")
    case .pong: require(reply.count == 2, "a pong of \(reply.count)")
    }
}

/// `value`'s shortest wire form: never longer than whatever form it arrived in, so it decodes
/// under the limits the original did.
func writeShortest(_ value: RESPValue, limits: RESPDecoderLimits, into buffer: inout EncodeBuffer) {
    func line(_ type: UInt8, _ payload: [UInt8]) {
        buffer.append(byte: type)
        buffer.append(payload)
        buffer.append("\r\n")
    }
    func bulk(_ type: UInt8, _ payload: [UInt8]) {
        buffer.append(byte: type)
        buffer.append(decimal: payload.count)
        buffer.append("\r\n")
        buffer.append(payload)
        buffer.append("\r\n")
    }
    func aggregate(_ type: UInt8, _ values: [RESPValue], pairs: Bool = false) {
        buffer.append(byte: type)
        buffer.append(decimal: pairs ? values.count / 2 : values.count)
        buffer.append("\r\n")
        for value in values { writeShortest(value, limits: limits, into: &buffer) }
    }
    switch value {
    case .simpleString(let payload): line(UInt8(ascii: "+"), payload)
    case .error(let payload):
        // A simple error when one can hold it (shorter), else the bulk error it must have been.
        if payload.count <= limits.maxLineLength && !Bytes.contains(ASCII.carriageReturn, in: payload)
            && !Bytes.contains(ASCII.newline, in: payload)
        {
            line(UInt8(ascii: "-"), payload)
        } else {
            bulk(UInt8(ascii: "!"), payload)
        }
    case .integer(let value):
        buffer.append(byte: UInt8(ascii: ":"))
        buffer.append(decimal: value)
        buffer.append("\r\n")
    case .bulkString(let payload): bulk(UInt8(ascii: "$"), payload)
    case .null: buffer.append("_\r\n")
    case .array(let values): aggregate(UInt8(ascii: "*"), values)
    case .boolean(let value): buffer.append(value ? "#t\r\n" : "#f\r\n")
    case .double(let text): line(UInt8(ascii: ","), text)
    case .bigNumber(let digits): line(UInt8(ascii: "("), digits)
    case .verbatimString(let format, let text): bulk(UInt8(ascii: "="), format + [ASCII.colon] + text)
    case .map(let values): aggregate(UInt8(ascii: "%"), values, pairs: true)
    case .set(let values): aggregate(UInt8(ascii: "~"), values)
    case .push(let values): aggregate(UInt8(ascii: ">"), values)
    }
}

/// Checks one reply against the limits; returns how many values its tree holds.
@discardableResult
func checkLimits(_ value: RESPValue, _ limits: RESPDecoderLimits, depth: Int = 0) -> Int {
    func aggregate(_ values: [RESPValue]) -> Int {
        require(depth < limits.maxDepth, "nested \(depth + 1) deep, limit \(limits.maxDepth)")
        require(values.count <= limits.maxAggregateCount, "\(values.count) elements")
        return values.reduce(1) { $0 + checkLimits($1, limits, depth: depth + 1) }
    }
    switch value {
    case .simpleString(let payload), .double(let payload), .bigNumber(let payload):
        require(payload.count <= limits.maxLineLength, "a line of \(payload.count) bytes")
    case .error(let payload), .bulkString(let payload):
        require(payload.count <= max(limits.maxLineLength, limits.maxBulkLength), "\(payload.count) bytes")
    case .verbatimString(let format, let text):
        require(format.count == 3 && text.count + 4 <= limits.maxBulkLength, "verbatim of \(text.count) bytes")
    case .array(let values), .set(let values), .push(let values):
        return aggregate(values)
    case .map(let values):
        require(values.count % 2 == 0, "a map of \(values.count) elements")
        return aggregate(values)
    case .integer, .null, .boolean:
        break
    }
    return 1
}

/// Limits from the input: the standard ones, or small ones short inputs can reach.
func limits(_ reader: inout FuzzReader) -> RESPDecoderLimits {
    guard reader.byte() & 1 == 1 else { return .standard }
    return RESPDecoderLimits(
        maxBulkLength: reader.below(200), maxAggregateCount: reader.below(20), maxDepth: 1 + reader.below(8),
        maxLineLength: 32 + reader.below(64), maxReplyBytes: 64 + reader.below(1024), maxElements: 1 + reader.below(64))
}

func checkStream(_ reader: inout FuzzReader) {
    let limits = limits(&reader)
    let cut = Int(reader.uint16())
    let stream = reader.rest()
    var decoder = RESPDecoder(limits: limits)
    let whole = decode(stream, [stream.count], &decoder, limits: limits, exercising: true)
    for lengths in Chunking.variants(count: stream.count, cut: cut, seed: fnv1a(stream)).dropFirst() {
        // The same decoder, reset: it must forget the last stream, its error and its offsets.
        decoder.reset()
        let outcome = decode(stream, lengths, &decoder, limits: limits)
        require(outcome == whole, "chunks \(lengths) gave \(outcome), whole \(whole)")
    }
    var buffer = EncodeBuffer(capacity: 256)
    for value in whole.values {
        let values = checkLimits(value, limits)
        require(values <= limits.maxElements, "\(values) values, limit \(limits.maxElements)")
        buffer.removeAll()
        writeShortest(value, limits: limits, into: &buffer)
        require(buffer.count <= limits.maxReplyBytes, "a reply of at least \(buffer.count) bytes")
        var again = RESPDecoder(limits: limits)
        let redecoded = decode(buffer.bytes, [buffer.count], &again, limits: limits)
        require(redecoded == Outcome(values: [value]), "\(value) written back decoded to \(redecoded)")
    }
}

/// Commands built from the input through both of the encoder's ways of writing them.
func checkCommands(_ reader: inout FuzzReader) {
    var wire = EncodeBuffer(capacity: 256)
    var expected: [RESPValue] = []
    var command = RESPCommand(capacity: 16)
    while !reader.isAtEnd {
        command.removeAll()
        var arguments: [[UInt8]] = []
        for _ in 0..<(1 + reader.below(6)) {
            switch reader.below(4) {
            case 0:
                let value = Int(truncatingIfNeeded: (0..<8).reduce(UInt64(0)) { value, _ in value << 8 | UInt64(reader.byte()) })
                command.append(decimal: value)
                arguments.append(Array(String(value).utf8))
            case 1:
                let string = String(decoding: reader.take(reader.below(32)), as: UTF8.self)
                command.append(string: string)
                arguments.append(Array(string.utf8))
            default:
                let bytes = Array(reader.take(reader.below(64)))
                command.append(bytes)
                arguments.append(bytes)
            }
        }
        require(command.argumentCount == arguments.count, "\(command.argumentCount) arguments counted")
        let start = wire.count
        command.write(into: &wire)
        require(wire.count - start == command.encodedCount, "encodedCount \(command.encodedCount)")
        var direct = EncodeBuffer(capacity: 256)
        RESPEncoder.writeCommand(arguments, into: &direct)
        require(Array(wire.bytes[start...]) == direct.array, "RESPCommand and writeCommand differ")
        expected.append(.array(arguments.map { .bulkString($0) }))
    }
    let stream = wire.bytes
    // Whole and in random pieces: a byte at a time, the well-formed streams this writes cost four
    // times the rest of the target, and resuming at every byte is what the raw streams check.
    let variants = Chunking.variants(count: stream.count, cut: stream.count / 2, seed: fnv1a(stream))
    for (index, lengths) in [variants.first!, variants.last!].enumerated() {
        var decoder = RESPDecoder()
        let outcome = decode(stream, lengths, &decoder, limits: .standard, exercising: index == 0)
        require(outcome == Outcome(values: expected), "commands decoded to \(outcome), wrote \(expected)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    if reader.byte() % 4 == 0 {
        checkCommands(&reader)
    } else {
        checkStream(&reader)
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
