// RedisReplyQueue: the callbacks of commands awaiting replies, in the order the commands left.

import RESP

/// A FIFO of reply callbacks: a ring buffer that grows by doubling and never shrinks, so a steady
/// pipeline pushes and pops without allocating. Redis answers commands in order, so the reply at
/// the head of the stream belongs to the callback at the head of the queue.
struct RedisReplyQueue {
    typealias Callback = (Result<RESPReply, RedisError>) -> Void

    private var slots: [Callback?] = Array(repeating: nil, count: 64)
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { self.count == 0 }

    /// Appends a command's callback (nil for a command whose reply nobody wants).
    mutating func push(_ callback: Callback?) {
        if self.count == self.slots.count { self.grow() }
        self.slots[(self.head + self.count) & (self.slots.count - 1)] = callback
        self.count += 1
    }

    /// Removes and returns the oldest entry; `nil` when empty, `.some(nil)` for a command whose
    /// reply nobody wants.
    mutating func pop() -> Callback?? {
        guard self.count > 0 else { return nil }
        let callback = self.slots[self.head]
        self.slots[self.head] = nil
        self.head = (self.head + 1) & (self.slots.count - 1)
        self.count -= 1
        return .some(callback)
    }

    private mutating func grow() {
        var grown: [Callback?] = Array(repeating: nil, count: self.slots.count * 2)
        for i in 0..<self.count { grown[i] = self.slots[(self.head + i) & (self.slots.count - 1)] }
        self.slots = grown
        self.head = 0
    }
}
