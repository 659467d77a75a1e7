// CommandTests: how protocol v1 lines are parsed into chat commands and front-end requests.

import Testing

import ChatCore
@testable import LineProtocol

@Suite struct CommandTests {
    /// A parsed command with its byte payloads decoded, so it can be compared in tables.
    static func describe(_ line: String) -> String {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { raw in
            func text(_ part: UnsafeRawBufferPointer) -> String { "[\(String(decoding: part, as: UTF8.self))]" }
            switch LineParser.parse(raw) {
            case .empty: return "empty"
            case .command(.send(.message, let t, .currentRoom)): return "say \(text(t))"
            case .command(.send(.action, let t, .currentRoom)): return "me \(text(t))"
            case .command(.send(.message, let t, .nick(let n))): return "msg \(text(n)) \(text(t))"
            case .command(.send): return "other send"
            case .command(.rename(let n)): return "nick \(text(n))"
            case .command(.join(let r, leavingOthers: true, key: nil)): return "join \(text(r))"
            case .command(.join): return "join, staying"
            case .command(.part): return "part"
            case .command(.listRooms): return "rooms"
            case .command(.listMembers(nil)): return "who"
            case .command(.listMembers): return "names"
            case .command(.stats): return "stats"
            case .command(.away): return "away"
            case .command(.setTopic), .command(.setModes), .command(.kick), .command(.invite): return "operator"
            case .command(.quit(let r)): return "quit \(text(r))"
            case .reply(.pong(let t)): return "ping \(text(t))"
            case .reply(.help): return "help"
            case .error(.unknownCommand(let w)): return "unknown \(text(w))"
            case .error(.badLine): return "bad-line"
            case .error: return "other error"
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
            ("", "empty"),
            ("a\u{0}b", "bad-line"),
            ("/nick \u{0}", "bad-line"),
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
