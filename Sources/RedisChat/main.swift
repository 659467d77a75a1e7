// redis-chat: the README's Redis example, a terminal chat over Redis pub/sub on the Reactor: lines
// typed are PUBLISHed to a channel, and the channel's messages are printed, on two connections.
// Usage: redis-chat [HOST:PORT | /path/to/redis.sock] [CHANNEL]   (default 127.0.0.1:6379 chat)
import Glibc
import Reactor
import ReactorRedis

let arguments = Array(CommandLine.arguments.dropFirst())
let target = arguments.first ?? "127.0.0.1:6379"
let channel = arguments.count > 1 ? arguments[1] : "chat"

/// A line on stderr (write(2): the C `stderr` global is not concurrency-safe to Swift 6).
func report(_ text: String) {
    var line = "redis-chat: " + text + "\n"
    _ = line.withUTF8 { write(2, $0.baseAddress, $0.count) }
}

func address(_ text: String) throws(ReactorError) -> SocketAddress {
    if text.hasPrefix("/") { return try SocketAddress(unixPath: text) }
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
        throw ReactorError.invalidAddress(text)
    }
    return try SocketAddress(host: String(text[..<colon]), port: port)
}

do {
    let reactor = try Reactor()
    try reactor.onSignal(SIGINT) { [unowned reactor] _ in reactor.stop() }
    let redis = RedisConnection(reactor: reactor, address: try address(target))
    let subscriber = RedisSubscriber(reactor: reactor, address: try address(target))
    subscriber.onMessage = { _, payload in
        // Straight to the descriptor: print's buffer would hold messages back when piped.
        _ = write(1, payload.baseAddress, payload.count)
        _ = write(1, "\n", 1)
    }
    subscriber.onStateChange = { state in report("\(target) \(state)") }
    subscriber.subscribe([channel])
    subscriber.start()
    redis.start()

    // Standard input, a line at a time; each line is one PUBLISH (commands of one read leave together).
    var framer = LineFramer(maxLineLength: 64 * 1024)
    var input = [UInt8](repeating: 0, count: 64 * 1024)
    let channelBytes = Array(channel.utf8)
    let stdinWatcher = try reactor.watch(0, interest: .readable) { [unowned reactor] _ in
        let count = input.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
        guard count > 0 else { return reactor.stop() }
        input.withUnsafeBytes { buffer in
            framer.process(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { frame in
                guard case .line(let line) = frame else { return }
                channelBytes.withUnsafeBytes { redis.publish(channel: $0, message: line) { result in
                    if case .failure(let error) = result { report("\(error)") }
                } }
            }
        }
    }
    reactor.run()
    stdinWatcher.cancel()
    redis.stop()
    subscriber.stop()
} catch {
    report("\(error)")
    exit(1)
}
