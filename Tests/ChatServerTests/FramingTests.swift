// FramingTests: line boundaries, --max-line, huge unterminated lines, NUL bytes and CRLF.
import TestHarness
import Testing

extension EndToEnd {
    @Suite("Framing")
    struct Framing {
        static let lengths: [(Int, Bool)] = [
            (1, true), (63, true), (64, true), (65, false), (66, false), (5000, false),
        ]

        @Test(
            "with --max-line 64, a 64-byte line is relayed and a longer one gets ERR line-too-long",
            .timeLimit(.minutes(1)),
            arguments: lengths
        )
        func lineLimit(length: Int, accepted: Bool) throws {
            let server = try ServerProcess.start(["--max-line", "64"])
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let text = String(repeating: "x", count: length)
            try clients[0].send(text)
            if accepted {
                try clients[1].expectLine("MSG lobby \(clients[0].nick) \(text)")
                try clients[0].expectNothingQueued()
            } else {
                let error = try clients[0].expectLine(prefix: "ERR line-too-long ")
                #expect(error.contains("64"), "the text names the limit")
                try clients[1].expectNothingQueued()
            }
        }

        @Test("the \\r of a \\r\\n ending is not counted against --max-line nor relayed", .timeLimit(.minutes(1)))
        func crlfLimit() throws {
            let server = try ServerProcess.start(["--max-line", "64"])
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let text = String(repeating: "y", count: 64)
            try clients[0].sendRaw(Array("\(text)\r\nshort\r\n".utf8))
            try clients[1].expectLine("MSG lobby \(clients[0].nick) \(text)")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) short")
            try clients[0].expectNothingQueued()
        }

        @Test("after an over-long line the connection stays open and the next line is relayed", .timeLimit(.minutes(1)))
        func recoversAfterOverlong() throws {
            let server = try ServerProcess.start(["--max-line", "64"])
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let long = String(repeating: "z", count: 200)
            // Split across writes, the long line is still reported once and fully discarded.
            try clients[0].sendRaw(Array(long.utf8))
            sleep(for: .milliseconds(50))
            try clients[0].sendRaw(Array("\(long)\nnext line\n".utf8))
            try clients[0].expectLine(prefix: "ERR line-too-long ")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) next line")
            try clients[0].expectNothingQueued()
            try clients[1].expectNothingQueued()
        }

        @Test(
            "a 10 MB line without newline gets ERR line-too-long early, is not buffered, and the line after it works",
            .timeLimit(.minutes(1))
        )
        func hugeLine() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (sender, reader) = (clients[0], clients[1])
            let baseline = server.residentKilobytes
            let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
            let total = 10 << 20
            var sent = 0
            var errorAfter: Int?
            var peak = baseline
            while sent < total {
                try sender.sendRaw(chunk)
                sent += chunk.count
                if errorAfter == nil {
                    let lines = sender.availableLines()
                    if let first = lines.first {
                        #expect(first.hasPrefix("ERR line-too-long "), "got \(lines)")
                        #expect(lines.count == 1, "one ERR per long line, got \(lines)")
                        errorAfter = sent
                    }
                }
                if sent % (1 << 20) == 0 { peak = max(peak, server.residentKilobytes) }
            }
            try sender.send("")
            try sender.send("after the flood")
            try reader.expectLine("MSG lobby \(sender.nick) after the flood", timeout: .seconds(10))
            peak = max(peak, server.residentKilobytes)
            let early = try #require(errorAfter, "no ERR line-too-long while sending 10 MB")
            #expect(early < total / 2, "ERR arrived only after \(early) bytes")
            if !underAddressSanitizer {
                #expect(peak - baseline < 8 << 10, "server RSS grew from \(baseline) KiB to \(peak) KiB")
            }
            #expect(try sender.sync().isEmpty)
            try reader.expectNothingQueued()
        }

        @Test("a line containing a NUL byte gets ERR bad-line and is not relayed", .timeLimit(.minutes(1)))
        func nulByte() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            for line: [UInt8] in [[0x61, 0x00, 0x62], [0x00], Array("/nick a\0b".utf8), Array("//\0".utf8)] {
                try clients[0].sendRaw(line + [10])
                try clients[0].expectLine(prefix: "ERR bad-line ")
            }
            try clients[0].expectNothingQueued()
            try clients[1].expectNothingQueued()
            try clients[0].send("clean")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) clean")
        }

        @Test(
            "a line sent one byte per write arrives whole, and several lines in one write arrive separately",
            .timeLimit(.minutes(1))
        )
        func arbitrarySegments() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            for byte in Array("drip by drip\n".utf8) {
                try clients[0].sendRaw([byte])
                sleep(for: .milliseconds(2))
            }
            try clients[0].sendRaw(Array("one\ntwo\r\nthree\n".utf8))
            for text in ["drip by drip", "one", "two", "three"] {
                try clients[1].expectLine("MSG lobby \(clients[0].nick) \(text)")
            }
        }
    }
}
