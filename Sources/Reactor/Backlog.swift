/// A first-in first-out queue taken from in bounded batches: the reactor's close notices and lazy
/// flushes, where a mass event queues thousands and each iteration takes some from the front.
///
/// An array with a head index, so taking is O(1) per element where `Array.removeFirst(n)` moved
/// everything behind the batch (19,000 queued closes at 64 per iteration copied the rest 300 times).
/// The taken front is dropped once it is most of the storage, so a queue that never empties stays
/// bounded by about twice what waits in it.
struct Backlog<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func append(_ element: Element) { storage.append(element) }

    /// The oldest element, removed. One call per element rather than a batch handed to a closure:
    /// what is done with an element (a close handler) may append to this same queue, which must not
    /// be in the middle of an access then.
    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Everything, oldest first, emptying the queue.
    mutating func takeAll() -> ArraySlice<Element> {
        defer {
            storage = []
            head = 0
        }
        return storage[head...]
    }
}
