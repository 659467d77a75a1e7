// fanout-model: measures the two ways to queue one broadcast line for many connections, on the
// data structures alone (no sockets), so the choice in Reactor's OutputBuffer rests on a number.
//
//   copy   — each recipient's contiguous output region gets a memcpy of the line (what Reactor does);
//            the flush is one write() of the region.
//   shared — the line is encoded once into a reference-counted chunk; each recipient's queue gets a
//            reference (retain), and the flush builds an iovec array for writev() and releases them.
//
// Usage: fanout-model [RECIPIENTS] [LINES_PER_ITERATION] [LINE_BYTES]   (defaults 1000 16 90)
// Prints nanoseconds per delivery for each strategy, best of 5 rounds.
import Glibc

final class Chunk {
    let bytes: UnsafeMutableRawBufferPointer
    init(_ source: UnsafeRawBufferPointer) {
        bytes = .allocate(byteCount: source.count, alignment: 16)
        bytes.copyMemory(from: source)
    }
    deinit { bytes.deallocate() }
}

struct CopyQueue {
    var base = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16)
    var tail = 0
}

func nanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let recipients = arguments.count > 0 ? arguments[0] : 1000
let linesPerIteration = arguments.count > 1 ? arguments[1] : 16
let lineBytes = arguments.count > 2 ? arguments[2] : 90
let iterations = max(1, 2_000_000 / (recipients * linesPerIteration))
let line = [UInt8](repeating: UInt8(ascii: "x"), count: lineBytes - 1) + [10]
var sink = 0  // keeps the optimizer from discarding the "flush"

@MainActor func runCopy() -> Double {
    var queues = [CopyQueue](repeating: CopyQueue(), count: recipients)
    for i in queues.indices { queues[i] = CopyQueue() }
    let start = nanoseconds()
    line.withUnsafeBytes { bytes in
        for _ in 0..<iterations {
            for _ in 0..<linesPerIteration {
                queues.withUnsafeMutableBufferPointer { queues in
                    for r in 0..<recipients {
                        (queues[r].base + queues[r].tail).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                        queues[r].tail += bytes.count
                    }
                }
            }
            // Flush: one contiguous region per recipient (write(fd, base, tail)).
            for r in 0..<recipients {
                sink &+= Int(queues[r].base.load(fromByteOffset: queues[r].tail - 1, as: UInt8.self))
                queues[r].tail = 0
            }
        }
    }
    let elapsed = nanoseconds() - start
    for q in queues { q.base.deallocate() }
    return Double(elapsed) / Double(iterations * linesPerIteration * recipients)
}

@MainActor func runShared() -> Double {
    var queues = [ContiguousArray<Chunk>](repeating: [], count: recipients)
    for r in 0..<recipients { queues[r].reserveCapacity(linesPerIteration) }
    var iovecs = [iovec](repeating: iovec(), count: linesPerIteration)
    let start = nanoseconds()
    line.withUnsafeBytes { bytes in
        for _ in 0..<iterations {
            for _ in 0..<linesPerIteration {
                let chunk = Chunk(bytes)  // encoded once per message
                for r in 0..<recipients { queues[r].append(chunk) }
            }
            // Flush: an iovec per queued chunk (writev), then drop the references.
            for r in 0..<recipients {
                for (i, chunk) in queues[r].enumerated() {
                    iovecs[i] = iovec(iov_base: chunk.bytes.baseAddress, iov_len: chunk.bytes.count)
                }
                sink &+= iovecs[queues[r].count - 1].iov_len
                queues[r].removeAll(keepingCapacity: true)
            }
        }
    }
    let elapsed = nanoseconds() - start
    return Double(elapsed) / Double(iterations * linesPerIteration * recipients)
}

var bestCopy = Double.infinity
var bestShared = Double.infinity
for _ in 0..<5 {
    bestCopy = min(bestCopy, runCopy())
    bestShared = min(bestShared, runShared())
}
print("recipients \(recipients), \(linesPerIteration) lines per iteration, \(lineBytes)-byte lines")
func fixed2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
print("copy   \(fixed2(bestCopy)) ns per delivery")
print("shared \(fixed2(bestShared)) ns per delivery")
print("shared/copy \(fixed2(bestShared / bestCopy))  (sink \(sink % 10))")
