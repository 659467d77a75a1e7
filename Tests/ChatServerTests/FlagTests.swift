// FlagTests: flag errors, --help, --version, and a port that is already in use.
import Testing

extension EndToEnd {
    @Suite("Command line")
    struct Flags {
        /// Bad arguments and the flag the error message must name. Port 0 for every listener goes
        /// first in every run (``ServerProcess/quietPorts``), so a case the parser wrongly accepted
        /// would not bind a default port.
        static let badFlags: [([String], String)] = [
            (["--bogus"], "--bogus"),
            (["-x"], "-x"),
            (["9999"], "9999"),
            (["--port", "abc"], "--port"),
            (["--port", "70000"], "--port"),
            (["--port", "-1"], "--port"),
            (["--port=abc"], "--port"),
            (["--port"], "--port"),
            (["--max-line", "0"], "--max-line"),
            (["--max-line"], "--max-line"),
            (["--max-connections", "0"], "--max-connections"),
            (["--max-outbuf", "ten"], "--max-outbuf"),
            (["--slow-consumer-grace", "soon"], "--slow-consumer-grace"),
            (["--slow-consumer-grace", "-1"], "--slow-consumer-grace"),
            (["--slow-consumer-grace"], "--slow-consumer-grace"),
            (["--max-outbuf-hard", "big"], "--max-outbuf-hard"),
            (["--max-outbuf", "2000000", "--max-outbuf-hard", "1000000"], "--max-outbuf-hard"),
            (["--max-total-outbuf", "-1"], "--max-total-outbuf"),
            (["--idle-timeout", "-3"], "--idle-timeout"),
            (["--rate", "fast"], "--rate"),
            (["--presence-limit", ""], "--presence-limit"),
            (["--log-level", "loud"], "--log-level"),
            (["--log-level"], "--log-level"),
            (["--host"], "--host"),
            (["--unix"], "--unix"),
        ]

        @Test(
            "a bad or incomplete flag exits with status 2 and a one-line message naming it",
            .timeLimit(.minutes(1)),
            arguments: badFlags
        )
        func badFlag(arguments: [String], flag: String) throws {
            let outcome = try ServerProcess.run(ServerProcess.quietPorts + arguments, timeout: .seconds(5))
            #expect(outcome.status == .exited(2))
            let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2 && lines[1].isEmpty, "expected one line, got \(outcome.stderr.debugDescription)")
            #expect(lines.first?.contains(flag) == true, "\(outcome.stderr.debugDescription) does not name \(flag)")
            #expect(outcome.stdout.isEmpty)
        }

        @Test("--help prints the usage with every flag on stdout and exits 0", .timeLimit(.minutes(1)))
        func help() throws {
            let outcome = try ServerProcess.run(["--help"])
            #expect(outcome.status == .exited(0))
            #expect(outcome.stdout.hasPrefix("Usage: switchboard"))
            for flag in [
                "--host", "--port", "--unix", "--max-connections", "--max-line", "--max-outbuf",
                "--slow-consumer-grace", "--max-outbuf-hard", "--max-total-outbuf",
                "--idle-timeout", "--rate", "--presence-limit", "--no-keepalive", "--log-level",
                "--print-port", "--help", "--version",
            ] {
                #expect(outcome.stdout.contains(flag), "usage does not mention \(flag)")
            }
            #expect(outcome.stderr.isEmpty)
        }

        @Test("--version prints one line naming switchboard and exits 0", .timeLimit(.minutes(1)))
        func version() throws {
            let outcome = try ServerProcess.run(["--version"])
            #expect(outcome.status == .exited(0))
            let lines = outcome.stdout.split(separator: "\n")
            #expect(
                lines.count == 1 && lines.first?.hasPrefix("switchboard ") == true,
                "got \(outcome.stdout.debugDescription)"
            )
        }

        @Test(
            "a port already in use makes the server exit non-zero with a message naming the address",
            .timeLimit(.minutes(1))
        )
        func portInUse() throws {
            let first = try ServerProcess.start()
            defer { first.stop() }
            let outcome = try ServerProcess.run(ServerProcess.quietPorts + ["--port", "\(first.port)"], timeout: .seconds(5))
            #expect(outcome.status != .exited(0))
            #expect(outcome.stderr.contains("127.0.0.1:\(first.port)"), "got \(outcome.stderr.debugDescription)")
            #expect(outcome.stderr.lowercased().contains("in use"), "got \(outcome.stderr.debugDescription)")
            // The first server is unaffected.
            let client = try first.connect()
            try client.expectNothingQueued()
        }

        @Test("an address that cannot be parsed makes the server exit non-zero naming --host", .timeLimit(.minutes(1)))
        func badHost() throws {
            let outcome = try ServerProcess.run(ServerProcess.quietPorts + ["--host", "not-an-address"], timeout: .seconds(5))
            #expect(outcome.status != .exited(0))
            #expect(
                outcome.stderr.contains("--host") || outcome.stderr.contains("not-an-address"),
                "got \(outcome.stderr.debugDescription)"
            )
        }

        @Test("flags accept --flag=value as well as --flag value", .timeLimit(.minutes(1)))
        func inlineValues() throws {
            let server = try ServerProcess.start(["--max-line=20", "--log-level=debug"])
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send(String(repeating: "9", count: 21))
            try clients[0].expectLine(prefix: "ERR line-too-long ")
            try clients[0].send(String(repeating: "8", count: 20))
            try clients[1].expectLine("MSG lobby \(clients[0].nick) \(String(repeating: "8", count: 20))")
        }
    }
}
