// TestEnvironment: what tests need from the machine: unique temporary paths, the open-files
// limit, and the executables built next to the test bundle.

import Foundation
import Glibc

/// A unique path under /tmp (not created), short enough for a Unix socket address (108 bytes).
public func temporaryPath(_ suffix: String) -> String {
    let unique = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    return "/tmp/sbt-\(getpid())-\(unique).\(suffix)"
}

/// Raises this process's soft open-files limit to the hard limit and returns the new soft limit
/// (0 if it cannot be read). Tests that hold thousands of sockets `#require` a large enough result.
@discardableResult
public func raiseOpenFilesLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

/// The path of an executable product: next to the running test bundle (`.build/<config>/<name>`),
/// else in the package's `.build/debug`.
///
/// - Throws: ``HarnessError`` if neither is an executable, naming the command that builds it.
public func productPath(_ name: String) throws -> String {
    var candidates: [String] = []
    if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append(URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent(name).path)
    }
    // This file is <root>/Tests/TestHarness/TestEnvironment.swift.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/\(name)").path)
    guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
        throw HarnessError("\(name) is not built in \(candidates) (swift build --build-tests builds it)")
    }
    return path
}
