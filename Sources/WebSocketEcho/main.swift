// websocket-echo: the WebSocket embedding example, an echo server on the Reactor that sends every
// message back as it came (text as text, binary as binary). Browsers and the Autobahn test suite's
// fuzzing client can talk to it.
// Usage: websocket-echo [[--port] PORT]   (listens on 127.0.0.1, default port 9001, 0 for any free
// port; prints the bound address on stdout; Ctrl-C stops it)
import Glibc
import Reactor
import ReactorWebSocket
import WebSocket

/// Sends every message back. It keeps no state, so one serves every connection.
final class Echo: WebSocketDelegate {
    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveText text: UnsafeRawBufferPointer) {
        socket.send(text: text)
    }

    func webSocket(_ socket: WebSocketConnectionHandler, didReceiveBinary data: UnsafeRawBufferPointer) {
        socket.send(binary: data)
    }
}

let arguments = CommandLine.arguments.dropFirst().filter { $0 != "--port" }
let port = arguments.first.flatMap { Int($0) } ?? 9001
// Any origin: an echo server holds nothing a page from elsewhere could misuse. 16 MiB messages, as
// the Autobahn suite's largest cases (9.x) send.
let configuration = WebSocketServerConfiguration(originPolicy: .any, maxMessageSize: 16 << 20)
let echo = Echo()
do {
    let reactor = try Reactor()
    // unowned: the reactor keeps this closure, so a strong capture would be a cycle (a leak at exit).
    try reactor.onSignal(SIGINT) { [unowned reactor] _ in reactor.stop() }
    let listener = try reactor.listen(on: SocketAddress(host: "127.0.0.1", port: port)) { connection in
        let handler = WebSocketConnectionHandler(connection: connection, configuration: configuration, delegate: echo)
        handler.plainRequestHandler = { head, buffer in
            HTTPResponseWriter.writeResponse(
                status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8"],
                body: "websocket-echo: open a WebSocket to this address and every message comes back\n",
                keepAlive: head.keepAlive, requestVersion: head.version, includeBody: head.method != .head,
                into: &buffer)
        }
        connection.handler = handler
    }
    print("websocket-echo listening on \(listener.address)")
    fflush(nil)  // stdout may be a pipe (tests read the port from it)
    reactor.run()
} catch {
    print("websocket-echo: \(error)")
    exit(1)
}
