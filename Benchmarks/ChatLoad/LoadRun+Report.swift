// LoadRun+Report: turns the counters and samples of a finished run into a RunReport.

extension LoadRun {
    /// The report of the run so far (complete once ``run()`` has returned).
    func makeReport() -> RunReport {
        var report = RunReport(
            workload: self.plan.workload, protocolName: self.plan.adapter.name,
            connections: self.plan.connectionCount)
        report.tag = self.options.tag
        report.disconnects = self.disconnects
        report.pongs = self.clients.reduce(0) { $0 + $1.pongsSent }
        report.error = self.failure
        switch self.plan.workload {
        case .fanout:
            report.receivers = self.plan.receiverCount
            report.senders = self.plan.senderCount
            if case .rate(let perSender) = self.plan.pacing {
                report.rate = perSender
            } else {
                report.window = Int(self.window)
            }
        case .rooms:
            report.roomsSize = self.options.roomsSize
            if case .rate(let perSender) = self.plan.pacing { report.rate = perSender }
        case .echo:
            report.pipeline = Int(self.window)
        case .idle:
            break
        }
        if self.plan.workload != .idle { report.payload = self.plan.payload }
        if self.setupEndNanoseconds > 0 {
            report.setupSeconds = Double(self.setupEndNanoseconds - self.setupStartNanoseconds) / 1e9
        }

        if self.plan.workload == .idle {
            // Idle measures setup: server CPU from the first connect to the last ready.
            if let start = self.serverCPUAtStart, let end = self.serverCPUAtEnd {
                report.serverCPUSeconds = end - start
            }
            report.rssBeforeBytes = self.residentBefore
            report.rssAfterBytes = self.residentAfter
            return report
        }

        if self.measureEndNanoseconds > 0 {
            report.warmupSeconds = Double(self.measureStartNanoseconds - self.sendStartNanoseconds) / 1e9
            report.durationSeconds = Double(self.measureEndNanoseconds - self.measureStartNanoseconds) / 1e9
            report.deliveries = self.deliveriesAtEnd - self.deliveriesAtStart
            if let start = self.serverCPUAtStart, let end = self.serverCPUAtEnd {
                report.serverCPUSeconds = end - start
            }
            report.clientCPUSeconds = self.clientCPUAtEnd - self.clientCPUAtStart
            if let latencies = self.latencies {
                report.p50Nanoseconds = latencies.p50
                report.p90Nanoseconds = latencies.p90
                report.p99Nanoseconds = latencies.p99
                report.p999Nanoseconds = latencies.p999
                report.maxNanoseconds = latencies.max
                report.meanNanoseconds = latencies.mean
            }
        }
        if self.sendStartNanoseconds > 0 {
            report.sent = self.sentTotal
            let sent = self.sent
            report.lost = self.tracker.lost { sent[$0] }
            report.duplicates = self.tracker.duplicates
            report.reordered = self.tracker.reordered
            report.foreign = self.tracker.foreign
            report.selfEchoes = self.tracker.selfEchoes
            if self.tracker.selfEchoes > 0 && !self.plan.adapter.echoesToSender && self.failure == nil {
                report.error = "\(self.tracker.selfEchoes) messages were echoed to their own sender"
            }
            if self.measureEndNanoseconds > 0 && report.deliveries == 0 && report.error == nil {
                report.error = "no message was delivered during the measured interval"
            }
        }
        return report
    }
}
