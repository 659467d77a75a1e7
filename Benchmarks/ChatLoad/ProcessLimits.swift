// ProcessLimits: the process-wide guards every run sets up before opening a socket: the
// open-files limit (raised to the hard limit, and checked against the connection count) and a
// hard deadline that ends the process even if the event loop were wedged.
import Glibc

/// Process-wide resource limits for a load run.
enum ProcessLimits {
    /// Descriptors kept back for the epoll fd, its eventfd/timerfd/signalfd, stdio and /proc reads.
    static let reservedDescriptors = 100

    /// Raises the soft RLIMIT_NOFILE to the hard limit.
    ///
    /// - Returns: the soft limit now in force.
    @discardableResult
    static func raiseOpenFilesLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                limit = raised
            }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Checks that `connections` sockets fit under the open-files limit with some to spare.
    ///
    /// - Returns: nil if they fit, otherwise a one-line explanation.
    static func checkConnectionBudget(_ connections: Int, limit: Int) -> String? {
        guard connections > limit - self.reservedDescriptors else { return nil }
        return "\(connections) connections need more descriptors than the open-files limit allows "
            + "(\(limit), of which \(self.reservedDescriptors) are kept in reserve); "
            + "use at most \(max(0, limit - self.reservedDescriptors)) or raise `ulimit -Hn`"
    }

    /// Arms SIGALRM (default action: terminate) as the last-resort deadline for the whole run.
    static func armHardDeadline(seconds: Double) {
        _ = alarm(UInt32(min(max(seconds.rounded(.up), 1), Double(UInt32.max))))
    }
}
