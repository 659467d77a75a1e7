// IdentityTableTests: the packed identities: set, replace, remove, the bytes renderers read,
// compaction of the shared buffer, and what a long part is cut to.

import Testing

@testable import ChatCore

@Suite struct IdentityTableTests {
    static func identity(_ n: Int) -> ClientIdentity {
        // 202 different hosts: more than are shared, so some are stored with their client's text.
        let host = n % 5 == 0 ? "10.0.\(n % 200).1" : n % 3 == 0 ? "0::1" : "127.0.0.1"
        return ClientIdentity(user: "~u\(n)", host: host, realName: "Real Name \(n) é")
    }

    @Test("identities set, replaced and removed at random read back as a dictionary of them does")
    func randomAgainstDictionary() {
        var table = IdentityTable()
        var reference: [Int32: ClientIdentity] = [:]
        var random = Xorshift(seed: 42)
        var compactions = 0
        for step in 0..<20_000 {
            let id = ClientID(Int32(random.next() % 500))
            if random.next() % 3 == 0 {
                table.remove(id)
                reference[id.raw] = nil
            } else {
                let identity = Self.identity(Int(random.next() % 10_000))
                table.set(id, identity)
                reference[id.raw] = identity
            }
            let before = table.textByteCount
            #expect(table.count == reference.count, "step \(step)")
            if step % 97 == 0 {
                for raw in 0..<500 { #expect(table[ClientID(Int32(raw))] == reference[Int32(raw)], "step \(step)") }
            }
            if table.textByteCount < before { compactions += 1 }
        }
        for raw in 0..<600 { #expect(table[ClientID(Int32(raw))] == reference[Int32(raw)]) }
        // Replacing 13,000 times leaves garbage: it was rewritten away, so the buffer stays near
        // the live bytes (about 500 identities of under 40 bytes).
        #expect(table.textByteCount < 4096 + 2 * 500 * 40, "\(table.textByteCount) bytes held")
        for raw in 0..<500 { table.remove(ClientID(Int32(raw))) }
        #expect(table.count == 0 && table.textByteCount == 0)
        #expect(table[ClientID(3)] == nil)
    }

    @Test("the bytes a renderer gets are the parts as UTF-8, and nil for a client without an identity")
    func bytes() {
        var table = IdentityTable()
        table.set(ClientID(7), ClientIdentity(user: "~alice", host: "127.0.0.1", realName: "Alice Liddell"))
        let parts = table.withIdentity(of: ClientID(7)) { identity in
            identity.map { [Array($0.user), Array($0.host), Array($0.realName)] }
        }
        #expect(parts == [Array("~alice".utf8), Array("127.0.0.1".utf8), Array("Alice Liddell".utf8)])
        #expect(table.withIdentity(of: ClientID(6)) { $0 == nil })
        #expect(table.withIdentity(of: ClientID(8)) { $0 == nil })
        #expect(table.withIdentity(of: ClientID(-1)) { $0 == nil })
    }

    @Test("a user over 255 bytes, a host over 127 and a real name over 65,535 are cut there; empty parts stay empty")
    func limits() {
        var table = IdentityTable()
        let long = ClientIdentity(
            user: String(repeating: "u", count: 300), host: String(repeating: "h", count: 256),
            realName: String(repeating: "r", count: 70_000))
        table.set(ClientID(0), long)
        let cut = table[ClientID(0)]
        #expect(cut?.user.utf8.count == 255 && cut?.host.utf8.count == 127 && cut?.realName.utf8.count == 65_535)
        table.set(ClientID(1), ClientIdentity(user: "", host: "", realName: ""))
        #expect(table[ClientID(1)] == ClientIdentity(user: "", host: "", realName: ""))
        #expect(table.count == 2)
    }

    @Test("a host many clients share is stored once: their text is only user and real name")
    func sharedHosts() {
        var table = IdentityTable()
        for n in 0..<1_000 {
            table.set(ClientID(Int32(n)), ClientIdentity(user: "~cl\(n)", host: "127.0.0.1", realName: "x"))
        }
        let text = (0..<1_000).reduce(0) { $0 + "~cl\($1)".utf8.count + 1 }
        #expect(table.textByteCount == text)
        #expect(table[ClientID(999)] == ClientIdentity(user: "~cl999", host: "127.0.0.1", realName: "x"))
    }

    @Test("ChatState forgets a client's identity when it disconnects; the next client on its ID has none")
    func forgottenOnDisconnect() {
        let chat = Chat()
        let id = ClientID(0)
        chat.state.connect(id, encoding: Encoding(0))
        chat.state.setIdentity(id, ClientIdentity(user: "~bob", host: "localhost", realName: "Bob"))
        #expect(chat.state.identity(of: id)?.user == "~bob")
        chat.state.disconnect(id, reason: nil)
        chat.state.connect(id, encoding: Encoding(0))
        #expect(chat.state.identity(of: id) == nil)
        #expect(chat.state.withIdentity(of: id) { $0 == nil })
    }
}
