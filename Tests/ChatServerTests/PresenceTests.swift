// PresenceTests: JOIN, PART and NICK lines stop at --presence-limit members, except the actor's own.
import Testing

extension EndToEnd {
    @Suite("Presence limit")
    struct Presence {
        @Test(
            "up to the limit, counting the newcomer, members hear JOIN; above it only the newcomer does",
            .timeLimit(.minutes(1))
        )
        func joinOnConnect() throws {
            let server = try ServerProcess.start(["--presence-limit", "2"])
            defer { server.stop() }
            let first = try server.connect()
            let second = try server.connect()
            try first.expectLine("JOIN lobby \(second.nick)")
            // The lobby now has 3 members, more than 2: the third gets WELCOME and its own JOIN only.
            let third = try server.connect()
            let fourth = try server.connect()
            for client in [first, second, third, fourth] { try client.expectNothingQueued() }
            #expect(third.nick == "guest3" && fourth.nick == "guest4")
            // Messages are not presence lines: they still reach everyone.
            try fourth.send("heard by all")
            for client in [first, second, third] { try client.expectLine("MSG lobby \(fourth.nick) heard by all") }
        }

        @Test(
            "in a room above the limit, /join, /nick and disconnects confirm only to the actor",
            .timeLimit(.minutes(1))
        )
        func quietBigRoom() throws {
            let server = try ServerProcess.start(["--presence-limit", "2"])
            defer { server.stop() }
            let clients = try server.connectAll(4)
            let (a, b, c, d) = (clients[0], clients[1], clients[2], clients[3])
            for client in [a, b, c] { try client.join("big") }
            for client in clients { try client.sync() }

            // d joining makes 4 members in big: only d hears its JOIN; the lobby it left is empty.
            try d.join("big")
            try d.send("/nick quietly")
            try d.expectLine("NICK \(d.nick) quietly")
            d.nick = "quietly"
            try d.send("/quit bye")
            #expect(try d.waitForClose() == ["BYE bye"])
            // c's /join away: the PART in big (3 members) is c's alone; the JOIN in away (1 member) too.
            try c.join("away")
            for client in [a, b] { try client.expectNothingQueued() }

            // big now has 2 members, within the limit: presence lines are heard again.
            b.close()
            try a.expectLine(prefix: "PART big \(b.nick) ")
        }
    }
}
