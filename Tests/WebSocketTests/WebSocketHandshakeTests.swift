// WebSocketHandshakeTests: the RFC 6455 example, each refusal with its response, subprotocols in the
// client's order, and the origin policy.

import Testing
import WebSocket

/// A request head from header lines, parsed as a server would.
func upgradeRequest(
    method: String = "GET", target: String = "/ws", version: String = "HTTP/1.1", _ fields: [String]
) throws -> HTTPRequestHead {
    var parser = HTTPHeadParser()
    let wire = "\(method) \(target) \(version)\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
    return try #require(bytes(wire).withUnsafeBytes { parser.parse($0) }.head)
}

/// The header lines of a good upgrade request, with `replacing` swapped in (by field name) or
/// added, and the fields named in `removing` left out.
func upgradeFields(replacing: [String] = [], removing: [String] = []) -> [String] {
    var fields = [
        "Host: chat.example.org", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
    ]
    func name(_ line: String) -> Substring { line.prefix { $0 != ":" }.lowercased()[...] }
    let dropped = Set(removing.map { $0.lowercased()[...] }).union(replacing.map(name))
    fields.removeAll { dropped.contains(name($0)) }
    return fields + replacing
}

@Suite struct WebSocketHandshakeTests {
    @Test("the RFC 6455 section 1.3 key has the accept value the RFC gives")
    func acceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("the RFC 6455 example handshake gets its 101 response, byte for byte")
    func rfcExample() throws {
        let head = try upgradeRequest(
            target: "/chat",
            [
                "Host: server.example.com", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Origin: http://example.com",
                "Sec-WebSocket-Protocol: chat, superchat", "Sec-WebSocket-Version: 13",
            ])
        let policy = WebSocketOriginPolicy(allowedOrigins: ["http://example.com"])
        let upgrade = try WebSocketHandshake.accept(head, subprotocols: ["superchat", "chat"], originPolicy: policy)
            .get()
        #expect(upgrade.subprotocol == "chat")
        #expect(upgrade.offeredSubprotocols == ["chat", "superchat"])
        #expect(upgrade.origin == "http://example.com")
        #expect(
            renderedText { upgrade.writeResponse(into: &$0) }
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
    }

    @Test("without a subprotocol the 101 response names none")
    func noSubprotocol() throws {
        let upgrade = try WebSocketHandshake.accept(upgradeRequest(upgradeFields())).get()
        #expect(upgrade.subprotocol == nil)
        #expect(
            renderedText { upgrade.writeResponse(into: &$0) }
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    }

    @Test(
        "browsers' spellings of the upgrade fields are accepted",
        arguments: [
            ["Connection: keep-alive, Upgrade"], ["Connection: UPGRADE"], ["Upgrade: WebSocket"],
            ["Upgrade: h2c, websocket"], ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"],
            ["Origin: http://chat.example.org"], ["Origin: https://chat.example.org"],
        ])
    func acceptsVariants(_ replacing: [String]) throws {
        let head = try upgradeRequest(upgradeFields(replacing: replacing))
        #expect(throws: Never.self) { try WebSocketHandshake.accept(head).get() }
    }

    @Test(
        "bad upgrade requests are refused with the reason the response gives",
        arguments: [
            ("POST", "HTTP/1.1", [], [], WebSocketHandshakeError.methodNotGet),
            ("HEAD", "HTTP/1.1", [], [], .methodNotGet),
            ("GET", "HTTP/1.0", [], [], .httpVersionTooOld),
            ("GET", "HTTP/1.1", [], ["Upgrade"], .notAnUpgrade),
            ("GET", "HTTP/1.1", ["Upgrade: h2c"], [], .notAnUpgrade),
            ("GET", "HTTP/1.1", ["Upgrade: websocket2"], [], .notAnUpgrade),
            ("GET", "HTTP/1.1", [], ["Connection"], .notAnUpgrade),
            ("GET", "HTTP/1.1", ["Connection: keep-alive"], [], .notAnUpgrade),
            ("GET", "HTTP/1.1", [], ["Sec-WebSocket-Version"], .unsupportedVersion),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Version: 8"], [], .unsupportedVersion),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Version: 13, 8"], [], .unsupportedVersion),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13"], [], .unsupportedVersion),
            ("GET", "HTTP/1.1", [], ["Sec-WebSocket-Key"], .badKey),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ"], [], .badKey),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j"], [], .badKey),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXM="], [], .badKey),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Key: not base64 at all!!!!!"], [], .badKey),
            (
                "GET", "HTTP/1.1",
                ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="],
                [], .badKey
            ),
            ("GET", "HTTP/1.1", ["Origin: http://evil.example"], [], .originNotAllowed),
            ("GET", "HTTP/1.1", ["Origin: null"], [], .originNotAllowed),
            ("GET", "HTTP/1.1", ["Origin: http://chat.example.org:8080"], [], .originNotAllowed),
            ("GET", "HTTP/1.1", ["Origin: http://chat.example.org", "Origin: http://x"], [], .originNotAllowed),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Protocol: a b"], [], .badSubprotocolList),
            ("GET", "HTTP/1.1", ["Sec-WebSocket-Protocol: chat, {x}"], [], .badSubprotocolList),
        ] as [(String, String, [String], [String], WebSocketHandshakeError)])
    func refuses(
        _ method: String, _ version: String, _ replacing: [String], _ removing: [String],
        _ error: WebSocketHandshakeError
    ) throws {
        let head = try upgradeRequest(
            method: method, version: version, upgradeFields(replacing: replacing, removing: removing))
        #expect(WebSocketHandshake.accept(head) == .failure(error))
    }

    @Test(
        "each refusal has its status and the fields that status calls for",
        arguments: [
            (WebSocketHandshakeError.methodNotGet, 405, ["Allow: GET"]),
            (.httpVersionTooOld, 400, []),
            (.notAnUpgrade, 426, ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13"]),
            (.unsupportedVersion, 426, ["Sec-WebSocket-Version: 13"]),
            (.badKey, 400, []),
            (.badSubprotocolList, 400, []),
            (.originNotAllowed, 403, []),
        ])
    func refusalResponses(_ error: WebSocketHandshakeError, _ code: Int, _ fields: [String]) {
        #expect(error.status.code == code)
        #expect(error.responseHeaders.map { "\($0.name): \($0.value)" } == fields)
        let wire = renderedText { error.writeResponse(into: &$0) }
        #expect(wire.hasPrefix("HTTP/1.1 \(error.status)\r\n" + fields.map { $0 + "\r\n" }.joined()))
        #expect(wire.contains("\r\nConnection: close\r\n"))
    }

    @Test("the refusal for a version the server does not speak, byte for byte")
    func versionRefusalBytes() {
        #expect(
            renderedText { WebSocketHandshakeError.unsupportedVersion.writeResponse(into: &$0) }
                == "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\n\r\n"
                + "426 Upgrade Required\n")
    }

    @Test(
        "the subprotocol is the client's first choice among those the server speaks",
        arguments: [
            (["Sec-WebSocket-Protocol: binary.ircv3.net, text.ircv3.net"], "binary.ircv3.net"),
            (["Sec-WebSocket-Protocol: text.ircv3.net, binary.ircv3.net"], "text.ircv3.net"),
            (["Sec-WebSocket-Protocol: foo, text.ircv3.net"], "text.ircv3.net"),
            (["Sec-WebSocket-Protocol: foo", "Sec-WebSocket-Protocol: binary.ircv3.net"], "binary.ircv3.net"),
            (["Sec-WebSocket-Protocol: foo, bar"], nil),
            (["Sec-WebSocket-Protocol: TEXT.IRCV3.NET"], nil),
            ([], nil),
        ] as [([String], String?)])
    func choosesSubprotocol(_ replacing: [String], _ chosen: String?) throws {
        let head = try upgradeRequest(upgradeFields(replacing: replacing))
        let upgrade = try WebSocketHandshake.accept(head, subprotocols: ["text.ircv3.net", "binary.ircv3.net"]).get()
        #expect(upgrade.subprotocol == chosen)
    }

    @Test("an upgrade request is told apart from a plain request before it is checked")
    func recognisesUpgrades() throws {
        #expect(WebSocketHandshake.isUpgradeRequest(try upgradeRequest(upgradeFields())))
        #expect(
            WebSocketHandshake.isUpgradeRequest(try upgradeRequest(method: "POST", ["Host: a", "Upgrade: WebSocket"])))
        #expect(!WebSocketHandshake.isUpgradeRequest(try upgradeRequest(["Host: a"])))
    }
}

@Suite struct WebSocketOriginPolicyTests {
    @Test(
        "the default policy allows the same host and clients without an origin",
        arguments: [
            (nil, "chat.example.org", true),
            ("http://chat.example.org", "chat.example.org", true),
            ("https://chat.example.org", "chat.example.org", true),
            ("HTTPS://Chat.Example.ORG", "chat.example.org", true),
            ("http://localhost:8080", "localhost:8080", true),
            ("http://127.0.0.1:8080", "127.0.0.1:8080", true),
            ("http://[::1]:8080", "[::1]:8080", true),
            ("https://chat.example.org:443", "chat.example.org", true),
            ("http://chat.example.org", "chat.example.org:80", true),
            ("http://localhost:8081", "localhost:8080", false),
            ("http://chat.example.org", "chat.example.org:8080", false),
            ("https://chat.example.org", "chat.example.org:80", false),
            ("http://evil.example", "chat.example.org", false),
            ("http://chat.example.org.evil.example", "chat.example.org", false),
            ("null", "chat.example.org", false),
            ("file://", "chat.example.org", false),
            ("chrome-extension://abc", "abc", false),
            ("http://chat.example.org/path", "chat.example.org", false),
            ("http://chat.example.org:x", "chat.example.org", false),
            ("http://chat.example.org", "", false),
        ] as [(String?, String, Bool)])
    func defaultPolicy(_ origin: String?, _ host: String, _ allowed: Bool) {
        #expect(WebSocketOriginPolicy.sameHost.allows(origin: origin, host: host) == allowed)
    }

    @Test("a list of origins allows those exactly, ignoring case, beside the same host")
    func allowedList() {
        let policy = WebSocketOriginPolicy(allowedOrigins: ["https://app.example.net", "http://localhost:3000"])
        #expect(policy.allows(origin: "https://app.example.net", host: "chat.example.org"))
        #expect(policy.allows(origin: "HTTPS://APP.example.net", host: "chat.example.org"))
        #expect(policy.allows(origin: "http://localhost:3000", host: "chat.example.org"))
        #expect(!policy.allows(origin: "https://app.example.net:8443", host: "chat.example.org"))
        #expect(policy.allows(origin: "https://chat.example.org", host: "chat.example.org"))
        let listOnly = WebSocketOriginPolicy(allowedOrigins: ["https://app.example.net"], allowsSameHost: false)
        #expect(!listOnly.allows(origin: "https://chat.example.org", host: "chat.example.org"))
        let browsersOnly = WebSocketOriginPolicy(allowsMissingOrigin: false)
        #expect(!browsersOnly.allows(origin: nil, host: "chat.example.org"))
    }

    @Test("the open policy allows any origin")
    func anyOrigin() {
        #expect(WebSocketOriginPolicy.any.allows(origin: "http://evil.example", host: "chat.example.org"))
        #expect(WebSocketOriginPolicy.any.allows(origin: "null", host: nil))
        #expect(!WebSocketOriginPolicy.sameHost.allows(origin: "http://chat.example.org", host: nil))
    }
}
