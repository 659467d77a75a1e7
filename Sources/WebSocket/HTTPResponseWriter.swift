// HTTPResponseWriter: HTTP/1.1 response heads and small whole responses rendered into an EncodeBuffer.

import Codec

/// Renders HTTP/1.1 responses: a status line, header fields, and (for whole responses) the
/// `Content-Length` and the body.
///
/// Field names and values come from the server's own code, so a name that is not a token or a value
/// holding CR, LF or NUL is a programmer error (a precondition), never a way to split a response.
///
/// ```swift
/// var buffer = EncodeBuffer()
/// HTTPResponseWriter.writeResponse(
///     status: .ok, headers: ["Content-Type": "text/plain"], body: "ok\n", keepAlive: head.keepAlive,
///     into: &buffer)
/// connection.write(buffer.bytes)
/// ```
public enum HTTPResponseWriter {
    /// Writes the status line, `headers`, and the blank line that ends the head.
    ///
    /// For responses whose framing the caller settles itself: 101, 204, 304, or a head followed by
    /// a body written separately (then include `Content-Length` in `headers`).
    public static func writeHead(status: HTTPStatus, headers: HTTPHeaders = [:], into buffer: inout EncodeBuffer) {
        buffer.append("HTTP/1.1 ")
        buffer.append(decimal: status.code)
        buffer.append(byte: ASCII.space)
        buffer.append(string: status.reason)
        buffer.append("\r\n")
        for field in headers {
            Self.writeField(name: field.name, value: field.value, into: &buffer)
        }
        buffer.append("\r\n")
    }

    /// Writes a whole response: the status line, `headers`, `Content-Length`, the connection's fate,
    /// and the body.
    ///
    /// - Parameters:
    ///   - status: The status.
    ///   - headers: Fields to send; not `Content-Length` or `Connection`, which this writes.
    ///   - body: The body. Its length is sent even when `includeBody` is false.
    ///   - keepAlive: Whether the connection stays open. `false` sends `Connection: close`; `true`
    ///     sends `Connection: keep-alive` to an HTTP/1.0 client, which would close otherwise.
    ///   - requestVersion: The version of the request being answered.
    ///   - includeBody: `false` for a response to `HEAD`: the same head, no body.
    public static func writeResponse(
        status: HTTPStatus, headers: HTTPHeaders = [:], body: UnsafeRawBufferPointer, keepAlive: Bool,
        requestVersion: HTTPVersion = .http1_1, includeBody: Bool = true, into buffer: inout EncodeBuffer
    ) {
        buffer.append("HTTP/1.1 ")
        buffer.append(decimal: status.code)
        buffer.append(byte: ASCII.space)
        buffer.append(string: status.reason)
        buffer.append("\r\n")
        for field in headers {
            Self.writeField(name: field.name, value: field.value, into: &buffer)
        }
        buffer.append("Content-Length: ")
        buffer.append(decimal: body.count)
        buffer.append("\r\n")
        if !keepAlive {
            buffer.append("Connection: close\r\n")
        } else if requestVersion < .http1_1 {
            buffer.append("Connection: keep-alive\r\n")
        }
        buffer.append("\r\n")
        if includeBody { buffer.append(body) }
    }

    /// Writes a whole response with a text body, as the form taking the body's bytes does.
    public static func writeResponse(
        status: HTTPStatus, headers: HTTPHeaders = [:], body: String, keepAlive: Bool,
        requestVersion: HTTPVersion = .http1_1, includeBody: Bool = true, into buffer: inout EncodeBuffer
    ) {
        var body = body
        body.withUTF8 { bytes in
            Self.writeResponse(
                status: status, headers: headers, body: UnsafeRawBufferPointer(bytes), keepAlive: keepAlive,
                requestVersion: requestVersion, includeBody: includeBody, into: &buffer)
        }
    }

    /// Writes the answer to a refused request: `status`, a one-line text body saying it, and
    /// `Connection: close`. Close the connection once it is flushed.
    ///
    /// ```swift
    /// case .failure(let error):
    ///     HTTPResponseWriter.writeError(error.status, into: &buffer)
    /// ```
    public static func writeError(_ status: HTTPStatus, headers: HTTPHeaders = [:], into buffer: inout EncodeBuffer) {
        var fields = headers
        fields.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        Self.writeResponse(
            status: status, headers: fields, body: "\(status.code) \(status.reason)\n", keepAlive: false,
            into: &buffer)
    }

    /// Writes one `name: value` line.
    public static func writeField(name: String, value: String, into buffer: inout EncodeBuffer) {
        precondition(!name.isEmpty && name.utf8.allSatisfy(isTokenByte), "an HTTP field name must be a token")
        precondition(
            !value.utf8.contains(where: { $0 == ASCII.carriageReturn || $0 == ASCII.newline || $0 == ASCII.nul }),
            "an HTTP field value must not hold CR, LF or NUL")
        buffer.append(string: name)
        buffer.append(": ")
        buffer.append(string: value)
        buffer.append("\r\n")
    }
}

/// Dates as HTTP writes them (the IMF-fixdate of RFC 9110 section 5.6.7), from a Unix time the caller
/// reads: `Sun, 06 Nov 1994 08:49:37 GMT`. Pure arithmetic, so the codec needs no clock of its own.
public enum HTTPDate {
    /// The IMF-fixdate for `secondsSince1970` (UTC). Times before 1970 are a programmer error.
    public static func format(secondsSince1970 seconds: Int) -> String {
        precondition(seconds >= 0, "HTTPDate formats times from 1970 on")
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        let weekday = (days + 4) % 7  // 1970-01-01 was a Thursday
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[weekday]), \(twoDigits(day)) \(months[month - 1]) \(year) "
            + "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

    /// Year, month (1–12) and day (1–31) of a day count, after Howard Hinnant's `civil_from_days`.
    static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
