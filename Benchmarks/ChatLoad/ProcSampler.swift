// ProcSampler: reads another process's CPU time and resident memory from /proc, and this
// process's own CPU time, so that chatload can report work per server-CPU-second and memory per
// connection. Plain open/read: no Foundation.
import Glibc

/// Samples a process's CPU time (`/proc/PID/stat`) and resident set (`/proc/PID/status`).
///
/// ```swift
/// let server = ProcSampler(pid: 4242)
/// let before = server.cpuSeconds()
/// // ... run ...
/// let used = server.cpuSeconds()! - before!
/// ```
struct ProcSampler {
    /// The processes sampled; figures are their sums (a cluster's nodes and its Redis).
    let pids: [Int32]

    init(pids: [Int32]) {
        self.pids = pids
    }

    init(pid: Int32) {
        self.pids = [pid]
    }

    /// Clock ticks per second, the unit of utime/stime in /proc/PID/stat.
    static let clockTicksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// Whether /proc/PID exists and is readable.
    var isAlive: Bool { self.pids.allSatisfy { Self.readFile("/proc/\($0)/stat") != nil } }

    /// User plus system CPU time consumed so far, in seconds; nil if the process is gone.
    func cpuSeconds() -> Double? {
        var ticks: UInt64 = 0
        for pid in self.pids {
            guard let text = Self.readFile("/proc/\(pid)/stat"), let used = Self.parseCPUTicks(stat: text) else { return nil }
            ticks += used
        }
        return Double(ticks) / Self.clockTicksPerSecond
    }

    /// The resident set size (VmRSS) in bytes; nil if the process is gone.
    func residentBytes() -> Int? {
        var bytes = 0
        for pid in self.pids {
            guard let text = Self.readFile("/proc/\(pid)/status"), let resident = Self.parseVmRSS(status: text) else { return nil }
            bytes += resident
        }
        return bytes
    }

    /// utime + stime in clock ticks from the text of /proc/PID/stat.
    ///
    /// The command name (field 2) is in parentheses and may hold spaces or parentheses, so the
    /// fields are counted from the last `)`: state is field 3, utime 14 and stime 15.
    static func parseCPUTicks(stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else {
            return nil
        }
        return utime + stime
    }

    /// VmRSS in bytes from the text of /proc/PID/status (`VmRSS:     1234 kB`).
    static func parseVmRSS(status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let kilobytes = parts.first.flatMap({ Int($0) }) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// This process's own user plus system CPU time, in seconds.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// Reads a small file whole; nil if it cannot be opened.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
