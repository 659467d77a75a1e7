// echo-server: the README's embedding example, an echo server on the Reactor in about 30 lines.
// Usage: echo-server [[--port] PORT]   (listens on 127.0.0.1, default port 7777, 0 for any free
// port; prints the bound address on stdout; Ctrl-C stops it)
import Glibc
import Reactor

/// Echoes every line back. One handler per connection, holding that connection's framer.
final class EchoHandler: ConnectionHandler {
    var framer = LineFramer(maxLineLength: 64 * 1024)

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        framer.process(bytes) { frame in
            switch frame {
            case .line(let line):
                connection.write(line)
                connection.write(string: "\n")
            case .overlong:
                connection.write(string: "ERR line too long\n")
            }
        }
    }
}

let arguments = CommandLine.arguments.dropFirst().filter { $0 != "--port" }
let port = arguments.first.flatMap { Int($0) } ?? 7777
do {
    let reactor = try Reactor()
    // unowned: the reactor keeps this closure, so a strong capture would be a cycle (a leak at exit).
    try reactor.onSignal(SIGINT) { [unowned reactor] _ in reactor.stop() }
    let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: port)) { connection in
        connection.handler = EchoHandler()
    }
    print("echo-server listening on \(listener.address)")
    fflush(nil)  // stdout may be a pipe (tests read the port from it)
    reactor.run()
} catch {
    print("echo-server: \(error)")
    exit(1)
}
