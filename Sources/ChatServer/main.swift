// switchboard: the line-chat server executable. Parses flags, binds, runs the reactor, and shuts
// down gracefully on SIGINT/SIGTERM (a second signal exits at once).
import Glibc
import Reactor

func fail(_ message: String, status: Int32) -> Never {
    writeLine("switchboard: \(message)", to: 2)
    exit(status)
}

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .run(let parsed):
    options = parsed
case .exit(let message, let status):
    if status == 0 {
        writeLine(message, to: 1)
        exit(0)
    }
    fail(message, status: status)
}

do {
    let reactor = try Reactor()
    let server = Server(options: options, reactor: reactor)
    for signal in [SIGINT, SIGTERM] {
        try reactor.onSignal(signal) { signal in
            if server.isShuttingDown {
                server.log(.warn, "second signal \(signal): exiting now")
                exit(1)
            }
            server.beginShutdown()
        }
    }
    do {
        try server.start()
    } catch {
        fail(error.message, status: 1)
    }
    if options.printPort, let port = server.tcpPort {
        writeLine("\(port)", to: 1)
    }
    reactor.run()
    server.log(.info, "stopped")
    exit(0)
} catch {
    fail("\(error)", status: 1)
}
