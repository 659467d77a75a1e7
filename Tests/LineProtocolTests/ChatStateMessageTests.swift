// ChatStateMessageTests: room messages, actions, private messages, and what is relayed verbatim.

import Testing

import ChatCore
import Codec
@testable import LineProtocol

extension ChatStateTests {
    @Suite struct Messages {
        static let nickRule = "NICK must be 1-32 characters from A-Z a-z 0-9 - _ [ ] \\ ` ^ { | }, not starting with 0-9 or -"

        @Test("a line goes to every other member as MSG and is not echoed to its sender")
        func messageReachesOthers() {
            let chat = ChatHarness()
            let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
            chat.reset()
            chat.type("hello there", from: b)
            #expect(chat.lines(a) == ["MSG lobby guest2 hello there"])
            #expect(chat.lines(c) == ["MSG lobby guest2 hello there"])
            #expect(chat.lines(b).isEmpty)
            #expect(chat.state.counters.messagesIn == 1)
            #expect(chat.state.counters.deliveriesOut == 2)
        }

        @Test("a message stays in its room")
        func roomsAreIsolated() {
            let chat = ChatHarness()
            let (a, b, c, d) = (chat.connect(1), chat.connect(2), chat.connect(3), chat.connect(4))
            chat.type("/join kitchen", from: c)
            chat.type("/join kitchen", from: d)
            chat.reset()
            chat.type("in the lobby", from: a)
            chat.type("in the kitchen", from: c)
            #expect(chat.lines(b) == ["MSG lobby guest1 in the lobby"])
            #expect(chat.lines(d) == ["MSG kitchen guest3 in the kitchen"])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.lines(c).isEmpty)
        }

        @Test("a message to a room of one is accepted and delivered to nobody")
        func messageToEmptyRoom() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type("anyone?", from: a)
            #expect(chat.sink.sent.isEmpty)
            #expect(chat.state.counters.messagesIn == 1)
            #expect(chat.state.counters.deliveriesOut == 0)
        }

        @Test(
            "a line starting with // sends the text after the first slash",
            arguments: [("//join x", "/join x"), ("//", "/"), ("///", "//"), ("// hi", "/ hi")])
        func doubleSlashEscapes(_ line: String, _ text: String) {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type(line, from: a)
            #expect(chat.lines(b) == ["MSG lobby guest1 \(text)"])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.state.room(of: a) == "lobby")
        }

        @Test("payload bytes are relayed verbatim, invalid UTF-8 and spaces included")
        func bytesAreVerbatim() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            let payload: [UInt8] = [0xFF, 0xFE, 0x20, 0x20, 0xC3, 0x28, 0x09, 0x7F, 0x20]
            chat.type(bytes: payload, from: a)
            let expected = Array("MSG lobby guest1 ".utf8) + payload + [ASCII.newline]
            #expect(chat.sink.sent.map(\.bytes) == [expected])
            #expect(chat.sink.sent.map(\.client) == [b])
        }

        @Test("a line containing NUL gets ERR bad-line and is not relayed", arguments: [0, 1, 5, 11])
        func nulIsRejected(_ position: Int) {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            var bytes = Array("hello world!".utf8)
            bytes[position] = 0
            chat.type(bytes: bytes, from: a)
            #expect(chat.lines(b).isEmpty)
            #expect(chat.lines(a).count == 1)
            #expect(chat.lines(a).first?.hasPrefix("ERR bad-line ") == true)
            #expect(chat.state.counters.messagesIn == 0)
        }

        @Test("a command containing NUL is rejected too")
        func nulInCommand() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type(bytes: Array("/nick bob".utf8) + [0], from: a)
            #expect(chat.lines(a).first?.hasPrefix("ERR bad-line ") == true)
            #expect(chat.state.nick(of: a) == "guest1")
        }

        @Test("an empty line is ignored silently")
        func emptyLineIsIgnored() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            _ = chat.connect(2)
            chat.reset()
            chat.type("", from: a)
            #expect(chat.sink.sent.isEmpty)
            #expect(chat.state.counters.messagesIn == 0)
        }

        @Test("/me sends ACTION to the others in the room")
        func actionReachesOthers() {
            let chat = ChatHarness()
            let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
            chat.reset()
            chat.type("/me waves  ", from: a)
            #expect(chat.lines(b) == ["ACTION lobby guest1 waves  "])
            #expect(chat.lines(c) == ["ACTION lobby guest1 waves  "])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.state.counters.messagesIn == 1)
            #expect(chat.state.counters.deliveriesOut == 2)
        }

        @Test("/me without text gets ERR bad-line")
        func actionNeedsText() {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type("/me ", from: a)
            #expect(chat.lines(a) == ["ERR bad-line usage: /me TEXT"])
            #expect(chat.lines(b).isEmpty)
        }

        @Test("/msg delivers PRIV to the named client only, found ignoring case, in any room")
        func privateMessage() {
            let chat = ChatHarness()
            let (a, b, c) = (chat.connect(1), chat.connect(2), chat.connect(3))
            chat.type("/nick Bob", from: b)
            chat.type("/join elsewhere", from: b)
            chat.reset()
            chat.type("/msg bOB psst, over here", from: a)
            #expect(chat.lines(b) == ["PRIV guest1 psst, over here"])
            #expect(chat.lines(a).isEmpty)
            #expect(chat.lines(c).isEmpty)
            #expect(chat.state.counters.messagesIn == 1)
            #expect(chat.state.counters.deliveriesOut == 1)
        }

        @Test("/msg to yourself delivers to you")
        func privateMessageToSelf() {
            let chat = ChatHarness()
            let a = chat.connect(1)
            chat.reset()
            chat.type("/msg guest1 note to self", from: a)
            #expect(chat.lines(a) == ["PRIV guest1 note to self"])
        }

        @Test(
            "/msg errors",
            arguments: [
                ("/msg nobody hi", "ERR no-such-nick nobody is not connected"),
                ("/msg guest2", "ERR bad-line usage: /msg NICK TEXT"),
                ("/msg guest2   ", "ERR bad-line usage: /msg NICK TEXT"),
                ("/msg", "ERR bad-name usage: /msg NICK TEXT, \(Self.nickRule)"),
                ("/msg b@d hi", "ERR bad-name usage: /msg NICK TEXT, \(Self.nickRule)"),
            ])
        func privateMessageErrors(_ line: String, _ reply: String) {
            let chat = ChatHarness()
            let (a, b) = (chat.connect(1), chat.connect(2))
            chat.reset()
            chat.type(line, from: a)
            #expect(chat.lines(a) == [reply])
            #expect(chat.lines(b).isEmpty)
            #expect(chat.state.counters.messagesIn == 0)
        }

        @Test("every member gets every sender's 200 messages in order, once each")
        func ordering() throws {
            let chat = ChatHarness()
            let clients = chat.connectQuietly(Array(1...6))
            let senders = Array(clients.prefix(4))
            for round in 0..<200 {
                for (index, sender) in senders.enumerated() {
                    chat.type("s\(index) m\(round)", from: sender)
                }
            }
            for client in clients {
                let received = chat.lines(client)
                for (index, sender) in senders.enumerated() {
                    let nick = try #require(chat.state.nick(of: sender))
                    let fromSender = received.filter { $0.hasPrefix("MSG lobby \(nick) ") }
                    if sender == client {
                        #expect(fromSender.isEmpty)
                    } else {
                        #expect(fromSender == (0..<200).map { "MSG lobby \(nick) s\(index) m\($0)" })
                    }
                }
                #expect(received.count == (senders.contains(client) ? 3 : 4) * 200)
            }
            #expect(chat.state.counters.messagesIn == 800)
            #expect(chat.state.counters.deliveriesOut == 800 * 5)
        }
    }
}
