// LineSession: a line-protocol v1 connection: the line codec in front of ChatState.
import ChatCore
import LineProtocol
import Reactor

/// A line-protocol session: each line goes through ``LineParser/handle(_:from:state:)``; the few
/// requests the front end answers itself (`/ping`, `/help`) are rendered here.
final class LineSession: Session {
    init(server: Server, connection: Connection, id: ClientID) {
        super.init(server: server, connection: connection, id: id, maxLineLength: server.options.maxLine)
    }

    override func handle(line: UnsafeRawBufferPointer) {
        if let reply = LineParser.handle(line, from: id, state: server.state) {
            server.delivery.reply(to: self) { LineEncoder.encode(reply, into: &$0) }
        }
    }

    override func lineTooLong() {
        server.state.report(.lineTooLong(limit: server.options.maxLine), to: id)
    }

    override func farewell(_ error: ChatError?, bye reason: String?) {
        server.delivery.reply(to: self) { buffer in
            if let error { LineEncoder.encode(.error(error), into: &buffer) }
            if let reason {
                var reason = reason
                reason.withUTF8 { LineEncoder.encode(.bye(reason: UnsafeRawBufferPointer($0)), into: &buffer) }
            }
        }
    }
}
