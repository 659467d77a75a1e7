// RoomTests: /join, /rooms and /who, and rooms appearing and disappearing with their members.
import TestHarness
import Testing

extension EndToEnd {
    @Suite("Rooms")
    struct Rooms {
        @Test("/join sends PART to the old room and JOIN to the new one, the mover included", .timeLimit(.minutes(1)))
        func join() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(3)
            let (mover, stayer, host) = (clients[0], clients[1], clients[2])
            try host.join("games")
            try stayer.expectLine("PART lobby \(host.nick)")
            try mover.expectLine("PART lobby \(host.nick)")

            try mover.send("/join games")
            try mover.expectLine("PART lobby \(mover.nick)")
            try mover.expectLine("JOIN games \(mover.nick)")
            try stayer.expectLine("PART lobby \(mover.nick)")
            try host.expectLine("JOIN games \(mover.nick)")
            try stayer.expectNothingQueued()
            try host.expectNothingQueued()

            try mover.send("in games")
            try host.expectLine("MSG games \(mover.nick) in games")
            try stayer.expectNothingQueued()
        }

        @Test(
            "/join creates a room, and a room disappears from /rooms when its last member leaves",
            .timeLimit(.minutes(1))
        )
        func roomLifetime() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            let (a, b) = (clients[0], clients[1])
            try a.join("temp")
            try b.send("/rooms")
            try b.expectLine("PART lobby \(a.nick)")
            try b.expectLine("ROOM lobby 1")
            try b.expectLine("ROOM temp 1")
            try b.expectLine("END rooms")

            try b.join("temp")
            try a.expectLine("JOIN temp \(b.nick)")
            // The lobby emptied and is gone.
            try a.send("/rooms")
            try a.expectLine("ROOM temp 2")
            try a.expectLine("END rooms")

            try a.join("lobby")
            try b.expectLine("PART temp \(a.nick)")
            try b.send("/quit")
            try b.expectLine("BYE")
            try b.waitForClose()
            // a is in the lobby and hears no PART: poll /rooms until b's disconnect has been handled.
            var rooms: [String] = []
            for _ in 0..<50 {
                rooms = try a.listing("/rooms")
                if rooms.count < 3 { break }
                sleep(for: .milliseconds(20))
            }
            #expect(rooms == ["ROOM lobby 1", "END rooms"])
        }

        @Test("/rooms lists every room with its member count, ordered by name ignoring case", .timeLimit(.minutes(1)))
        func roomsListing() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(6)
            try clients[1].join("beta")
            try clients[2].join("Alpha")
            try clients[3].join("gamma")
            try clients[4].join("beta")
            try clients[5].join("Zulu")
            try clients[0].sync()
            #expect(
                try clients[0].listing("/rooms") == [
                    "ROOM Alpha 1", "ROOM beta 2", "ROOM gamma 1", "ROOM lobby 1", "ROOM Zulu 1", "END rooms",
                ]
            )
        }

        @Test(
            "a room keeps the case it was created with, and joining it in another case joins it",
            .timeLimit(.minutes(1))
        )
        func roomNameCase() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].join("Den")
            try clients[1].sync()
            try clients[1].send("/join den")
            try clients[1].expectLine("PART lobby \(clients[1].nick)")
            try clients[1].expectLine("JOIN Den \(clients[1].nick)")
            try clients[0].expectLine("JOIN Den \(clients[1].nick)")
        }

        @Test("joining the room you are in, ignoring case, only confirms it to you", .timeLimit(.minutes(1)))
        func joinSameRoom() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/join  LOBBY ")
            try clients[0].expectLine("JOIN lobby \(clients[0].nick)")
            try clients[0].expectNothingQueued()
            try clients[1].expectNothingQueued()
        }

        static let badRoomNames = ["", "no spaces", "bad!", String(repeating: "r", count: 33), "#chan"]

        @Test(
            "an invalid room name gets ERR bad-name and the client stays where it was",
            .timeLimit(.minutes(1)),
            arguments: badRoomNames
        )
        func badRoomName(name: String) throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(2)
            try clients[0].send("/join \(name)")
            try clients[0].expectLine(prefix: "ERR bad-name ")
            try clients[0].send("still in the lobby")
            try clients[1].expectLine("MSG lobby \(clients[0].nick) still in the lobby")
        }

        @Test("/who lists the members of your room only, ordered by nick ignoring case", .timeLimit(.minutes(1)))
        func who() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let clients = try server.connectAll(4)
            try clients[0].send("/nick zed")
            try clients[1].send("/nick Bob")
            // Each sync returns after the client's own rename was handled; later syncs drain both.
            for client in clients { try client.sync() }
            try clients[3].join("elsewhere")
            try clients[2].sync()
            #expect(try clients[2].listing("/who") == ["USER Bob", "USER \(clients[2].nick)", "USER zed", "END who"])
            #expect(try clients[3].listing("/who") == ["USER \(clients[3].nick)", "END who"])
        }

        @Test("the lobby is deleted when it empties and recreated for the next connection", .timeLimit(.minutes(1)))
        func lobbyRecreated() throws {
            let server = try ServerProcess.start()
            defer { server.stop() }
            let a = try server.connect()
            try a.join("away")
            #expect(try a.listing("/rooms") == ["ROOM away 1", "END rooms"])
            let b = try server.connect()
            #expect(try b.listing("/rooms") == ["ROOM away 1", "ROOM lobby 1", "END rooms"])
        }
    }
}
