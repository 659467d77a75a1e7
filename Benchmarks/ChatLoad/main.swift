// chatload: the load generator and benchmark client of Switchboard (and, for comparison, of
// Redis pub/sub). One thread, one Reactor, thousands of client connections.
//
// Exit status: 0 for a correct run, 1 when the run failed or any message was lost, duplicated
// or reordered, 2 for a usage error.
import Glibc

let options: Options
do {
    guard let parsed = try Options.parse(Array(CommandLine.arguments.dropFirst())) else {
        print(Options.usage)
        exit(0)
    }
    options = parsed
} catch {
    StandardError.print("chatload: \(error.message) (see --help)")
    exit(2)
}

let openFilesLimit = ProcessLimits.raiseOpenFilesLimit()
if let problem = ProcessLimits.checkConnectionBudget(options.totalConnections, limit: openFilesLimit) {
    StandardError.print("chatload: \(problem)")
    exit(2)
}
if let pid = options.serverPIDs.first(where: { !ProcSampler(pids: [$0]).isAlive }) {
    StandardError.print("chatload: --server-pid \(pid): no such process (cannot read /proc/\(pid)/stat)")
    exit(2)
}
ProcessLimits.armHardDeadline(seconds: options.hardDeadlineSeconds)

let report: RunReport
do {
    report = try LoadRun(options: options).run()
} catch {
    StandardError.print("chatload: cannot start: \(error)")
    exit(1)
}
if !options.jsonOnly {
    print(report.humanSummary())
}
print(report.jsonLine())
if !report.isCorrect, options.jsonOnly, let message = report.error {
    StandardError.print("chatload: \(message)")
}
exit(report.isCorrect ? 0 : 1)
