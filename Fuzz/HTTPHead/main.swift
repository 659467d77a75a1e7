// FuzzHTTPHead: libFuzzer target for the HTTP request-head parser. The same stream (pipelined
// heads, garbage) fed whole, a byte at a time, in two pieces and in random pieces must give the
// same heads at the same offsets and the same refusal; the parser never holds more than the head
// limit, never returns more fields than allowed, and what it returns keeps the grammar. Each head
// then goes through the WebSocket handshake and the query and path decoding, which must not trap.

import Codec
import FuzzSupport
import WebSocket

/// What a stream turned into: each head with the stream offset just past it, then how it ended.
struct Outcome: Equatable {
    var heads: [(head: HTTPRequestHead, end: Int)] = []
    var failure: HTTPHeadError?

    static func == (a: Outcome, b: Outcome) -> Bool {
        a.failure == b.failure && a.heads.count == b.heads.count
            && zip(a.heads, b.heads).allSatisfy { $0.head == $1.head && $0.end == $1.end }
    }
}

func isToken(_ text: String) -> Bool {
    !text.isEmpty
        && text.utf8.allSatisfy { byte in
            (byte >= 0x21 && byte <= 0x7E) && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
        }
}

/// The grammar and limits every head the parser returns keeps.
func checkHead(_ head: HTTPRequestHead, limits: HTTPHeadLimits) {
    require(head.headers.count <= limits.maxHeaderCount, "\(head.headers.count) fields, limit \(limits.maxHeaderCount)")
    require(isToken(head.method.name), "method \(head.method.name) is not a token")
    require(!head.target.isEmpty && head.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target \(head.target)")
    require(head.version.major == 1, "version \(head.version)")
    for field in head.headers {
        require(isToken(field.name), "field name \(field.name)")
        require(field.value.utf8.allSatisfy { $0 >= 0x20 || $0 == 0x09 }, "control byte in \(field.name)")
        require(field.value.utf8.first != 0x20 && field.value.utf8.last != 0x20, "value of \(field.name) not trimmed")
    }
    if head.version.minor >= 1 { require(head.headers.count(named: "Host") == 1, "HTTP/1.1 without one Host") }
    switch head.bodyFraming {
    case .chunked:
        require(head.headers.count(named: "Content-Length") == 0, "chunked and Content-Length")
    case .contentLength(let length):
        require(length > 0 && head.headers.count(named: "Transfer-Encoding") == 0, "Content-Length \(length)")
    case .none:
        require(head.headers.count(named: "Transfer-Encoding") == 0, "Transfer-Encoding without a body")
    }
    // What a server reads off a head next: none of it may trap.
    _ = head.keepAlive
    _ = head.host
    _ = head.decodedPath
    for item in head.queryItems { _ = item.name.utf8.count + item.value.utf8.count }
    _ = WebSocketHandshake.isUpgradeRequest(head)
    for policy in [WebSocketOriginPolicy.sameHost, .any] {
        let accepted = WebSocketHandshake.accept(head, subprotocols: ["chat", "irc"], originPolicy: policy)
        if case .success(let upgrade) = accepted {
            var buffer = EncodeBuffer(capacity: 256)
            upgrade.writeResponse(into: &buffer)
            require(upgrade.accept.utf8.count == 28, "accept value \(upgrade.accept)")
        }
    }
}

/// Feeds `stream` cut into `lengths`, parsing every head in it (pipelined requests).
///
/// With `checkingHeads` false the heads and the refusal are not checked, only collected: the
/// caller compares them with an outcome that was (a head equal to a checked one passes the same
/// checks, and the handshake's SHA-1 was most of the run).
func run(_ stream: UnsafeRawBufferPointer, _ lengths: [Int], limits: HTTPHeadLimits, checkingHeads: Bool) -> Outcome {
    var parser = HTTPHeadParser(limits: limits)
    var outcome = Outcome()
    var offset = 0  // where the current piece starts in the stream
    var stopped = false
    Chunking.feed(stream, lengths) { piece in
        var start = 0
        while !stopped {
            let rest = piece.slice(start..<piece.count)
            let result = parser.parse(rest)
            require(parser.bufferedByteCount <= limits.maxHeadLength, "holds \(parser.bufferedByteCount) bytes")
            switch result {
            case .needMore:
                offset += piece.count
                return
            case .head(let head, let consumed):
                require(consumed > 0 && consumed <= rest.count, "consumed \(consumed) of \(rest.count)")
                if checkingHeads { checkHead(head, limits: limits) }
                start += consumed
                outcome.heads.append((head, offset + start))
                require(!parser.isPartway && parser.bufferedByteCount == 0, "state kept after a head")
                if start == piece.count {
                    offset += piece.count
                    return
                }
            case .failure(let error):
                outcome.failure = error
                if checkingHeads {
                    // The answer a server writes: a status line with the refusal's code.
                    var answer = EncodeBuffer(capacity: 256)
                    HTTPResponseWriter.writeError(error.status, into: &answer)
                    let statusLine = Array("HTTP/1.1 \(error.status.code) ".utf8)
                    require(answer.array.starts(with: statusLine), "answer to \(error): \(answer.array)")
                }
                require(parser.parse(rest).error == error, "a failed parser answered something else")
                stopped = true
            }
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    let setting = reader.byte()
    // Small limits now and then, so that short inputs reach them; the standard ones otherwise.
    let limits =
        setting & 1 == 0
        ? HTTPHeadLimits.standard
        : HTTPHeadLimits(maxHeadLength: 16 + Int(reader.byte()), maxHeaderCount: Int(setting >> 1) % 8)
    let cut = Int(reader.uint16())
    let stream = reader.rest()
    var first: Outcome?
    for lengths in Chunking.variants(count: stream.count, cut: cut, seed: fnv1a(stream)) {
        let outcome = run(stream, lengths, limits: limits, checkingHeads: first == nil)
        if let first {
            require(outcome == first, "chunks \(lengths) gave \(outcome), whole gave \(first)")
        } else {
            first = outcome
        }
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
