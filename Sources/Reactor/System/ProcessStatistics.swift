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
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var entries = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != 0x2E { entries += 1 }  // not "." or ".."
        }
        return entries - 1  // the descriptor reading the directory
    }
}
