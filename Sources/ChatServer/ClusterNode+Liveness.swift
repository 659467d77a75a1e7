// ClusterNode+Liveness: the node's lease, the reaper of dead nodes, the re-assertion of what the
// node has after a reconnect or a lost lease, and the probe that finds a wedged subscription
// (docs/CLUSTER.md, "Liveness", "Redis down", "Redis frozen").
import ChatBus
import ChatCore
import Reactor

extension ClusterNode {
    private static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 2 or 0
        """

    /// Renews the lease. A node whose lease ran out while it was frozen takes it again under a new
    /// epoch (others then see its streams start over), and says again who it has. One whose lease
    /// ran out while it ran on time was not frozen: Redis was (connected, answering nothing) or it
    /// restarted empty. What this node knows is then not stale beyond what the sequence numbers
    /// will show as gaps (and resync), so it keeps its epoch, which lets the others count exactly
    /// what they missed, and only says again who it has, in case a node took it for dead.
    func renewLease(reasserting: Bool = false) {
        guard commands.state == .ready else { return }
        let node = String(decoding: nodeID, as: UTF8.self)
        let epochBefore = epoch
        let sentAt = server.reactor.now
        let ranOnTime = sentAt - lastTickAt < Int64(Self.leaseMilliseconds)
        commands.send(["EVAL", Self.renewScript, "1", "sb:lease:\(node)", String(epoch), String(Self.leaseMilliseconds)]) {
            reply in
            self.lastRenewalAnsweredAt = self.server.reactor.now
            // A slow answer: the other nodes' leases lapsed with this one's.
            self.noteStall(askedAt: sentAt)
            guard case .success(let reply) = reply, let result = reply.integer, result != 1, epochBefore == self.epoch
            else { return }
            if result == 0 {
                self.server.log(.error, "cluster: another process holds node id \(node); not renewing")
                return
            }
            if ranOnTime {
                guard !reasserting else { return }
                self.server.log(.warn, "cluster: lease lapsed while Redis was not answering; taken again under the same epoch")
                self.reassert(renewing: false)
                return
            }
            // The lease had expired: this node was given up for dead (its clients reaped elsewhere),
            // and what it knows of other nodes is stale too. It forgets their clients, takes a new
            // epoch, re-claims its own nicks and asks every room who is there.
            self.epoch = self.freshEpoch()
            let node = String(decoding: self.nodeID, as: UTF8.self)
            self.commands.send(["SET", "sb:lease:\(node)", String(self.epoch), "PX", String(Self.leaseMilliseconds)])
            self.server.log(.warn, "cluster: lease lost (frozen or cut off); rejoining under epoch \(self.epoch)")
            for ghost in Array(self.ghostNodes.keys) { self.remove(ghost, reason: "rejoining the cluster") }
            self.tracker = SequenceTracker()
            self.reassert()
            for key in self.localMembers.keys { self.publish(.sync(room: key), on: self.roomChannel(key)) }
        }
    }

    /// After a reconnect or a new epoch: the node's id, its clients' nicks, and who is in each room
    /// (the rooms a few at a time, see ``reassertQueue``).
    func reassert(renewing: Bool = true) {
        let node = String(decoding: nodeID, as: UTF8.self)
        // The lease before the set of nodes: a reaper must never find this node listed without one.
        if renewing { renewLease(reasserting: true) }
        commands.send(["SADD", "sb:nodes", node])
        reassertQueue = Array(localMembers.keys)
        reassertClaimed.removeAll()
        if reassertTimer == nil { reassertSome() }
    }

    private func reassertSome() {
        reassertTimer = nil
        guard commands.state == .ready else { return }  // The next reconnect starts over.
        for _ in 0..<Self.reassertRoomsPerIteration {
            guard let key = reassertQueue.popLast() else { break }
            guard let name = key.withUnsafeBytes({ state.roomName($0) }) else { continue }
            for id in state.members(of: name) ?? [] where !isGhostID(id) && reassertClaimed.insert(id).inserted {
                if let nick = state.nickName(of: id) { claim(nick, for: id) }
            }
            announceMembers(of: key)
        }
        if reassertQueue.isEmpty {
            reassertClaimed.removeAll()
        } else {
            reassertTimer = server.reactor.schedule(afterMilliseconds: 0) { [unowned self] in self.reassertSome() }
        }
    }

    private static let reapScript = """
        local owner = ARGV[1]
        local fields = redis.call('HGETALL', KEYS[1])
        for i = 1, #fields, 2 do
          if fields[i + 1] == owner then redis.call('HDEL', KEYS[1], fields[i]) end
        end
        redis.call('SREM', KEYS[2], owner)
        return 1
        """

    /// Every second: any node in `sb:nodes` without a lease is dead. One node (whoever sets
    /// `sb:reap:<node>` first) frees its nicks and tells everyone, who forget its clients.
    func reapDeadNodes() {
        guard commands.state == .ready, server.reactor.now >= reapingResumesAt else { return }
        let asked = server.reactor.now
        commands.send(["SMEMBERS", "sb:nodes"]) { reply in
            guard case .success(let reply) = reply, self.mayReap(askedAt: asked) else { return }
            for element in reply.elements {
                let node = Array(element.bytes)
                guard node != self.nodeID else { continue }
                let name = String(decoding: node, as: UTF8.self)
                let asked = self.server.reactor.now
                self.commands.send(["EXISTS", "sb:lease:\(name)"]) { reply in
                    guard case .success(let reply) = reply, reply.integer == 0, self.mayReap(askedAt: asked) else { return }
                    let me = String(decoding: self.nodeID, as: UTF8.self)
                    self.commands.send(["SET", "sb:reap:\(name)", me, "NX", "PX", "10000"]) { reply in
                        guard case .success(let reply) = reply, !reply.isNull, !reply.isError,
                            self.server.reactor.now >= self.reapingResumesAt
                        else { return }
                        self.commands.send(["EVAL", Self.reapScript, "2", "sb:nicks", "sb:nodes", name])
                        self.counters.reapedNodes += 1
                        self.server.log(.warn, "cluster: node \(name) is gone (no lease); its clients leave")
                        self.publish(.nodeDown(node: node), on: Self.globalChannel)
                        self.forgetNode(node)
                    }
                }
            }
        }
    }

    /// Whether a reaper step whose question left at `askedAt` may go on (see ``noteStall(askedAt:)``).
    private func mayReap(askedAt: Int64) -> Bool {
        noteStall(askedAt: askedAt)
        return server.reactor.now >= reapingResumesAt
    }

    /// An answer to a question that left at `askedAt` and took over 2 s means Redis stalled
    /// meanwhile: every lease lapsed with it, and a lease missing now is one its node has not had
    /// the chance to renew yet, so reaping waits a lease period (a question sent just before Redis
    /// froze is answered first when it thaws, before the other nodes' queued renewals).
    private func noteStall(askedAt: Int64) {
        let now = server.reactor.now
        if now - askedAt > 2_000 { reapingResumesAt = max(reapingResumesAt, now + Int64(Self.leaseMilliseconds)) }
    }

    /// A probe through this node's own channel every second; one unanswered for 5 s means the
    /// subscription is wedged (connected, but nothing arrives), so it is reconnected.
    func checkProbe() {
        let now = server.reactor.now
        if let probe, now - probe.sentAt > 5_000, subscriber.state == .ready {
            // Unheard, but Redis has not answered a renewal for as long either: Redis itself is
            // stalled, not the subscription. A new connection would wait behind it the same, and
            // what the old one is about to receive would be lost, so wait for the probe instead.
            if now - lastRenewalAnsweredAt > 2_000 { return }
            counters.probesLost += 1
            server.log(.warn, "cluster: own probe not heard back in 5 s; reconnecting the subscription")
            self.probe = nil
            subscriber.reconnect()
        }
        guard probe == nil, commands.state == .ready, subscriber.state == .ready else { return }
        let token = UInt64.random(in: 1...UInt64(Int64.max), using: &generator)
        probe = (token, now)
        publish(.probe(token: token), on: nodeChannel(nodeID))
    }
}
