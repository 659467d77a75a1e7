// ProcessStatistics: the process's resident memory and open descriptors, read from /proc, for
// metrics an embedder exports (Prometheus' process_resident_memory_bytes and process_open_fds).
import Glibc

/// Resident memory and open descriptors of this process, read on demand from Linux's /proc.
public enum ProcessStatistics {
    /// Bytes of resident memory (`/proc/self/statm`'s second field, in pages), or `nil` if /proc
    /// cannot be read.
    public static func residentMemoryBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 1) { buffer -> Int? in
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            guard count > 0 else { return nil }
            // "size resident shared ...": skip the first number, read the second.
            var index = 0
            while index < count && buffer[index] != 0x20 { index += 1 }
            index += 1
            var pages = 0
            var digits = 0
            while index < count, buffer[index] >= 0x30, buffer[index] <= 0x39 {
                pages = pages * 10 + Int(buffer[index] - 0x30)
                index += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
    }

    /// Descriptors open in this process (entries of `/proc/self/fd`, less the one reading it), or
    /// `nil` if /proc cannot be read.
    ///
    /// The kernel builds the listing as it is read: at 19,000 descriptors a call costs about
    /// 20 ms (measured), too long for a loop callback that runs often. Count once and follow
    /// changes (``Reactor/registrationCount``) where that matters.
    public static func openDescriptorCount() -> Int? {
        countEntries(of: "/proc/self/fd").map { $0 - 1 }  // less the descriptor reading it
    }

    /// Descriptors open in process `pid` (entries of `/proc/PID/fd`), or `nil` if that process
    /// does not exist or its listing cannot be read (another user's process, without privilege).
    ///
    /// For a supervisor that exports the figures of its workers, and for tests: a process that
    /// is stopped or blocked holds still while it is counted, where this process may have other
    /// threads opening and closing descriptors.
    public static func openDescriptorCount(process pid: pid_t) -> Int? {
        countEntries(of: "/proc/\(pid)/fd")
    }

    private static func countEntries(of path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var entries = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != 0x2E { entries += 1 }  // not "." or ".."
        }
        return entries
    }
}
