// IRCSession: an IRC connection: the IRC front end in front of ChatState, with a registration timeout.
import ChatCore
import Codec
import IRCFrontEnd
import Reactor

/// An IRC session: each line goes to its ``IRCConnection``, which writes its own replies through
/// this session (``IRCOutput``) and hands commands to ChatState. Over TCP or a Unix socket; over
/// WebSocket it is a ``WebIRCSession``.
class IRCSession: Session, IRCOutput {
    private(set) var front: IRCConnection!
    private var registrationTimer: Reactor.Timer?

    init(server: Server, connection: Connection, id: ClientID, host: String) {
        super.init(server: server, connection: connection, id: id, maxLineLength: IRCConnection.maxLineLength)
        self.front = IRCConnection(
            id: id, state: server.state, output: self, encoder: server.delivery.ircEncoder,
            directory: server.ircDirectory, host: host)
        let timeout = server.ircConfig.registrationTimeoutMilliseconds
        self.registrationTimer = connection.reactor.schedule(afterMilliseconds: timeout) { [unowned self] in
            guard !self.front.isRegistered, self.connection.isOpen else { return }
            self.ending = .idleTimeout
            self.server.refusals.idleTimeout &+= 1
            self.write { buffer in
                IRCEventEncoder.closing("Registration timed out", into: &buffer)
            }
            self.hangUp()
        }
    }

    override func handle(line: UnsafeRawBufferPointer) {
        self.front.handle(line: line)
        if self.front.isRegistered, let timer = self.registrationTimer {
            timer.cancel()
            self.registrationTimer = nil
        }
    }

    override func lineTooLong() {
        self.front.lineTooLong()
    }

    override func farewell(_ error: ChatError?, bye reason: String?) {
        self.write { buffer in
            if let error {
                self.server.delivery.ircEncoder.encode(.error(error), tagged: false, recipient: self.id, into: &buffer)
            } else if let reason {
                IRCEventEncoder.closing(reason, into: &buffer)
            }
        }
    }

    override func closed() {
        self.registrationTimer?.cancel()
        self.front.closed()
    }

    // MARK: IRCOutput

    func write(_ body: (inout EncodeBuffer) -> Void) {
        self.server.delivery.reply(to: self, body)
    }

    /// `encoding` is one of ``FrontEnd/ircEncodings``, which the IRC front end chooses among.
    func setEncoding(_ encoding: Encoding) {
        self.server.state.setEncoding(self.id, self.transportEncoding(encoding))
    }

    /// The partition of this session's transport for the IRC front end's `encoding`.
    func transportEncoding(_ encoding: Encoding) -> Encoding { encoding }

    func close() {
        self.ending = .quit
        self.hangUp()
    }
}
