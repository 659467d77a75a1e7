// RESPPubSub: pub/sub pushes recognised in a reply: messages, pattern messages, and the
// confirmations of subscribe and unsubscribe.

/// Which subscription command a confirmation answers.
public enum RESPSubscriptionKind: Sendable, Hashable {
    case subscribe, unsubscribe, psubscribe, punsubscribe, ssubscribe, sunsubscribe

    /// Whether the confirmation adds a subscription (rather than removing one).
    public var isSubscribe: Bool { self == .subscribe || self == .psubscribe || self == .ssubscribe }
}

/// A pub/sub push from the server, as ``RESPReply/pubSubEvent`` recognises it. The bytes are views
/// into the reply, valid only during the decoder's callback.
///
/// In RESP2 a push is an array whose first element names it (`message`, `subscribe`, …); in RESP3
/// the same array arrives as a push (`>`). Both are recognised.
public enum RESPPubSubEvent {
    /// `["message", channel, payload]`: a message published to a channel we subscribed to.
    case message(channel: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer)
    /// `["pmessage", pattern, channel, payload]`: a message matching a pattern subscription.
    case patternMessage(pattern: UnsafeRawBufferPointer, channel: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer)
    /// `["smessage", channel, payload]` (Redis 7 sharded pub/sub).
    case shardMessage(channel: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer)
    /// `[kind, channel, count]`: a (un)subscription took effect; `count` is how many subscriptions
    /// the connection now has. `channel` is empty with `isNull` for an unsubscribe from nothing.
    case confirmation(kind: RESPSubscriptionKind, channel: UnsafeRawBufferPointer, isNull: Bool, count: Int)
    /// `["pong", payload]`: PING's answer on a subscribed connection (RESP2).
    case pong(payload: UnsafeRawBufferPointer)
}

extension RESPReply {
    /// This reply as a pub/sub push, or nil if it is not one (any other reply, or an array whose
    /// shape does not match its first word).
    public var pubSubEvent: RESPPubSubEvent? {
        guard self.kind == .array || self.kind == .push, self.count >= 2, let word = self[0],
            word.kind == .bulkString || word.kind == .simpleString
        else { return nil }
        var elements = self.elements.makeIterator()
        _ = elements.next()
        let second = elements.next()!
        let third = elements.next()
        let fourth = elements.next()
        func isString(_ reply: RESPReply?) -> Bool { reply?.kind == .bulkString || reply?.kind == .simpleString }
        switch word.bytes.count {
        case 7 where word.equalsIgnoringCase("message"):
            guard self.count == 3, isString(second), isString(third) else { return nil }
            return .message(channel: second.bytes, payload: third!.bytes)
        case 8 where word.equalsIgnoringCase("pmessage"):
            guard self.count == 4, isString(second), isString(third), isString(fourth) else { return nil }
            return .patternMessage(pattern: second.bytes, channel: third!.bytes, payload: fourth!.bytes)
        case 8 where word.equalsIgnoringCase("smessage"):
            guard self.count == 3, isString(second), isString(third) else { return nil }
            return .shardMessage(channel: second.bytes, payload: third!.bytes)
        case 4 where word.equalsIgnoringCase("pong"):
            guard self.count == 2, isString(second) else { return nil }
            return .pong(payload: second.bytes)
        default:
            let kind: RESPSubscriptionKind
            if word.equalsIgnoringCase("subscribe") {
                kind = .subscribe
            } else if word.equalsIgnoringCase("unsubscribe") {
                kind = .unsubscribe
            } else if word.equalsIgnoringCase("psubscribe") {
                kind = .psubscribe
            } else if word.equalsIgnoringCase("punsubscribe") {
                kind = .punsubscribe
            } else if word.equalsIgnoringCase("ssubscribe") {
                kind = .ssubscribe
            } else if word.equalsIgnoringCase("sunsubscribe") {
                kind = .sunsubscribe
            } else {
                return nil
            }
            guard self.count == 3, isString(second) || second.isNull, let count = third?.integer,
                third?.kind == .integer
            else { return nil }
            return .confirmation(kind: kind, channel: second.bytes, isNull: second.isNull, count: count)
        }
    }
}
