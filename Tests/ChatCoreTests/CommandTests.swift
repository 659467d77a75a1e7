// CommandTests: how client lines are parsed into commands.

import Testing

@testable import ChatCore

@Suite struct CommandTests {
    /// A parsed command with its byte payloads decoded, so it can be compared in tables.
    static func describe(_ line: String) -> String {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { raw in
            func text(_ part: UnsafeRawBufferPointer) -> String { "[\(String(decoding: part, as: UTF8.self))]" }
            switch Command(parsing: raw) {
            case .say(let t): return "say \(text(t))"
            case .nick(let n): return "nick \(text(n))"
            case .join(let r): return "join \(text(r))"
            case .rooms: return "rooms"
            case .who: return "who"
            case .privateMessage(let n, let t): return "msg \(text(n)) \(text(t))"
            case .action(let t): return "me \(text(t))"
            case .ping(let t): return "ping \(text(t))"
            case .stats: return "stats"
            case .help: return "help"
            case .quit(let r): return "quit \(text(r))"
            case .unknown(let w): return "unknown \(text(w))"
            }
        }
    }

    @Test(
        "lines parse into commands",
        arguments: [
            ("hello world", "say [hello world]"),
            ("  padded  ", "say [  padded  ]"),
            ("//join x", "say [/join x]"),
            ("//", "say [/]"),
            ("/nick bob", "nick [bob]"),
            ("/nick   bob  ", "nick [bob]"),
            ("/nick", "nick []"),
            ("/nick bob alice", "nick [bob alice]"),
            ("/join Room-1", "join [Room-1]"),
            ("/rooms", "rooms"),
            ("/rooms extra", "rooms"),
            ("/who", "who"),
            ("/msg bob hi there ", "msg [bob] [hi there ]"),
            ("/msg  bob   hi", "msg [bob] [hi]"),
            ("/msg bob", "msg [bob] []"),
            ("/msg", "msg [] []"),
            ("/me waves", "me [waves]"),
            ("/me", "me []"),
            ("/ping", "ping []"),
            ("/ping 12 34", "ping [12 34]"),
            ("/stats", "stats"),
            ("/help", "help"),
            ("/quit", "quit []"),
            ("/quit gone fishing", "quit [gone fishing]"),
            ("/NICK Bob", "nick [Bob]"),
            ("/Join x", "join [x]"),
            ("/nickname bob", "unknown [/nickname]"),
            ("/frobnicate now", "unknown [/frobnicate]"),
            ("/", "unknown [/]"),
            ("/ hello", "unknown [/]"),
        ])
    func parses(_ line: String, _ expected: String) {
        #expect(Self.describe(line) == expected)
    }

    @Test("every command word is in the table exactly once and matches in any case")
    func tableCoversEveryWord() {
        #expect(CommandWord.table.count == Set(CommandWord.table.map(\.rawValue)).count)
        for word in CommandWord.table {
            for spelling in [word.rawValue, word.rawValue.uppercased()] {
                let bytes = Array(spelling.utf8)
                #expect(bytes.withUnsafeBytes { CommandWord.lookUp($0) } == word)
            }
        }
    }
}
