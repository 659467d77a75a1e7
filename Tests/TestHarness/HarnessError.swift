// HarnessError: the error every test helper throws when a system call fails or a peer misbehaves,
// and errno as text for the messages.

import Glibc

/// A failure outside an expectation: a system call failed, a child would not start, a read ran out
/// of time. Tests let it propagate, and Swift Testing reports its description.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// `call` failed with `code` (by default the current errno, read at the call site).
    public static func system(_ call: String, _ code: Int32 = errno) -> HarnessError {
        HarnessError("\(call): \(errnoText(code))")
    }
}

/// `strerror` plus the number, for failure messages: the text alone hides which errno it was.
public func errnoText(_ code: Int32) -> String { "\(String(cString: strerror(code))) (errno \(code))" }
