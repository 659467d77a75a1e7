// Client side: nonblocking connect with a timeout, on the same loop as everything else.

/// An outgoing connect in progress: the completion and its timeout.
final class ConnectAttempt {
    private var completion: ((Result<Connection, ReactorError>) -> Void)?
    var timer: Reactor.Timer?

    init(completion: @escaping (Result<Connection, ReactorError>) -> Void) {
        self.completion = completion
    }

    func succeed(_ connection: Connection) {
        timer?.cancel()
        let completion = self.completion
        self.completion = nil
        completion?(.success(connection))
    }

    func fail(_ reason: CloseReason) {
        timer?.cancel()
        let completion = self.completion
        self.completion = nil
        let error: ReactorError
        switch reason {
        case .error(let e): error = e
        case .outputLimitExceeded, .slowConsumerTimedOut, .local, .peerClosed, .reset: error = .closed
        }
        completion?(.failure(error))
    }
}

extension Connection {
    /// The socket became writable while connecting: SO_ERROR says whether the connect worked.
    func finishConnect() {
        let error = Posix.socketError(fd)
        guard error == 0 else {
            close(reason: .error(.system("connect", error)))
            return
        }
        guard let attempt = reactor.takeConnectAttempt(for: self) else { return }
        state = .open
        Posix.setNoDelay(fd)  // harmlessly refused on Unix-domain sockets
        reactor.reregister(self, interest: output.isEmpty ? .readable : [.readable, .writable])
        attempt.succeed(self)
    }
}

extension Reactor {
    /// The attempt of a connection still connecting, taken out of ``connectAttempts``: it is
    /// called only once.
    func takeConnectAttempt(for connection: Connection) -> ConnectAttempt? {
        connectAttempts.removeValue(forKey: ObjectIdentifier(connection))
    }

    /// Connects to `address` without blocking and calls `completion` on the loop thread with the
    /// open connection, or with the error (refused, unreachable, ``ReactorError/connectTimeout``).
    ///
    /// The completion is never called from inside this method. Set the connection's
    /// ``Connection/handler`` in the completion; bytes written before that are not lost.
    public func connect(to address: SocketAddress, timeoutMilliseconds: Int = 5000,
                        _ completion: @escaping (Result<Connection, ReactorError>) -> Void)
    {
        let fd: Int32
        do {
            fd = try Posix.socket(domain: address.family)
        } catch {
            runLater { completion(.failure(error)) }
            return
        }
        let connection = Connection(reactor: self, fd: fd, state: .connecting)
        let attempt = ConnectAttempt(completion: completion)
        connectAttempts[ObjectIdentifier(connection)] = attempt
        do {
            let result = try address.withSockAddr { (pointer, length) throws(ReactorError) in
                try Posix.connect(fd, pointer, length)
            }
            try register(connection, interest: .writable)
            if case .processed = result {
                // Connected at once (common for Unix sockets): still report from the loop.
                runLater { connection.finishConnect() }
            } else if timeoutMilliseconds > 0 {
                // unowned, not weak: a weak reference gives the connection a side table, which puts
                // every later retain and release of it on the slow path. The timer cannot outlive
                // the connection: success and close both cancel it.
                attempt.timer = schedule(afterMilliseconds: timeoutMilliseconds) { [unowned connection] in
                    connection.close(reason: .error(.connectTimeout))
                }
            }
        } catch {
            // Report the failure from the loop, as promised, with the descriptor released first.
            runLater { connection.close(reason: .error(error)) }
        }
    }
}
