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
    // Positions and the capacity are 32-bit: the buffer is part of every connection, and 16 bytes
    // less took `Connection` from 120 bytes to 104 (malloc's 112-byte class instead of 128). A
    // region therefore holds at most ``maxCapacity`` bytes; ``makeRoom(_:pool:)`` refuses more.
    private(set) var base: UnsafeMutableRawPointer?
    private var capacity32: UInt32 = 0
    private var head: UInt32 = 0
    private var tail: UInt32 = 0
    /// How many bytes the last region held at its fullest: the next region starts at a size class
    /// that fits it, so a busy connection does not regrow from the smallest class every iteration.
    private var lastPeak: Int32 = 0

    /// The largest region: 4 GiB less 64 KiB, the largest multiple of the pool's biggest class
    /// that 32 bits count.
    static let maxCapacity = Int(UInt32.max) + 1 - BufferPool.classSizes[BufferPool.classSizes.count - 1]

    @inline(__always) var capacity: Int { Int(capacity32) }
    @inline(__always) var count: Int { Int(tail &- head) }
    @inline(__always) var isEmpty: Bool { tail == head }

    /// The unwritten bytes.
    @inline(__always) var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0 + Int(head)) }, count: count)
    }

    /// True when `n` more bytes fit without ``makeRoom(_:pool:)``.
    @inline(__always)
    func hasRoom(for n: Int) -> Bool { Int(capacity32 &- tail) >= n }

    /// Appends `bytes`; the caller made room first. Split from ``makeRoom(_:pool:)`` so the hot
    /// path does not even load the pool reference (a retain/release pair per message).
    @inline(__always)
    mutating func appendAssumingRoom(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        (base! + Int(tail)).copyMemory(from: bytes.baseAddress!, byteCount: n)
        tail &+= UInt32(truncatingIfNeeded: n)
    }

    /// Compacts or grows so `n` more bytes fit after `tail`; false, changing nothing, if the
    /// region would then be over ``maxCapacity``.
    mutating func makeRoom(_ n: Int, pool: BufferPool) -> Bool {
        let live = count
        guard n <= Self.maxCapacity - live else { return false }
        guard let current = base else {
            let (region, size) = pool.take(atLeast: max(n, Int(lastPeak)))
            base = region
            capacity32 = UInt32(size)
            head = 0
            tail = 0
            return true
        }
        if live + n <= capacity && Int(head) >= capacity / 2 {
            // Compacting is cheap when most of the region was already written out.
            current.copyMemory(from: current + Int(head), byteCount: live)
        } else {
            let (grown, newCapacity) = pool.take(atLeast: min(max(capacity * 2, live + n), Self.maxCapacity))
            grown.copyMemory(from: current + Int(head), byteCount: live)
            pool.give(current, capacity: capacity)
            base = grown
            capacity32 = UInt32(newCapacity)
        }
        head = 0
        tail = UInt32(live)
        return true
    }

    /// Marks `n` bytes written; hands the storage back when nothing is left.
    @inline(__always)
    mutating func consume(_ n: Int, pool: BufferPool) {
        head &+= UInt32(truncatingIfNeeded: n)
        if head == tail { release(pool: pool) }
    }

    /// Frees the storage without a pool, for a reactor's deinit (when the pool is going away too).
    mutating func deallocate() {
        if let base { BufferPool.free(base, capacity: capacity) }
        base = nil
        capacity32 = 0
        head = 0
        tail = 0
    }

    mutating func release(pool: BufferPool) {
        if let base {
            pool.give(base, capacity: capacity)
            lastPeak = Int32(clamping: tail)
        }
        base = nil
        capacity32 = 0
        head = 0
        tail = 0
    }
}

/// Output regions recycled across connections in five size classes (256 B to 64 KiB), so
/// steady-state flushing does not go through malloc.
///
/// A connection starts with the smallest class that fits and moves up as its backlog grows. Small
/// first blocks matter for memory: when a thousand connections each get a short line in the same
/// iteration (a JOIN in a busy lobby), they hold a thousand blocks at once, and the pool keeps
/// them. Each class keeps at most 256 MiB (the working set of a 10,000-recipient fan-out is
/// about 160 MiB of 16 KiB regions; a 16 MiB cap sent most of them back to malloc every
/// iteration); the low-water trim frees whatever then sits unused. Larger regions are plain
/// allocations.
final class BufferPool {
    static let classSizes = [256, 1 << 10, 4 << 10, 16 << 10, 64 << 10]
    static let bytesCachedPerClass = 256 << 20

    // Unchecked: the pool is touched on every flush and every first write after one, only from the
    // reactor's thread and never re-entrantly; the dynamic exclusivity checks on these two arrays
    // were a fifth of the instructions of a low-rate fan-out (callgrind, swift_beginAccess).
    @exclusivity(unchecked) private var free: [[UnsafeMutableRawPointer]] =
        Array(repeating: [], count: BufferPool.classSizes.count)
    /// Per class, the fewest blocks the free list held since the last trim: that many sat unused
    /// for a whole period and can go back to malloc.
    @exclusivity(unchecked) private var lowWater: [Int] = Array(repeating: 0, count: BufferPool.classSizes.count)

    deinit {
        for (index, list) in free.enumerated() {
            for block in list { BufferPool.free(block, capacity: BufferPool.classSizes[index]) }
        }
    }

    /// Regions of 16 KiB and more come straight from mmap, the rest from malloc. Large regions are
    /// what a burst leaves behind (a member of a busy room holding a few milliseconds of presence
    /// lines); from the malloc heap they stayed resident after being freed, wedged between live
    /// objects, while an unmapped region leaves RSS at once.
    static let mappedThreshold = 16 << 10

    @inline(__always)
    static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard size >= mappedThreshold else { return .allocate(byteCount: size, alignment: 16) }
        // Out of address space: as fatal as a failed malloc, which traps in Swift too.
        guard let region = Posix.mapAnonymous(size) else { fatalError("mmap of \(size) bytes failed") }
        return region
    }

    @inline(__always)
    static func free(_ block: UnsafeMutableRawPointer, capacity: Int) {
        if capacity >= mappedThreshold {
            Posix.unmap(block, capacity)
        } else {
            block.deallocate()
        }
    }

    /// A region of at least `n` bytes and its capacity.
    @inline(__always)
    func take(atLeast n: Int) -> (UnsafeMutableRawPointer, Int) {
        for (index, size) in BufferPool.classSizes.enumerated() where n <= size {
            if let block = free[index].popLast() {
                if free[index].count < lowWater[index] { lowWater[index] = free[index].count }
                return (block, size)
            }
            return (BufferPool.allocate(size), size)
        }
        let largest = BufferPool.classSizes[BufferPool.classSizes.count - 1]
        let size = (n + largest - 1) / largest * largest
        return (BufferPool.allocate(size), size)
    }

    @inline(__always)
    func give(_ block: UnsafeMutableRawPointer, capacity: Int) {
        if let index = BufferPool.classSizes.firstIndex(of: capacity),
            free[index].count * capacity < BufferPool.bytesCachedPerClass
        {
            free[index].append(block)
        } else {
            BufferPool.free(block, capacity: capacity)
        }
    }

    /// Frees the blocks that were not needed during the last period and returns how many bytes
    /// that was. A busy server's free lists empty every iteration, so it keeps its working set; an
    /// idle one (after a burst of connections, say) gives it all back within two periods.
    func trim() -> Int {
        var freed = 0
        for index in free.indices {
            let unused = min(lowWater[index], free[index].count)
            for block in free[index][..<unused] { BufferPool.free(block, capacity: BufferPool.classSizes[index]) }
            free[index].removeFirst(unused)
            freed += unused * BufferPool.classSizes[index]
            lowWater[index] = free[index].count
        }
        return freed
    }

    /// Blocks held for reuse, all classes together.
    var cachedBlocks: Int { free.reduce(0) { $0 + $1.count } }
}
