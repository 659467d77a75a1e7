// HTTPHeadParser: HTTP/1.x request heads parsed incrementally and strictly (RFC 9112), with limits,
// from whatever pieces the reads deliver.

import Codec

/// The limits a request head must keep.
public struct HTTPHeadLimits: Sendable, Hashable {
    /// The most bytes of a head: request line, fields and every CR LF, the blank line's included.
    public var maxHeadLength: Int
    /// The most header fields.
    public var maxHeaderCount: Int

    /// Limits; a head length under 16 bytes or a negative field count is a programmer error.
    public init(maxHeadLength: Int = 8192, maxHeaderCount: Int = 100) {
        precondition(maxHeadLength >= 16, "an HTTP head limit must allow a request line")
        precondition(maxHeaderCount >= 0, "an HTTP header count limit cannot be negative")
        self.maxHeadLength = maxHeadLength
        self.maxHeaderCount = maxHeaderCount
    }

    /// 8 KiB and 100 fields.
    public static let standard = HTTPHeadLimits()
}

/// Why bytes are not a request head, each reason with the status to answer it with.
///
/// Every refusal ends the connection: answer with ``status`` (``HTTPResponseWriter/writeError(_:headers:into:)``
/// adds `Connection: close`), then close after the flush.
public enum HTTPHeadError: Error, Sendable, Hashable, CaseIterable {
    /// A line ends in a bare LF or a CR is not followed by LF: 400.
    case badLineEnding
    /// A control character (or, in the request line, a non-ASCII byte or a tab): 400.
    case invalidByte
    /// The request line is not `method SP target SP version`: 400.
    case badRequestLine
    /// The target is not an origin-form, absolute-form or `*` target (or `host:port` for CONNECT),
    /// holds a `#`, or a `%` not followed by two hex digits: 400.
    case badTarget
    /// The version is not `HTTP/<digit>.<digit>`: 400.
    case badVersion
    /// The version is well-formed but its major number is not 1: 505.
    case unsupportedVersion
    /// A field line is not `name: value` with a token for a name and no space before the colon: 400.
    case badHeaderField
    /// A field line starts with a space or tab (obsolete line folding, RFC 9112 section 5.2): 400.
    case obsoleteLineFolding
    /// HTTP/1.1 without a `Host` field, or more than one, or a value that is not a host: 400.
    case badHost
    /// `Content-Length` that is not digits, or several that disagree: 400.
    case badContentLength
    /// `Transfer-Encoding` whose last coding is not `chunked`, on HTTP/1.0, or with `Content-Length`: 400.
    case badTransferEncoding
    /// `Transfer-Encoding` naming a coding besides `chunked`: 501.
    case unsupportedTransferCoding
    /// The request line alone passes ``HTTPHeadLimits/maxHeadLength``: 414.
    case uriTooLong
    /// The head passes ``HTTPHeadLimits/maxHeadLength``: 431.
    case headTooLarge
    /// The head has more than ``HTTPHeadLimits/maxHeaderCount`` fields: 431.
    case tooManyHeaders

    /// The status a server answers this refusal with.
    public var status: HTTPStatus {
        switch self {
        case .unsupportedVersion: return .httpVersionNotSupported
        case .unsupportedTransferCoding: return .notImplemented
        case .uriTooLong: return .uriTooLong
        case .headTooLarge, .tooManyHeaders: return .requestHeaderFieldsTooLarge
        default: return .badRequest
        }
    }
}

/// What ``HTTPHeadParser/parse(_:)`` made of the bytes it was given.
public enum HTTPHeadParseResult: Sendable, Hashable {
    /// The head is not complete; every byte was consumed and kept. Call again with the next read.
    case needMore
    /// A complete head. Its last byte was at `consumed - 1` in the bytes of this call; the rest of
    /// them (a body, the next pipelined request) belong to whatever comes after the head.
    case head(HTTPRequestHead, consumed: Int)
    /// The bytes are not a request head. The parser stays failed: answer and close.
    case failure(HTTPHeadError)

    /// The head, if one is complete.
    public var head: HTTPRequestHead? {
        if case .head(let head, _) = self { return head }
        return nil
    }

    /// The refusal, if there is one.
    public var error: HTTPHeadError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Parses HTTP/1.x request heads from a byte stream, a read at a time.
///
/// The grammar is RFC 9112's, read strictly:
///
/// ```
/// head         = *CRLF request-line *( field-line CRLF ) CRLF   ; leading empty lines are skipped
/// request-line = method SP request-target SP HTTP-version CRLF  ; single spaces
/// method       = token
/// target       = "/" *vchar / absolute-URI / "*" / authority    ; no "#", valid %XX escapes
/// HTTP-version = "HTTP/" DIGIT "." DIGIT                         ; major 1 only (else 505)
/// field-line   = token ":" OWS *( vchar / obs-text / SP / HTAB ) OWS
/// ```
///
/// Lines end in CR LF only. A bare LF, a control byte, or a non-ASCII byte in the request line is
/// refused as soon as it arrives, so a client speaking something else (TLS, say) is answered at
/// once rather than when the limit is reached; the caller's head timeout covers clients that send
/// nothing at all. Beyond the grammar: HTTP/1.1 needs exactly one `Host`; `Content-Length` and
/// `Transfer-Encoding` must agree on one body framing (no request smuggling).
///
/// The parser does not judge the method: a server that answers only `GET` and `HEAD` checks
/// ``HTTPRequestHead/method`` and answers 405 with an `Allow` field, which only it can fill in.
///
/// Only an unfinished head is kept between calls (at most ``HTTPHeadLimits/maxHeadLength`` bytes);
/// a head that arrives in one read is parsed in place. After a `.head` the parser is ready for the
/// next request on the same connection; after a `.failure` it answers the same failure forever.
///
/// ```swift
/// var parser = HTTPHeadParser()
/// switch parser.parse(bytes) {
/// case .needMore: break
/// case .head(let head, let consumed): respond(to: head); handleRest(bytes[consumed...])
/// case .failure(let error): answer(error.status); closeAfterFlush()
/// }
/// ```
public struct HTTPHeadParser: Sendable {
    /// The limits enforced.
    public let limits: HTTPHeadLimits

    /// An unfinished head, when one spans reads.
    private var pending: [UInt8] = []
    /// Bytes counted against the head limit so far, leading empty lines included.
    private var total = 0
    /// Bytes in the current line so far, without its CR.
    private var lineLength = 0
    /// Complete, non-empty lines so far: the request line, then one per field.
    private var lines = 0
    /// The last byte was a CR.
    private var sawCR = false
    private var failure: HTTPHeadError?

    public init(limits: HTTPHeadLimits = .standard) {
        self.limits = limits
    }

    /// Bytes of an unfinished head held between calls.
    public var bufferedByteCount: Int { self.pending.count }

    /// True while a head has begun and is not complete (a head timeout should be running).
    public var isPartway: Bool { self.total > 0 && self.failure == nil }

    /// Parses as much of `bytes` as belongs to the current head.
    ///
    /// - Parameter bytes: The next bytes from the connection; an empty buffer is harmless.
    /// - Returns: `.needMore` after consuming all of them, `.head` with how many it consumed, or
    ///   `.failure`, at once and on every later call.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPHeadParseResult {
        if let failure = self.failure { return .failure(failure) }
        var start = 0  // where this head's bytes begin in `bytes`, past any leading empty lines
        for index in 0..<bytes.count {
            let byte = bytes[index]
            self.total += 1
            if self.total > self.limits.maxHeadLength {
                return self.fail(self.lines == 0 ? .uriTooLong : .headTooLarge)
            }
            if self.sawCR {
                self.sawCR = false
                guard byte == ASCII.newline else { return self.fail(.badLineEnding) }
                if self.lineLength > 0 {
                    self.lines += 1
                    self.lineLength = 0
                    if self.lines - 1 > self.limits.maxHeaderCount { return self.fail(.tooManyHeaders) }
                } else if self.lines == 0 {
                    // An empty line before the request line (RFC 9112 section 2.2): skip it.
                    self.pending.removeAll()
                    start = index + 1
                } else {
                    return self.complete(bytes, from: start, through: index)
                }
                continue
            }
            switch byte {
            case ASCII.carriageReturn:
                self.sawCR = true
                continue
            case ASCII.newline:
                return self.fail(.badLineEnding)
            case ASCII.tab:
                if self.lines == 0 { return self.fail(.invalidByte) }
            case 0x00..<0x20, 0x7F:
                return self.fail(.invalidByte)
            case 0x80...:
                if self.lines == 0 { return self.fail(.invalidByte) }
            default:
                break
            }
            self.lineLength += 1
        }
        if start < bytes.count {
            self.pending.append(contentsOf: bytes.slice(start..<bytes.count))
        }
        return .needMore
    }

    /// Forgets any unfinished head and any failure, for a fresh request.
    public mutating func reset() {
        self = HTTPHeadParser(limits: self.limits)
    }

    private mutating func fail(_ error: HTTPHeadError) -> HTTPHeadParseResult {
        self.failure = error
        self.pending = []
        return .failure(error)
    }

    /// The head ends at `end` in `bytes`: parse it, from `bytes` alone or from what was kept too.
    private mutating func complete(
        _ bytes: UnsafeRawBufferPointer, from start: Int, through end: Int
    ) -> HTTPHeadParseResult {
        let result: Result<HTTPRequestHead, HTTPHeadError>
        if self.pending.isEmpty {
            result = Self.parseComplete(bytes.slice(start..<(end + 1)))
        } else {
            self.pending.append(contentsOf: bytes.slice(start..<(end + 1)))
            result = self.pending.withUnsafeBytes { Self.parseComplete($0) }
        }
        switch result {
        case .success(let head):
            self.reset()
            return .head(head, consumed: end + 1)
        case .failure(let error):
            return self.fail(error)
        }
    }
}

extension HTTPHeadParser {
    /// Parses a whole head whose line endings and bytes the scan has already checked: lines end in
    /// CR LF, the last line is empty, and no line holds a control byte but tabs in field lines.
    static func parseComplete(_ head: UnsafeRawBufferPointer) -> Result<HTTPRequestHead, HTTPHeadError> {
        var lineStart = 0
        func nextLine() -> Range<Int> {
            var end = lineStart
            while head[end] != ASCII.carriageReturn { end += 1 }
            defer { lineStart = end + 2 }
            return lineStart..<end
        }

        let requestLine = head.slice(nextLine())
        let firstSpace = requestLine.firstSpace(from: 0)
        guard firstSpace < requestLine.count else { return .failure(.badRequestLine) }
        let secondSpace = requestLine.firstSpace(from: firstSpace + 1)
        guard secondSpace < requestLine.count else { return .failure(.badRequestLine) }
        let methodBytes = requestLine.slice(0..<firstSpace)
        let targetBytes = requestLine.slice((firstSpace + 1)..<secondSpace)
        let versionBytes = requestLine.slice((secondSpace + 1)..<requestLine.count)
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(isTokenByte) else { return .failure(.badRequestLine) }
        guard !targetBytes.isEmpty else { return .failure(.badRequestLine) }
        let version: HTTPVersion
        switch Self.parseVersion(versionBytes) {
        case .success(let parsed): version = parsed
        case .failure(let error): return .failure(error)
        }
        let method = HTTPMethod(String(decoding: methodBytes, as: UTF8.self))
        guard let (path, query) = Self.parseTarget(targetBytes, method: method) else {
            return .failure(.badTarget)
        }

        var headers: [HTTPHeader] = []
        while true {
            let range = nextLine()
            if range.isEmpty { break }
            let line = head.slice(range)
            if line[0] == ASCII.space || line[0] == ASCII.tab { return .failure(.obsoleteLineFolding) }
            guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else { return .failure(.badHeaderField) }
            let name = line.slice(0..<colon)
            guard name.allSatisfy(isTokenByte) else { return .failure(.badHeaderField) }
            let value = Self.trimmingWhitespace(line.slice((colon + 1)..<line.count))
            headers.append(
                HTTPHeader(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
        let fields = HTTPHeaders(headers)

        let hosts = fields.values(named: "Host")
        if hosts.count > 1 || (hosts.isEmpty && version >= .http1_1) { return .failure(.badHost) }
        if let host = hosts.first, !host.utf8.allSatisfy(isHostByte) { return .failure(.badHost) }

        let framing: HTTPBodyFraming
        switch Self.bodyFraming(fields, version: version) {
        case .success(let parsed): framing = parsed
        case .failure(let error): return .failure(error)
        }
        return .success(
            HTTPRequestHead(
                method: method, target: String(decoding: targetBytes, as: UTF8.self), version: version,
                headers: fields, path: path, query: query, bodyFraming: framing))
    }

    /// `HTTP/1.1` and `HTTP/1.0` (and any `HTTP/1.x`); other majors are 505, other spellings 400.
    static func parseVersion(_ bytes: UnsafeRawBufferPointer) -> Result<HTTPVersion, HTTPHeadError> {
        guard bytes.count == 8, bytes.slice(0..<5).elementsEqual("HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
            isDigit(bytes[5]), isDigit(bytes[7])
        else { return .failure(.badVersion) }
        let major = Int(bytes[5] - UInt8(ascii: "0"))
        guard major == 1 else { return .failure(.unsupportedVersion) }
        return .success(HTTPVersion(major: major, minor: Int(bytes[7] - UInt8(ascii: "0"))))
    }

    /// The path and query of a target, or `nil` if it is not one a server accepts.
    static func parseTarget(_ target: UnsafeRawBufferPointer, method: HTTPMethod) -> (String, String?)? {
        // Printable ASCII without "#" (a fragment is never sent), and every "%" begins an escape.
        var index = 0
        while index < target.count {
            let byte = target[index]
            guard byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "#") else { return nil }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < target.count, hexValue(target[index + 1]) != nil, hexValue(target[index + 2]) != nil
                else { return nil }
                index += 2
            }
            index += 1
        }
        let text = String(decoding: target, as: UTF8.self)
        if target[0] == ASCII.slash {
            let (path, query) = HTTPRequestHead.splitOriginForm(text)
            return (path, query)
        }
        if target.count == 1 && target[0] == UInt8(ascii: "*") {
            return method == .options ? ("*", nil) : nil
        }
        if method == .connect {
            // Authority-form, host:port: the server will refuse CONNECT, but the request is well-formed.
            return target.allSatisfy(isHostByte) ? ("", nil) : nil
        }
        // Absolute-form, which a server must accept (RFC 9112 section 3.2.2).
        for scheme in ["http://", "https://"] where target.count > scheme.utf8.count {
            guard target.slice(0..<scheme.utf8.count).equalsIgnoringCase(scheme.utf8) else { continue }
            var authorityEnd = scheme.utf8.count
            while authorityEnd < target.count && target[authorityEnd] != ASCII.slash
                && target[authorityEnd] != UInt8(ascii: "?")
            {
                guard isHostByte(target[authorityEnd]) else { return nil }
                authorityEnd += 1
            }
            guard authorityEnd > scheme.utf8.count else { return nil }
            let rest = String(decoding: target.slice(authorityEnd..<target.count), as: UTF8.self)
            let (path, query) = HTTPRequestHead.splitOriginForm(rest)
            return (path.isEmpty ? "/" : path, query)
        }
        return nil
    }

    /// The body framing the fields declare, or why they contradict each other (RFC 9112 section 6).
    static func bodyFraming(_ fields: HTTPHeaders, version: HTTPVersion) -> Result<HTTPBodyFraming, HTTPHeadError> {
        let codings = fields.tokens(inField: "Transfer-Encoding")
        if fields.count(named: "Transfer-Encoding") > 0 {
            guard version >= .http1_1, fields.count(named: "Content-Length") == 0,
                let last = codings.last, HTTPHeaders.equalsIgnoringCase(last.utf8, "chunked".utf8)
            else { return .failure(.badTransferEncoding) }
            guard codings.count == 1 else { return .failure(.unsupportedTransferCoding) }
            return .success(.chunked)
        }
        var length: Int?
        for field in fields where HTTPHeaders.namesMatch(field.name, "Content-Length") {
            // "Content-Length: 5, 5" is allowed to mean 5 (RFC 9110 section 8.6); "5, 6" is not.
            for element in field.value.utf8.split(separator: 0x2C, omittingEmptySubsequences: false) {
                let digits = HTTPHeaders.trimmingWhitespace(element)
                guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(isDigit) else {
                    return .failure(.badContentLength)
                }
                let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
                if let length, length != value { return .failure(.badContentLength) }
                length = value
            }
        }
        guard let length, length > 0 else { return .success(.none) }
        return .success(.contentLength(length))
    }

    static func trimmingWhitespace(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == ASCII.space || bytes[start] == ASCII.tab) { start += 1 }
        while end > start && (bytes[end - 1] == ASCII.space || bytes[end - 1] == ASCII.tab) { end -= 1 }
        return bytes.slice(start..<end)
    }
}

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool {
    byte &- UInt8(ascii: "0") < 10
}

/// A `tchar` (RFC 9110 section 5.6.2): the bytes of methods, field names and other tokens.
func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}

/// A byte of a `Host` value: a reg-name, an IP literal in brackets, and a port (RFC 3986 section 3.2.2).
func isHostByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
        UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
        UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
        UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"):
        return true
    default:
        return false
    }
}
