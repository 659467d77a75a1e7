// HTTPTestSupport: request heads as comparable descriptions, and a driver that feeds a byte stream
// to the parser in given chunks, pipelining what follows each head.

import WebSocket

/// A compact, unambiguous description of a head: `GET /p?q HTTP/1.1 [Name: value] path=/p query=q keep-alive none`.
func describe(_ head: HTTPRequestHead) -> String {
    var parts = ["\(head.method) \(head.target) \(head.version)"]
    parts += head.headers.map { "[\($0.name): \($0.value)]" }
    parts.append("path=\(head.path)")
    if let query = head.query { parts.append("query=\(query)") }
    parts.append(head.keepAlive ? "keep-alive" : "close")
    switch head.bodyFraming {
    case .none: parts.append("none")
    case .contentLength(let length): parts.append("length=\(length)")
    case .chunked: parts.append("chunked")
    }
    return parts.joined(separator: " ")
}

/// What a stream of bytes parsed into: the heads in order, each with the bytes that followed it up
/// to the next head, and how the stream ended.
struct HeadRun: Equatable, CustomStringConvertible {
    var heads: [String] = []
    var end = "needMore"
    var maxBuffered = 0

    var description: String { (heads + [end]).joined(separator: " | ") }

    /// Equal when the heads and the ending are; how much was buffered on the way may differ.
    static func == (lhs: HeadRun, rhs: HeadRun) -> Bool {
        lhs.heads == rhs.heads && lhs.end == rhs.end
    }
}

/// Feeds `input` to one parser in `chunks`. After each head, the rest of the chunk is fed again, as a
/// server does with pipelined requests.
func parseHeads(_ input: [UInt8], chunks: [Int], limits: HTTPHeadLimits = .standard) -> HeadRun {
    var parser = HTTPHeadParser(limits: limits)
    var run = HeadRun()
    forEachChunk(input, chunks) { chunk in
        var rest = chunk
        while true {
            let result = parser.parse(rest)
            run.maxBuffered = max(run.maxBuffered, parser.bufferedByteCount)
            switch result {
            case .needMore:
                run.end = "needMore"
                return
            case .head(let head, let consumed):
                precondition(consumed > 0 && consumed <= rest.count, "a head consumes part of its chunk")
                run.heads.append(describe(head))
                run.end = "needMore"
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                if rest.isEmpty { return }
            case .failure(let error):
                run.end = "error(\(error))"
                return
            }
        }
    }
    return run
}

/// Parses `text` in one piece.
func parseHeads(_ text: String, limits: HTTPHeadLimits = .standard) -> HeadRun {
    let input = bytes(text)
    return parseHeads(input, chunks: [input.count], limits: limits)
}
