// ReentrancyTests: the sink may disconnect clients from inside a delivery (a slow consumer); the
// state defers that until the delivery is over, so a broadcast is never cut short.

import Testing

@testable import ChatCore

@Suite struct ReentrancyTests {
    @Test("a disconnect requested from inside deliver waits until the message reached everyone")
    func disconnectDeferredUntilDeliveryEnds() {
        let chat = Chat()
        // Two encodings, so the message takes two calls and the victim is dropped during the first.
        let clients = (1...6).map { chat.admitted(Int32($0), "c\($0)", encoding: UInt8($0 % 2)) }
        let victim = clients[1]
        let state = chat.state
        var quitWhileDelivering = false
        chat.recorder.onDeliver = { delivery in
            if delivery.event.hasPrefix("message"), delivery.recipients.contains(victim) {
                state.disconnect(victim, reason: "slow")
                quitWhileDelivering = !state.isAdmitted(victim)
            }
        }
        chat.reset()
        chat.send("hi", from: clients[0])
        #expect(!quitWhileDelivering)
        #expect(
            chat.deliveries.map(\.event) == [
                "message lobby c1: hi", "message lobby c1: hi", "quit c2 (slow) via lobby", "quit c2 (slow) via lobby",
            ])
        for client in clients where client != clients[0] && client != victim {
            #expect(chat.received(client).filter { $0.hasPrefix("message") } == ["message lobby c1: hi"])
        }
        #expect(chat.received(victim) == ["message lobby c1: hi"])
        #expect(chat.received(clients[0]) == ["quit c2 (slow) via lobby"])
        #expect(chat.state.counters.deliveriesOut == 5)
        #expect(chat.state.counters.connections == 5)
        #expect(chat.state.members(of: "lobby").count == 5)
    }

    @Test("a disconnect requested from inside close, after a quit, runs once the quit is handled")
    func disconnectFromClose() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        let state = chat.state
        chat.recorder.onClose = { state.disconnect($0, reason: "closed") }
        chat.reset()
        chat.quit(a, reason: "done")
        #expect(chat.log == ["1: bye (done)", "2: quit alice (done) via lobby"])
        #expect(chat.state.nick(of: a) == nil)
        #expect(chat.state.rooms(of: b) == ["lobby"])
    }

    @Test("a departure that makes the sink drop another client is followed by that client's departure")
    func deferredDisconnectChains() {
        let chat = Chat()
        let clients = (1...4).map { chat.admitted(Int32($0), "c\($0)") }
        let state = chat.state
        chat.recorder.onDeliver = { delivery in
            if delivery.event.hasPrefix("quit c1"), delivery.recipients.contains(clients[1]) {
                state.disconnect(clients[1], reason: "slow")
            }
        }
        chat.reset()
        chat.disconnect(clients[0], reason: "gone")
        #expect(chat.received(clients[1]) == ["quit c1 (gone) via lobby"])
        for client in clients[2...] {
            #expect(chat.received(client) == ["quit c1 (gone) via lobby", "quit c2 (slow) via lobby"])
        }
        #expect(chat.state.counters.connections == 2)
    }

    @Test("the same client dropped twice from inside the sink departs once")
    func deferredDisconnectTwice() {
        let chat = Chat()
        let clients = (1...3).map { chat.admitted(Int32($0), "c\($0)", encoding: UInt8($0 % 2)) }
        let state = chat.state
        chat.recorder.onDeliver = { delivery in
            if delivery.event.hasPrefix("message") { state.disconnect(clients[2], reason: "slow") }
        }
        chat.reset()
        chat.send("hi", from: clients[0])
        #expect(
            chat.deliveries.filter { $0.event.hasPrefix("quit") }.flatMap(\.recipients) == [clients[1], clients[0]])
        #expect(chat.state.counters.connections == 2)
    }

    @Test("a client dropped in the middle of leaving all its rooms still hears every part first")
    func deferredDuringMove() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        chat.join(a, "den")
        chat.join(b, "den")
        let state = chat.state
        chat.recorder.onDeliver = { delivery in
            if delivery.event == "parted lobby alice" { state.disconnect(b, reason: "slow") }
        }
        chat.reset()
        chat.join(a, "attic", leavingOthers: true)
        #expect(
            chat.log == [
                "1: parted lobby alice", "2: parted lobby alice", "1: parted den alice", "2: parted den alice",
                "1: joined attic alice",
            ])
        #expect(chat.state.nick(of: b) == nil)
        #expect(chat.state.roomCount == 1)
    }

    @Test("the read-only queries and the counters may be used from inside the sink")
    func queriesFromInsideSink() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let b = chat.admitted(2, "bob")
        let state = chat.state
        var seen: [String] = []
        chat.recorder.onDeliver = { delivery in
            for client in delivery.recipients {
                seen.append(
                    "\(state.nick(of: client) ?? "-") \(state.room(of: client) ?? "-") \(state.hasQuit(client))")
            }
            state.counters.bytesOut += 10
        }
        chat.send("hi", from: a)
        #expect(seen == ["bob lobby false"])
        #expect(chat.state.counters.bytesOut == 10)
        _ = b
    }

    @Test("calling perform from inside the sink traps")
    func performFromSinkTraps() async {
        await #expect(processExitsWith: .failure) {
            let chat = Chat()
            let a = chat.admitted(1, "alice")
            chat.admitted(2, "bob")
            let state = chat.state
            chat.recorder.onDeliver = { _ in state.perform(.stats, from: a) }
            chat.send("hi", from: a)
        }
    }

    @Test("calling admit from inside the sink traps")
    func admitFromSinkTraps() async {
        await #expect(processExitsWith: .failure) {
            let chat = Chat()
            let a = chat.admitted(1, "alice")
            chat.connect(2)
            let state = chat.state
            chat.recorder.onDeliver = { _ in state.admit(ClientID(2)) }
            chat.send("hi", to: .nick("alice"), from: a)
        }
    }
}
