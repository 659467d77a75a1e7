// swift-tools-version:6.0
// Switchboard: a single-threaded epoll reactor, a line-chat server on it, and a load generator.
// No package dependencies: the toolchain and our own C shim (CEpoll) only.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Switchboard",
    products: [
        .library(name: "Reactor", targets: ["Reactor"]),
        .library(name: "Codec", targets: ["Codec"]),
        .library(name: "ChatCore", targets: ["ChatCore"]),
        .library(name: "LineProtocol", targets: ["LineProtocol"]),
        .library(name: "IRCProtocol", targets: ["IRCProtocol"]),
        .library(name: "WebSocket", targets: ["WebSocket"]),
        .library(name: "ReactorWebSocket", targets: ["ReactorWebSocket"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "ReactorRedis", targets: ["ReactorRedis"]),
        .executable(name: "switchboard", targets: ["ChatServer"]),
        .executable(name: "chatload", targets: ["ChatLoad"]),
        .executable(name: "echo-server", targets: ["EchoServer"]),
        .executable(name: "websocket-echo", targets: ["WebSocketEcho"]),
        .executable(name: "redis-chat", targets: ["RedisChat"]),
    ],
    targets: [
        // Headers Glibc does not export to Swift (epoll, eventfd, timerfd, signalfd, accept4).
        .target(name: "CEpoll"),
        // The embeddable event loop. Only Sources/Reactor/System calls libc.
        .target(name: "Reactor", dependencies: ["CEpoll"], swiftSettings: swiftSettings),
        // What every codec shares: the reusable render buffer and byte scanning. No chat, no sockets.
        .target(name: "Codec", swiftSettings: swiftSettings),
        // The chat domain as pure state: commands in, typed events out. No sockets, no wire bytes.
        .target(name: "ChatCore", swiftSettings: swiftSettings),
        // Line protocol v1 as a pair of pure codecs: lines to commands, events to lines.
        .target(name: "LineProtocol", dependencies: ["ChatCore", "Codec"], swiftSettings: swiftSettings),
        // IRC (RFC 1459/2812, Modern IRC, IRCv3 message-tags) as a pure codec: lines to messages, parts to lines.
        .target(name: "IRCProtocol", dependencies: ["Codec"], swiftSettings: swiftSettings),
        // HTTP/1.1 request heads, the WebSocket handshake (SHA-1, base64) and frames (RFC 6455) as pure
        // codecs, for any embedder of the Reactor. No chat, no sockets.
        .target(name: "WebSocket", dependencies: ["Codec"], swiftSettings: swiftSettings),
        // WebSocket on the Reactor: a ConnectionHandler doing the handshake, frames, pings and the close.
        .target(
            name: "ReactorWebSocket", dependencies: ["Reactor", "Codec", "WebSocket"], swiftSettings: swiftSettings),
        // RESP2/RESP3 as a pure codec: commands into an EncodeBuffer, replies decoded a read at a time.
        .target(name: "RESP", dependencies: ["Codec"], swiftSettings: swiftSettings),
        // A nonblocking Redis client on the Reactor: commands pipelined in order, pub/sub, reconnects.
        .target(name: "ReactorRedis", dependencies: ["Reactor", "Codec", "RESP"], swiftSettings: swiftSettings),
        // The IRC front end: registration, capabilities and commands over ChatCore, and ChatEvent to IRC lines.
        .target(
            name: "IRCFrontEnd", dependencies: ["ChatCore", "Codec", "IRCProtocol"], swiftSettings: swiftSettings),
        // What cluster nodes tell each other through Redis: bus messages as bytes and back, and
        // the per-sender sequence check. Pure, like the other codecs.
        .target(name: "ChatBus", dependencies: ["Codec"], swiftSettings: swiftSettings),
        // The `switchboard` executable: options, signals, sessions and delivery from Reactor to ChatCore,
    // and the web front door (the page, IRC over WebSocket, metrics).
        .executableTarget(
            name: "ChatServer",
            dependencies: [
                "Reactor", "Codec", "ChatCore", "LineProtocol", "IRCProtocol", "IRCFrontEnd", "WebSocket", "ReactorWebSocket",
                "ChatBus", "RESP", "ReactorRedis",
            ],
            swiftSettings: swiftSettings),
        // The README's embedding example: an echo server in ~30 lines.
        .executableTarget(name: "EchoServer", dependencies: ["Reactor"], swiftSettings: swiftSettings),
        // The WebSocket embedding example: an echo server for browsers and the Autobahn test suite.
        .executableTarget(
            name: "WebSocketEcho", dependencies: ["Reactor", "ReactorWebSocket", "WebSocket"],
            swiftSettings: swiftSettings),
        // The Redis embedding example: a terminal chat over Redis pub/sub.
        .executableTarget(name: "RedisChat", dependencies: ["Reactor", "ReactorRedis"], swiftSettings: swiftSettings),
        // The `chatload` load generator, built on Reactor as a client.
        .executableTarget(
            name: "ChatLoad", dependencies: ["Reactor"], path: "Benchmarks/ChatLoad",
            swiftSettings: swiftSettings),
        // Copy-per-recipient vs shared-chunk output queues, measured without sockets.
        .executableTarget(name: "FanoutModel", path: "Benchmarks/FanoutModel", swiftSettings: swiftSettings),
        // Helpers the test targets share: deadlines, child processes, blocking socket clients, the
        // open-files limit, a WebSocket client. Neither Reactor nor ChatCore (only the codecs), so any test
        // target can use it; no product.
        .target(
            name: "TestHarness", dependencies: ["Codec", "WebSocket"], path: "Tests/TestHarness",
            swiftSettings: swiftSettings),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "TestHarness"], swiftSettings: swiftSettings),
        .testTarget(name: "ChatCoreTests", dependencies: ["ChatCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ChatBusTests", dependencies: ["ChatBus", "Codec"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LineProtocolTests", dependencies: ["LineProtocol", "ChatCore", "Codec"],
            swiftSettings: swiftSettings),
        .testTarget(name: "IRCProtocolTests", dependencies: ["IRCProtocol", "Codec"], swiftSettings: swiftSettings),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "Codec"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReactorWebSocketTests",
            dependencies: ["ReactorWebSocket", "WebSocket", "Codec", "Reactor", "TestHarness"],
            swiftSettings: swiftSettings),
        .testTarget(name: "RESPTests", dependencies: ["RESP", "Codec"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReactorRedisTests", dependencies: ["ReactorRedis", "RESP", "Codec", "Reactor", "TestHarness"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ChatServerTests", dependencies: ["ChatServer", "ChatCore", "Reactor", "TestHarness", "WebSocket"],
            swiftSettings: swiftSettings),
    ]
)

// libFuzzer targets (Fuzz/, `make fuzz`), declared only when SWITCHBOARD_FUZZ=1: each executable's main
// hands its test function to libFuzzer's driver, which only -sanitize=fuzzer links, so they would break
// a plain `swift build` or `make test`. Fuzz/run.sh builds them in their own scratch path (.build-fuzz).
if Context.environment["SWITCHBOARD_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Support", swiftSettings: swiftSettings),
    ]
    let fuzzTargets: [(name: String, path: String, dependencies: [Target.Dependency])] = [
        ("FuzzLineFramer", "Fuzz/LineFramer", ["Reactor"]),
        ("FuzzLineParser", "Fuzz/LineParser", ["LineProtocol", "ChatCore", "Codec", "Reactor"]),
        ("FuzzIRCParser", "Fuzz/IRCParser", ["IRCProtocol", "Codec"]),
        ("FuzzHTTPHead", "Fuzz/HTTPHead", ["WebSocket", "Codec"]),
        ("FuzzWebSocketFrames", "Fuzz/WebSocketFrames", ["WebSocket", "Codec"]),
        ("FuzzChatState", "Fuzz/ChatState", ["ChatCore", "LineProtocol", "IRCFrontEnd", "IRCProtocol", "Codec"]),
        ("FuzzRESP", "Fuzz/RESP", ["RESP", "Codec"]),
        ("FuzzBusMessage", "Fuzz/BusMessage", ["ChatBus", "Codec"]),
    ]
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: ["FuzzSupport"] + target.dependencies, path: target.path,
                swiftSettings: swiftSettings))
    }
}
