// Log: one line per event on stderr, filtered by level.
import Glibc

/// Severity of a log line; a logger prints its own level and everything more severe.
enum LogLevel: Int, Comparable, CaseIterable {
    case error, warn, info, debug

    init?(name: String) {
        switch name.lowercased() {
        case "error": self = .error
        case "warn", "warning": self = .warn
        case "info": self = .info
        case "debug": self = .debug
        default: return nil
        }
    }

    var name: String { ["error", "warn", "info", "debug"][rawValue] }

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Writes `level message` lines to stderr. Per-connection events are debug-level, so at 20,000
/// clients the default (info) log stays readable; the caller checks `enabled` before building a
/// message string on any path that runs per connection.
struct Log {
    var level: LogLevel

    @inline(__always)
    func enabled(_ level: LogLevel) -> Bool { level <= self.level }

    func callAsFunction(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard enabled(level) else { return }
        writeLine("switchboard \(level.name): \(message())", to: 2)
    }
}

/// Writes a line straight to a descriptor (1 = stdout, 2 = stderr), unbuffered, so log lines and
/// the printed port are visible at once to whoever reads them.
func writeLine(_ text: String, to fd: Int32) {
    var line = text + "\n"
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}
