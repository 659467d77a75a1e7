// Metrics: the server's counters in Prometheus' text exposition format 0.0.4, for GET /metrics.
import ChatCore
import Codec
import Reactor

/// Connections and requests the server turned away, or dropped, by reason.
struct Refusals {
    /// Connections refused at --max-connections (any front end).
    var serverFull = 0
    /// Lines over the limit, discarded with an error; the client stays.
    var lineTooLong = 0
    /// Clients closed for silence (--idle-timeout) or for not registering in time (IRC).
    var idleTimeout = 0
    /// HTTP requests refused: malformed, oversized or slow heads, and failed WebSocket upgrades.
    var badHandshake = 0
    /// Connections refused because the cluster bus was down (nicks cannot be confirmed).
    var busDown = 0
}

/// Writes Prometheus text exposition (format 0.0.4) straight into an ``EncodeBuffer``: each metric
/// family's `# HELP` and `# TYPE` lines, then its samples. No strings are built per sample, so a
/// scrape costs a few microseconds whatever the number of connections.
struct PrometheusWriter: ~Copyable {
    var buffer: EncodeBuffer

    /// The `# HELP` and `# TYPE` lines of a family.
    mutating func family(_ name: StaticString, _ type: StaticString, _ help: StaticString) {
        buffer.append("# HELP ")
        buffer.append(name)
        buffer.append(byte: ASCII.space)
        buffer.append(help)
        buffer.append("\n# TYPE ")
        buffer.append(name)
        buffer.append(byte: ASCII.space)
        buffer.append(type)
        buffer.append(byte: ASCII.newline)
    }

    /// One sample: `name number`.
    mutating func sample(_ name: StaticString, _ value: Int) {
        self.sample(name, suffix: "", value)
    }

    /// One sample of a series whose name has `suffix` (`_sum`, `_count`).
    mutating func sample(_ name: StaticString, suffix: StaticString, _ value: Int) {
        self.start(name, suffix, nil, "")
        self.appendValue(value)
    }

    /// One sample with a label: `name{label="value"} number`.
    mutating func sample(_ name: StaticString, label: StaticString, _ labelValue: StaticString, _ value: Int) {
        self.start(name, "", label, labelValue)
        self.appendValue(value)
    }

    private mutating func appendValue(_ value: Int) {
        buffer.append(decimal: value)
        buffer.append(byte: ASCII.newline)
    }

    /// A sample whose value is `micros` millionths, written as a decimal fraction (seconds).
    mutating func sample(_ name: StaticString, suffix: StaticString = "", micros: Int) {
        self.start(name, suffix, nil, "")
        self.appendSeconds(micros: micros)
        buffer.append(byte: ASCII.newline)
    }

    /// A histogram bucket sample: `name_bucket{le="0.000050"} count`.
    mutating func bucket(_ name: StaticString, upperBoundMicros: Int?, _ count: Int) {
        buffer.append(name)
        buffer.append("_bucket{le=\"")
        if let micros = upperBoundMicros {
            self.appendSeconds(micros: micros)
        } else {
            buffer.append("+Inf")
        }
        buffer.append("\"} ")
        buffer.append(decimal: count)
        buffer.append(byte: ASCII.newline)
    }

    /// `micros` millionths as seconds with six decimals: `0.000250`.
    private mutating func appendSeconds(micros: Int) {
        buffer.append(decimal: micros / 1_000_000)
        buffer.append(byte: 0x2E)
        var fraction = micros % 1_000_000
        var divisor = 100_000
        for _ in 0..<6 {
            buffer.append(byte: UInt8(0x30 + fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }

    private mutating func start(_ name: StaticString, _ suffix: StaticString, _ label: StaticString?, _ value: StaticString) {
        buffer.append(name)
        buffer.append(suffix)
        if let label {
            buffer.append(byte: 0x7B)
            buffer.append(label)
            buffer.append("=\"")
            buffer.append(value)
            buffer.append("\"}")
        }
        buffer.append(byte: ASCII.space)
    }
}

extension Server {
    /// Every metric, for one scrape of `/metrics`.
    func writeMetrics(into buffer: inout EncodeBuffer) {
        state.refreshCounters?(&state.counters)
        let counters = state.counters
        var out = PrometheusWriter(buffer: EncodeBuffer(capacity: 1))
        swap(&out.buffer, &buffer)
        defer { swap(&out.buffer, &buffer) }

        out.family("switchboard_connections", "gauge", "Clients connected now, by front end.")
        out.sample("switchboard_connections", label: "frontend", "line", connectionsByFrontEnd[0])
        out.sample("switchboard_connections", label: "frontend", "irc", connectionsByFrontEnd[1])
        out.sample("switchboard_connections", label: "frontend", "websocket", connectionsByFrontEnd[2])
        out.family("switchboard_registered_clients", "gauge", "Clients that completed registration (have a nick).")
        out.sample("switchboard_registered_clients", state.admittedCount)
        out.family("switchboard_registrations_total", "counter", "Clients that completed registration since start.")
        out.sample("switchboard_registrations_total", counters.registrations)
        out.family("switchboard_rooms", "gauge", "Rooms (channels) that exist now.")
        out.sample("switchboard_rooms", state.roomCount)
        out.family("switchboard_messages_in_total", "counter", "Chat messages accepted: to rooms and private.")
        out.sample("switchboard_messages_in_total", counters.messagesIn)
        out.family("switchboard_deliveries_out_total", "counter", "Chat messages delivered to recipients.")
        out.sample("switchboard_deliveries_out_total", counters.deliveriesOut)
        out.family("switchboard_bytes_in_total", "counter", "Bytes read from clients.")
        out.sample("switchboard_bytes_in_total", counters.bytesIn)
        out.family("switchboard_bytes_out_total", "counter", "Bytes queued for clients.")
        out.sample("switchboard_bytes_out_total", counters.bytesOut)

        out.family("switchboard_refusals_total", "counter", "Clients, lines and requests refused or dropped, by reason.")
        out.sample("switchboard_refusals_total", label: "reason", "server_full", refusals.serverFull)
        out.sample("switchboard_refusals_total", label: "reason", "slow_consumer", counters.slowConsumerDrops)
        out.sample("switchboard_refusals_total", label: "reason", "line_too_long", refusals.lineTooLong)
        out.sample("switchboard_refusals_total", label: "reason", "idle_timeout", refusals.idleTimeout)
        out.sample("switchboard_refusals_total", label: "reason", "bad_handshake", refusals.badHandshake)
        out.sample("switchboard_refusals_total", label: "reason", "bus_down", refusals.busDown)

        out.family("switchboard_output_queued_bytes", "gauge", "Output queued for all clients, not yet sent.")
        out.sample("switchboard_output_queued_bytes", counters.outputQueuedBytes)
        out.family("switchboard_output_budget_pauses_total", "counter",
            "Times all queued output passed --max-total-outbuf and the heaviest clients were paused.")
        out.sample("switchboard_output_budget_pauses_total", counters.outputBudgetPauses)

        let loop = reactor.loopStatistics
        out.family("switchboard_loop_iterations_total", "counter", "Event loop iterations.")
        out.sample("switchboard_loop_iterations_total", reactor.iterations)
        out.family("switchboard_loop_iteration_seconds", "histogram",
            "Time each event loop iteration spent working (waiting for events excluded).")
        var cumulative = 0
        for (index, bound) in LoopStatistics.bucketBoundsMicroseconds.enumerated() {
            cumulative += loop.bucketCounts[index]
            out.bucket("switchboard_loop_iteration_seconds", upperBoundMicros: bound, cumulative)
        }
        out.bucket("switchboard_loop_iteration_seconds", upperBoundMicros: nil, loop.count)
        out.sample("switchboard_loop_iteration_seconds", suffix: "_sum", micros: loop.totalMicroseconds)
        out.sample("switchboard_loop_iteration_seconds", suffix: "_count", loop.count)
        out.family("switchboard_loop_iteration_max_seconds", "gauge", "The longest event loop iteration since start.")
        out.sample("switchboard_loop_iteration_max_seconds", micros: loop.maxMicroseconds)
        out.family("switchboard_loop_iteration_on_cpu_max_seconds", "gauge",
            "The longest event loop iteration since start counting only the time its thread ran (other processes' and a VM host's time left out).")
        out.sample("switchboard_loop_iteration_on_cpu_max_seconds", micros: loop.maxOnCPUMicroseconds)

        if let cluster {
            let bus = cluster.counters
            let redis = cluster.commands.statistics
            out.family("switchboard_bus_connected", "gauge", "Whether both Redis connections of the cluster bus are up (1) or not (0).")
            out.sample("switchboard_bus_connected", cluster.commands.state == .ready && cluster.subscriber.state == .ready ? 1 : 0)
            out.family("switchboard_bus_published_total", "counter", "Messages this node published on the bus.")
            out.sample("switchboard_bus_published_total", bus.published)
            out.family("switchboard_bus_received_total", "counter", "Messages this node received from the bus (its own echoes included).")
            out.sample("switchboard_bus_received_total", bus.received)
            out.family("switchboard_bus_dropped_total", "counter", "Bus messages and commands dropped, by reason.")
            out.sample("switchboard_bus_dropped_total", label: "reason", "redis_down", redis.droppedNotConnected)
            out.sample("switchboard_bus_dropped_total", label: "reason", "output_cap", redis.droppedOutputLimit)
            out.sample("switchboard_bus_dropped_total", label: "reason", "too_many_pending", redis.droppedTooManyPending)
            out.sample("switchboard_bus_dropped_total", label: "reason", "in_flight_at_disconnect", redis.failedInFlight)
            out.sample("switchboard_bus_dropped_total", label: "reason", "duplicate", bus.duplicates)
            out.sample("switchboard_bus_dropped_total", label: "reason", "malformed", bus.malformed)
            out.family("switchboard_bus_gaps_total", "counter", "Gaps in another node's sequence on a channel (each resyncs the room).")
            out.sample("switchboard_bus_gaps_total", bus.gaps)
            out.family("switchboard_bus_missed_total", "counter", "Messages those gaps skipped: chat lines, and the rest (joins, parts, member lists).")
            out.sample("switchboard_bus_missed_total", label: "kind", "line", bus.missed)
            out.sample("switchboard_bus_missed_total", label: "kind", "control", bus.missedControl)
            out.family("switchboard_bus_reconnects_total", "counter", "Redis connections made again after a loss (commands and subscriptions).")
            out.sample("switchboard_bus_reconnects_total", max(0, redis.connects - 1) + max(0, cluster.subscriber.statistics.connects - 1))
            out.family("switchboard_bus_subscriptions", "gauge", "Channels subscribed now.")
            out.sample("switchboard_bus_subscriptions", cluster.subscriber.subscribedCount)
            out.family("switchboard_bus_remote_clients", "gauge", "Clients of other nodes known here (sharing a room with this node's).")
            out.sample("switchboard_bus_remote_clients", cluster.ghostCount)
            out.family("switchboard_bus_nick_conflicts_total", "counter", "Nicks claimed by two nodes at once; the later claim lost.")
            out.sample("switchboard_bus_nick_conflicts_total", bus.nickConflicts)
            out.family("switchboard_bus_nodes_reaped_total", "counter", "Dead nodes whose clients this node removed for everyone.")
            out.sample("switchboard_bus_nodes_reaped_total", bus.reapedNodes)
            out.family("switchboard_bus_joins_held_total", "counter",
                "First joins of a room held until the nodes following it answered (outcome: answered, or gave up after 1 s).")
            out.sample("switchboard_bus_joins_held_total", label: "outcome", "answered", bus.joinsHeld - bus.joinsHeldTimedOut)
            out.sample("switchboard_bus_joins_held_total", label: "outcome", "timed_out", bus.joinsHeldTimedOut)
            out.family("switchboard_bus_private_lookups_total", "counter",
                "Private lines to nicks this node did not know, looked up in Redis (outcome: sent to the node holding it, or absent).")
            out.sample("switchboard_bus_private_lookups_total", label: "outcome", "sent", bus.privateLookupsSent)
            out.sample("switchboard_bus_private_lookups_total", label: "outcome", "absent", bus.privateLookupsAbsent)
            out.family("switchboard_bus_room_states_adopted_total", "counter",
                "Rooms whose whole state came from another node (this node's was of a younger room, or behind).")
            out.sample("switchboard_bus_room_states_adopted_total", bus.statesAdopted)
            out.family("switchboard_bus_changes_reapplied_total", "counter",
                "Own topic and mode changes applied again because another node's came in between (the channel's order wins).")
            out.sample("switchboard_bus_changes_reapplied_total", bus.changesReapplied)
        }
        if let rss = ProcessStatistics.residentMemoryBytes() {
            out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
            out.sample("process_resident_memory_bytes", rss)
        }
        if let baseline = descriptorBaseline {
            out.family("process_open_fds", "gauge",
                "Number of open file descriptors (counted in /proc at start, then followed through the event loop).")
            out.sample("process_open_fds", baseline + reactor.registrationCount)
        }
    }
}
