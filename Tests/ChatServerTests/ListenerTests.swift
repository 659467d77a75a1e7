// ListenerTests: the IPv6 listener and the Unix-domain socket listener.
import Foundation
import Glibc
import TestHarness
import Testing

extension EndToEnd {
    @Suite("Listeners")
    struct Listeners {
        @Test("with --host ::1 clients chat over IPv6", .timeLimit(.minutes(1)))
        func ipv6() throws {
            let server = try ServerProcess.start(["--host", "::1"])
            defer { server.stop() }
            let a = try server.connect(.ipv6(server.port))
            let b = try server.connect(.ipv6(server.port))
            try a.expectLine("JOIN lobby \(b.nick)")
            try a.send("over six")
            try b.expectLine("MSG lobby \(a.nick) over six")
            try b.send("and back")
            try a.expectLine("MSG lobby \(b.nick) and back")
        }

        @Test(
            "with --unix a Unix-socket client and a TCP client share a room, and the socket file goes at shutdown",
            .timeLimit(.minutes(1))
        )
        func unixSocket() throws {
            let path = temporaryPath("sock")
            defer { unlink(path) }
            let server = try ServerProcess.start(["--unix", path])
            defer { server.stop() }
            var info = stat()
            #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK, "no socket at \(path)")

            let tcp = try server.connect()
            let unix = try server.connect(.unix(path))
            try tcp.expectLine("JOIN lobby \(unix.nick)")
            #expect(tcp.nick != unix.nick)
            try tcp.send("from tcp")
            try unix.expectLine("MSG lobby \(tcp.nick) from tcp")
            try unix.send("from unix")
            try tcp.expectLine("MSG lobby \(unix.nick) from unix")
            try unix.send("/msg \(tcp.nick) privately")
            try tcp.expectLine("PRIV \(unix.nick) privately")

            server.signal(SIGTERM)
            #expect(try unix.waitForClose() == ["BYE shutting-down"])
            #expect(try tcp.waitForClose() == ["BYE shutting-down"])
            #expect(server.waitForExit(timeout: .seconds(5)) == .exited(0))
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left behind")
        }

        @Test("a stale socket file left by a dead server is replaced", .timeLimit(.minutes(1)))
        func staleUnixSocket() throws {
            let path = temporaryPath("sock")
            defer { unlink(path) }
            // Bind and close without unlinking: the file stays, and nobody listens on it.
            let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            close(stale)
            try #require(bound == 0 && FileManager.default.fileExists(atPath: path))

            let server = try ServerProcess.start(["--unix", path])
            defer { server.stop() }
            let client = try server.connect(.unix(path))
            try client.expectNothingQueued()
        }

        @Test("a Unix socket another server is listening on is not taken over", .timeLimit(.minutes(1)))
        func liveUnixSocket() throws {
            let path = temporaryPath("sock")
            defer { unlink(path) }
            let first = try ServerProcess.start(["--unix", path])
            defer { first.stop() }
            let outcome = try ServerProcess.run(ServerProcess.quietPorts + ["--unix", path], timeout: .seconds(5))
            #expect(outcome.status != .exited(0))
            #expect(outcome.stderr.contains(path), "got \(outcome.stderr.debugDescription)")
            // The first server still owns the path. The second one's check (is anyone listening?)
            // was a connection to the first, which may still announce it: a guest joining and
            // leaving the lobby. Anything else is wrong.
            let client = try first.connect(.unix(path))
            for line in try client.sync() {
                #expect(line.hasPrefix("JOIN lobby guest") || line.hasPrefix("PART lobby guest"), "unexpected \(line)")
            }
        }
    }
}
