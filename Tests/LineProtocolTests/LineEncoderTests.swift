// LineEncoderTests: the render buffer, and the golden bytes of every protocol v1 line.

import ChatCore
import Codec
import Testing

@testable import LineProtocol

@Suite struct LineEncoderTests {
    /// Renders `event` and returns the text, newlines included.
    static func encoded(_ event: ChatEvent) -> String {
        var buffer = EncodeBuffer(capacity: 8)
        LineEncoder.encode(event, into: &buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    static func name(_ text: String) -> Name { Name(text)! }

    @Test("appends grow the buffer and keep earlier bytes")
    func growsAndKeepsContents() {
        var buffer = EncodeBuffer(capacity: 1)
        var expected: [UInt8] = []
        for i in 0..<1000 {
            let byte = UInt8(truncatingIfNeeded: i)
            buffer.append(byte: byte)
            expected.append(byte)
        }
        buffer.append(Array(repeating: 7, count: 5000))
        expected += Array(repeating: 7, count: 5000)
        #expect(buffer.array == expected)
        buffer.removeAll()
        #expect(buffer.count == 0)
        buffer.append("x")
        #expect(buffer.array == [UInt8(ascii: "x")])
    }

    @Test("decimals are written without String", arguments: [0, 7, 10, 99, 1_234_567_890, Int.max, -1, -42, Int.min])
    func writesDecimals(_ value: Int) {
        var buffer = EncodeBuffer(capacity: 2)
        buffer.append(decimal: value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }

    @Test("unsigned decimals are written in all of their range", arguments: [0, 9, UInt64(Int64.max) + 1, UInt64.max])
    func writesUnsignedDecimals(_ value: UInt64) {
        var buffer = EncodeBuffer(capacity: 2)
        buffer.append(decimal: value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }

    @Test("every event has its wire spelling")
    func spellsEvents() {
        let (bob, lobby, den) = (Self.name("bob"), Self.name("lobby"), Self.name("Den"))
        let text = Array("hi there".utf8)
        text.withUnsafeBytes { text in
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            #expect(Self.encoded(.message(.message, room: lobby, from: bob, text: text)) == "MSG lobby bob hi there\n")
            #expect(Self.encoded(.message(.action, room: lobby, from: bob, text: text)) == "ACTION lobby bob hi there\n")
            #expect(Self.encoded(.message(.notice, room: lobby, from: bob, text: text)) == "MSG lobby bob hi there\n")
            #expect(Self.encoded(.privateMessage(.message, from: bob, to: den, text: text)) == "PRIV bob hi there\n")
            #expect(Self.encoded(.welcome(nick: bob, room: lobby)) == "WELCOME bob lobby\n")
            #expect(Self.encoded(.welcome(nick: bob, room: nil)) == "WELCOME bob\n")
            #expect(Self.encoded(.joined(room: lobby, nick: bob)) == "JOIN lobby bob\n")
            #expect(Self.encoded(.parted(room: lobby, nick: bob, reason: empty)) == "PART lobby bob\n")
            #expect(Self.encoded(.parted(room: lobby, nick: bob, reason: text)) == "PART lobby bob hi there\n")
            #expect(Self.encoded(.quit(nick: bob, reason: text, room: den)) == "PART Den bob hi there\n")
            #expect(Self.encoded(.quit(nick: bob, reason: empty, room: den)) == "PART Den bob\n")
            #expect(Self.encoded(.renamed(old: bob, new: den)) == "NICK bob Den\n")
            #expect(Self.encoded(.bye(reason: empty)) == "BYE\n")
            #expect(Self.encoded(.bye(reason: text)) == "BYE hi there\n")
            #expect(
                Self.encoded(.roomList([RoomSummary(name: den, members: 1), RoomSummary(name: lobby, members: 12)]))
                    == "ROOM Den 1\nROOM lobby 12\nEND rooms\n")
            #expect(Self.encoded(.roomList([])) == "END rooms\n")
            #expect(Self.encoded(.memberList(room: lobby, members: [bob, den])) == "USER bob\nUSER Den\nEND who\n")
            var buffer = EncodeBuffer(capacity: 8)
            LineEncoder.encode(LineReply.pong(empty), into: &buffer)
            LineEncoder.encode(LineReply.pong(text), into: &buffer)
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == "PONG\nPONG hi there\n")
        }
    }

    @Test("statistics list every counter in the documented order, then END stats")
    func spellsStatistics() {
        var counters = ChatCounters(
            connections: 1, messagesIn: 2, deliveriesOut: 3, bytesIn: 4, bytesOut: 5, slowConsumerDrops: 6)
        counters.slowConsumerSoftLimitDrops = 9
        counters.slowConsumerHardLimitDrops = 10
        counters.outputQueuedBytes = 11
        counters.outputQueuedPeakBytes = 12
        counters.outputBudgetPauses = 13
        counters.outputBudgetPausedConnections = 14
        counters.outputBudgetPausedMilliseconds = 15
        #expect(
            Self.encoded(.statistics(ChatStatistics(counters: counters, rooms: 7, uptimeSeconds: 8)))
                == """
                STAT connections 1
                STAT rooms 7
                STAT messages_in 2
                STAT deliveries_out 3
                STAT bytes_in 4
                STAT bytes_out 5
                STAT slow_consumer_drops 6
                STAT uptime_seconds 8
                STAT slow_consumer_drops_soft_limit 9
                STAT slow_consumer_drops_hard_limit 10
                STAT output_queued_bytes 11
                STAT output_queued_peak_bytes 12
                STAT output_budget_pauses 13
                STAT output_budget_paused_connections 14
                STAT output_budget_paused_ms 15
                STAT loop_iteration_max_us 0
                STAT loop_iteration_max_on_cpu_us 0
                END stats

                """)
    }

    @Test("every error has its code and wording")
    func spellsErrors() {
        let rule = "must be 1-32 characters from A-Z a-z 0-9 _ -"
        let nickRule = "must be 1-32 characters from A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -"
        let word = Array("/frobnicate".utf8)
        word.withUnsafeBytes { word in
            let cases: [(ChatError, String)] = [
                (.badName(.nick), "ERR bad-name a nick \(nickRule)"),
                (.badName(.room), "ERR bad-name a room name \(rule)"),
                (.badName(.recipient), "ERR bad-name usage: /msg NICK TEXT, NICK \(nickRule)"),
                (.nickTaken(Self.name("Bob")), "ERR nick-taken Bob is already in use"),
                (.noSuchNick(word), "ERR no-such-nick /frobnicate is not connected"),
                (.missingText(.message, private: true), "ERR bad-line usage: /msg NICK TEXT"),
                (.missingText(.action, private: false), "ERR bad-line usage: /me TEXT"),
                (.lineTooLong(limit: 4096), "ERR line-too-long lines are limited to 4096 bytes; the line was discarded"),
                (.badLine, "ERR bad-line line contains a NUL byte"),
                (.unknownCommand(word), "ERR unknown-command /frobnicate is not a command; try /help"),
                (.serverFull, "ERR server-full too many connections (limit reached), try later"),
                (.slowConsumer(limit: 1024), "ERR slow-consumer more than 1024 bytes queued, disconnecting"),
                (.idleTimeout(seconds: 30), "ERR idle-timeout no input for 30 seconds"),
                (.notRegistered, "ERR not-registered registration is not complete"),
            ]
            for (error, line) in cases {
                #expect(Self.encoded(.error(error)) == line + "\n")
            }
        }
    }

    @Test("an unknown command is quoted up to 40 bytes")
    func unknownCommandIsTruncated() {
        let word = Array("/".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100)
        let line = word.withUnsafeBytes { Self.encoded(.error(.unknownCommand($0))) }
        #expect(line == "ERR unknown-command /" + String(repeating: "x", count: 39) + " is not a command; try /help\n")
    }

    @Test("every error code is a distinct lower-case word")
    func errorCodesAreDistinctWords() {
        let words = LineErrorCode.allCases.map(\.rawValue)
        #expect(Set(words).count == words.count)
        #expect(words.allSatisfy { $0.allSatisfy { $0 == "-" || ("a"..."z").contains($0) } })
    }

    @Test("the help text documents every command word, then END help")
    func helpCoversEveryCommand() {
        var buffer = EncodeBuffer(capacity: 8)
        LineEncoder.encode(LineReply.help, into: &buffer)
        let lines = String(decoding: buffer.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.last == "END help")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("INFO ") })
        for word in CommandWord.table {
            #expect(lines.contains { $0.hasPrefix("INFO /\(word.rawValue) ") }, "/\(word.rawValue) is documented")
        }
    }

    @Test("a long message with 32-byte names is rendered in one piece", arguments: [0, 1, 100, 3000, 70_000])
    func longMessage(_ length: Int) {
        let room = Self.name(String(repeating: "r", count: 32))
        let nick = Self.name("Nick-1")
        let text = Array(repeating: UInt8(ascii: "t"), count: length)
        let line = text.withUnsafeBytes { Self.encoded(.message(.message, room: room, from: nick, text: $0)) }
        #expect(line == "MSG \(room.string) Nick-1 " + String(repeating: "t", count: length) + "\n")
    }
}
