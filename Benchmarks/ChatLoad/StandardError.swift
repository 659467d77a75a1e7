// StandardError: unbuffered writes to descriptor 2 (progress lines and errors). Glibc's
// `stderr` is a global C variable, which Swift 6 strict concurrency rightly refuses to touch.
import Glibc

enum StandardError {
    /// Writes `line` and a newline to standard error.
    static func print(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
