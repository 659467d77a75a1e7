// IRCCommandTests: command words and numerics, case-insensitive matching, and the forbidden-byte scan.

import Codec
import IRCProtocol
import Testing

@Suite struct IRCCommandTests {
    @Test("commands compare equal whatever case they were spelled in")
    func ignoresCase() {
        let spellings = ["privmsg", "PRIVMSG", "PrivMsg"].map { IRCCommand($0)! }
        #expect(spellings.allSatisfy { $0 == "PRIVMSG" })
        #expect(Set(spellings).count == 1)
        // A literal argument is a literal: checked when created, never nil.
        #expect(IRCCommand("privmsg").description == "PRIVMSG")
        #expect(IRCCommand("NOTICE") != "PRIVMSG")
        #expect(IRCCommand("PRIVMSGS") != "PRIVMSG")
        #expect(withBytes("join") { IRCCommand("JOIN").matches($0) })
        #expect(!withBytes("joins") { IRCCommand("JOIN").matches($0) })
    }

    @Test(
        "words of 1 to 15 letters and three digits are commands; nothing else is",
        arguments: [
            ("A", true), ("PING", true), ("AUTHENTICATE", true), ("ABCDEFGHIJKLMNO", true), ("001", true),
            ("999", true), ("", false), ("ABCDEFGHIJKLMNOP", false), ("01", false), ("0001", false),
            ("1a1", false), ("a11", false), ("PING2", false), ("-", false), ("@", false), ("[", false),
            ("`", false), ("{", false), ("\u{E9}", false),
        ])
    func validatesWords(_ word: String, _ valid: Bool) {
        #expect((IRCCommand(word) != nil) == valid)
    }

    @Test("numerics are written with three digits and read back as numbers")
    func numerics() {
        #expect(IRCCommand(numeric: 1).description == "001")
        #expect(IRCCommand(numeric: 5) == "005")
        #expect(IRCCommand(numeric: 421).numeric == 421)
        #expect(IRCCommand("042").numeric == 42)
        #expect(IRCCommand("PING").numeric == nil)
        #expect(IRCCommand(numeric: 0).count == 3)
        #expect(IRCCommand("AUTHENTICATE").count == 12)
        let word = "join"
        #expect(IRCCommand(word) == "JOIN")
        let bad = "jo in"
        #expect(IRCCommand(bad) == nil)
    }

    @Test("a literal that is not a command, or a numeric past 999, is a programmer error")
    func invalidCommandsTrap() async {
        await #expect(processExitsWith: .failure) { _ = IRCCommand(stringLiteral: "NO SUCH") }
        await #expect(processExitsWith: .failure) { _ = IRCCommand(numeric: 1000) }
    }
}

@Suite struct ForbiddenByteTests {
    @Test("NUL, CR and LF are found at every position of lines up to 40 bytes", arguments: 1...40)
    func findsForbiddenBytes(_ length: Int) {
        for forbidden: UInt8 in [0x00, 0x0D, 0x0A] {
            for position in 0..<length {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
                bytes[position] = forbidden
                #expect(bytes.withUnsafeBytes { $0.containsForbiddenIRCByte() }, "\(forbidden) at \(position)")
            }
        }
    }

    @Test("every other byte value is allowed", arguments: 0...40)
    func noFalsePositives(_ length: Int) {
        let allowed = (UInt8.min...UInt8.max).filter { ![0x00, 0x0D, 0x0A].contains($0) }
        let bytes = (0..<length).map { allowed[($0 * 37) % allowed.count] }
        #expect(!bytes.withUnsafeBytes { $0.containsForbiddenIRCByte() })
        #expect(!allowed.withUnsafeBytes { $0.containsForbiddenIRCByte() })
    }
}
