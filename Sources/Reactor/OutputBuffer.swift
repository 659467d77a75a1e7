// OutputBuffer: a connection's pending output, one contiguous region borrowed from a pool.

/// Pending output as one contiguous byte region, so a flush is a single `write` of
/// `[head, tail)`.
///
/// Storage comes from the reactor's ``BufferPool`` on the first append and goes back when a
/// flush drains it, so an idle connection holds no output memory and the steady state allocates
/// nothing. A message broadcast to many connections is copied into each one's region: for lines
/// of chat size a memcpy is cheaper than retaining and releasing a shared chunk per recipient and
/// lets the flush use `write` rather than `writev` (measured: see docs/BENCHMARKS.md).
struct OutputBuffer {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private var head = 0
    private var tail = 0

    @inline(__always) var count: Int { tail - head }
    @inline(__always) var isEmpty: Bool { tail == head }

    /// The unwritten bytes.
    @inline(__always) var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0 + head) }, count: tail - head)
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer, pool: BufferPool) {
        let n = bytes.count
        guard n > 0 else { return }
        if capacity - tail < n { makeRoom(n, pool: pool) }
        (base! + tail).copyMemory(from: bytes.baseAddress!, byteCount: n)
        tail += n
    }

    /// Compacts or grows so `n` more bytes fit after `tail`.
    private mutating func makeRoom(_ n: Int, pool: BufferPool) {
        if base == nil {
            if n <= BufferPool.blockSize {
                base = pool.take()
                capacity = BufferPool.blockSize
            } else {
                capacity = BufferPool.roundUp(n)
                base = .allocate(byteCount: capacity, alignment: 16)
            }
            head = 0
            tail = 0
            return
        }
        let live = tail - head
        if live + n <= capacity && head >= capacity / 2 {
            // Compacting is cheap when most of the region was already written out.
            base!.copyMemory(from: base! + head, byteCount: live)
        } else {
            let newCapacity = BufferPool.roundUp(max(capacity * 2, live + n))
            let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            grown.copyMemory(from: base! + head, byteCount: live)
            pool.give(base!, capacity: capacity)
            base = grown
            capacity = newCapacity
        }
        head = 0
        tail = live
    }

    /// Marks `n` bytes written; hands the storage back when nothing is left.
    @inline(__always)
    mutating func consume(_ n: Int, pool: BufferPool) {
        head += n
        if head == tail { release(pool: pool) }
    }

    mutating func release(pool: BufferPool) {
        if let base { pool.give(base, capacity: capacity) }
        base = nil
        capacity = 0
        head = 0
        tail = 0
    }
}

/// Fixed-size output blocks recycled across connections, so steady-state flushing does not go
/// through malloc. Larger regions (a consumer with a deep backlog) are plain allocations.
final class BufferPool {
    static let blockSize = 16 * 1024
    /// Blocks kept for reuse at most (16 MiB); beyond that, drained blocks are freed.
    static let maxCached = 1024

    private var free: [UnsafeMutableRawPointer] = []

    init() { free.reserveCapacity(64) }

    deinit { for block in free { block.deallocate() } }

    @inline(__always)
    func take() -> UnsafeMutableRawPointer {
        free.popLast() ?? .allocate(byteCount: BufferPool.blockSize, alignment: 16)
    }

    @inline(__always)
    func give(_ block: UnsafeMutableRawPointer, capacity: Int) {
        if capacity == BufferPool.blockSize && free.count < BufferPool.maxCached {
            free.append(block)
        } else {
            block.deallocate()
        }
    }

    static func roundUp(_ n: Int) -> Int { (n + blockSize - 1) / blockSize * blockSize }

    var cachedBlocks: Int { free.count }
}
