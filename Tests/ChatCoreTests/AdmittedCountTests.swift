// AdmittedCountTests: the count of admitted clients IRC's LUSERS reports, kept as a running count.

import Testing

@testable import ChatCore

@Suite struct AdmittedCountTests {
    @Test("the admitted count follows admissions and disconnects, and pending clients are not in it")
    func followsAdmissions() {
        let chat = Chat()
        let a = chat.admitted(1, "alice")
        let pending = chat.connect(2)
        let c = chat.admitted(3, "carol", joiningLobby: false)
        #expect(chat.state.admittedCount == 2)
        #expect(chat.state.counters.connections == 3)
        chat.state.admit(a)
        #expect(chat.state.admittedCount == 2, "admitting twice counts once")
        chat.state.disconnect(pending, reason: nil)
        #expect(chat.state.admittedCount == 2)
        chat.state.disconnect(a, reason: nil)
        chat.state.disconnect(a, reason: nil)
        #expect(chat.state.admittedCount == 1)
        chat.state.disconnect(c, reason: nil)
        #expect(chat.state.admittedCount == 0)
    }
}
