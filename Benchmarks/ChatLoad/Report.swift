// Report: the result of one run, printed twice: a short human summary, and one JSON line that
// bench.sh collects (the analogue of redis-benchmark's `--csv` mode). Fields a workload does
// not measure are null, so every line has the same keys.

/// The figures of one run.
struct RunReport {
    var workload: Workload
    var protocolName: String
    var tag: String?
    var connections: Int
    var receivers: Int?
    var senders: Int?
    var window: Int?
    var rate: Double?
    var pipeline: Int?
    var roomsSize: Int?
    var payload: Int?

    var warmupSeconds: Double?
    var durationSeconds: Double?
    var sent: UInt64?
    var deliveries: UInt64?
    var serverCPUSeconds: Double?
    var clientCPUSeconds: Double?

    var p50Nanoseconds: UInt64?
    var p90Nanoseconds: UInt64?
    var p99Nanoseconds: UInt64?
    var p999Nanoseconds: UInt64?
    var maxNanoseconds: UInt64?
    var meanNanoseconds: Double?

    var lost: UInt64?
    var duplicates: UInt64?
    var reordered: UInt64?
    var foreign: UInt64?
    var selfEchoes: UInt64?
    var disconnects: Int = 0
    /// PONGs sent in answer to server PINGs (IRC).
    var pongs: Int = 0

    var setupSeconds: Double?
    var rssBeforeBytes: Int?
    var rssAfterBytes: Int?

    /// Why the run failed, if it did (setup errors, lost connections, wrong deliveries).
    var error: String?

    init(workload: Workload, protocolName: String, connections: Int) {
        self.workload = workload
        self.protocolName = protocolName
        self.connections = connections
    }

    var deliveriesPerSecond: Double? {
        guard let deliveries, let durationSeconds, durationSeconds > 0 else { return nil }
        return Double(deliveries) / durationSeconds
    }

    var deliveriesPerCPUSecond: Double? {
        guard let deliveries, let serverCPUSeconds, serverCPUSeconds > 0 else { return nil }
        return Double(deliveries) / serverCPUSeconds
    }

    /// Server CPU time over wall time (of the measured interval; of setup for idle): 1.0 is one
    /// busy core. Well under 1 means the server waited for the client (see docs/BENCHMARKS.md).
    var serverCPUUtilization: Double? {
        guard let serverCPUSeconds else { return nil }
        let wall = self.workload == .idle ? self.setupSeconds : self.durationSeconds
        guard let wall, wall > 0 else { return nil }
        return serverCPUSeconds / wall
    }

    var setupPerSecond: Double? {
        guard let setupSeconds, setupSeconds > 0 else { return nil }
        return Double(self.connections) / setupSeconds
    }

    var rssPerConnectionBytes: Double? {
        guard let rssBeforeBytes, let rssAfterBytes, self.connections > 0 else { return nil }
        return Double(rssAfterBytes - rssBeforeBytes) / Double(self.connections)
    }

    /// Whether the run is correct: no error, nothing lost, duplicated, reordered or misrouted.
    var isCorrect: Bool {
        self.error == nil && (self.lost ?? 0) == 0 && (self.duplicates ?? 0) == 0 && (self.reordered ?? 0) == 0
            && (self.foreign ?? 0) == 0 && self.disconnects == 0
    }

    /// One JSON object on one line, keys in a fixed order.
    func jsonLine() -> String {
        let isEcho = self.workload == .echo
        var fields: [(String, JSONValue)] = [
            ("workload", .string(self.workload.rawValue)),
            ("protocol", .string(self.protocolName)),
            ("tag", self.tag.map(JSONValue.string) ?? .null),
            ("connections", .int(self.connections)),
            ("receivers", .optionalInt(self.receivers)),
            ("senders", .optionalInt(self.senders)),
            ("window", .optionalInt(self.window)),
            ("rate", .optionalDouble(self.rate)),
            ("pipeline", .optionalInt(self.pipeline)),
            ("rooms_size", .optionalInt(self.roomsSize)),
            ("payload", .optionalInt(self.payload)),
            ("warmup_s", .optionalDouble(self.warmupSeconds)),
            ("duration_s", .optionalDouble(self.durationSeconds)),
            ("sent", .optionalUInt(self.sent)),
            ("deliveries", .optionalUInt(self.deliveries)),
            ("deliveries_per_s", .optionalDouble(self.deliveriesPerSecond)),
            ("server_cpu_s", .optionalDouble(self.serverCPUSeconds)),
            ("server_cpu_util", .optionalDouble(self.serverCPUUtilization)),
            ("deliveries_per_cpu_s", .optionalDouble(self.deliveriesPerCPUSecond)),
            ("requests_per_s", .optionalDouble(isEcho ? self.deliveriesPerSecond : nil)),
            ("requests_per_cpu_s", .optionalDouble(isEcho ? self.deliveriesPerCPUSecond : nil)),
            ("client_cpu_s", .optionalDouble(self.clientCPUSeconds)),
        ]
        fields += [
            ("p50_us", .optionalDouble(self.p50Nanoseconds.map { Double($0) / 1000 })),
            ("p90_us", .optionalDouble(self.p90Nanoseconds.map { Double($0) / 1000 })),
            ("p99_us", .optionalDouble(self.p99Nanoseconds.map { Double($0) / 1000 })),
            ("p999_us", .optionalDouble(self.p999Nanoseconds.map { Double($0) / 1000 })),
            ("max_us", .optionalDouble(self.maxNanoseconds.map { Double($0) / 1000 })),
            ("mean_us", .optionalDouble(self.meanNanoseconds.map { $0 / 1000 })),
            ("lost", .optionalUInt(self.lost)),
            ("duplicates", .optionalUInt(self.duplicates)),
            ("reordered", .optionalUInt(self.reordered)),
            ("foreign", .optionalUInt(self.foreign)),
            ("self_echoes", .optionalUInt(self.selfEchoes)),
            ("disconnects", .int(self.disconnects)),
            ("pongs", .int(self.pongs)),
            ("setup_s", .optionalDouble(self.setupSeconds)),
            ("setup_per_s", .optionalDouble(self.setupPerSecond)),
            ("rss_before_bytes", .optionalInt(self.rssBeforeBytes)),
            ("rss_after_bytes", .optionalInt(self.rssAfterBytes)),
            ("rss_per_conn_bytes", .optionalDouble(self.rssPerConnectionBytes)),
            ("ok", .bool(self.isCorrect)),
            ("error", self.error.map(JSONValue.string) ?? .null),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1.encoded)" }.joined(separator: ",") + "}"
    }

    /// A few aligned lines for people.
    func humanSummary() -> String {
        var lines: [String] = []
        var shape = "\(self.connections) connections"
        switch self.workload {
        case .fanout:
            shape = "\(self.receivers ?? 0) receivers, \(self.senders ?? 0) sender(s), "
            shape += self.rate.map { "\(Format.number($0)) msg/s per sender" } ?? "window \(self.window ?? 0)"
        case .rooms:
            shape += " in rooms of \(self.roomsSize ?? 0), \(Format.number(self.rate ?? 0)) msg/s each"
        case .echo:
            shape += ", pipeline \(self.pipeline ?? 0)"
        case .idle:
            break
        }
        if let payload = self.payload { shape += ", payload \(payload) B" }
        lines.append("chatload \(self.workload.rawValue) over \(self.protocolName): \(shape)")
        if let setupSeconds {
            var line = "  setup      \(self.connections) connections ready in \(Format.fixed(setupSeconds, 3)) s"
            if let perSecond = self.setupPerSecond { line += " (\(Format.grouped(perSecond))/s)" }
            lines.append(line)
        }
        if let perConnection = self.rssPerConnectionBytes, let before = self.rssBeforeBytes,
            let after = self.rssAfterBytes
        {
            let change = "\(Format.mebibytes(before)) -> \(Format.mebibytes(after))"
            lines.append("  memory     server RSS \(change): \(Format.grouped(perConnection)) bytes per connection")
        }
        if let deliveries, let durationSeconds {
            let noun = self.workload == .echo ? "replies" : "deliveries"
            let warmup = Format.fixed(self.warmupSeconds ?? 0, 1)
            let interval = "\(Format.fixed(durationSeconds, 2)) s after \(warmup) s warm-up"
            let rate = Format.grouped(self.deliveriesPerSecond ?? 0)
            lines.append("  measured   \(interval): \(Format.grouped(Double(deliveries))) \(noun) (\(rate)/s)")
        }
        if let cpu = self.serverCPUSeconds {
            var line = "  server CPU \(Format.fixed(cpu, 2)) s"
            if let utilization = self.serverCPUUtilization {
                line += " (\(Format.fixed(utilization * 100, 0))% of a core)"
            }
            if let perCPU = self.deliveriesPerCPUSecond {
                let noun = self.workload == .echo ? "requests" : "deliveries"
                line += " -> \(Format.grouped(perCPU)) \(noun) per CPU-second"
            }
            lines.append(line)
        }
        if let clientCPU = self.clientCPUSeconds, self.durationSeconds != nil {
            lines.append("  client CPU \(Format.fixed(clientCPU, 2)) s (chatload itself)")
        }
        if let p50 = self.p50Nanoseconds {
            let percentiles = [
                ("p50", p50), ("p90", self.p90Nanoseconds ?? 0), ("p99", self.p99Nanoseconds ?? 0),
                ("p99.9", self.p999Nanoseconds ?? 0), ("max", self.maxNanoseconds ?? 0),
            ]
            let figures = percentiles.map { "\($0.0) \(Format.duration($0.1))" }
            lines.append("  latency    " + figures.joined(separator: "  "))
        }
        if self.lost != nil || self.duplicates != nil {
            var line = "  checks     \(self.lost ?? 0) lost, \(self.duplicates ?? 0) duplicated, "
            line += "\(self.reordered ?? 0) reordered"
            if let foreign, foreign > 0 { line += ", \(foreign) from senders outside the room" }
            if let selfEchoes, selfEchoes > 0 { line += ", \(selfEchoes) echoed to their sender (not counted)" }
            lines.append(line)
        }
        if self.disconnects > 0 { lines.append("  disconnects \(self.disconnects) connections closed during the run") }
        lines.append("  result     " + (self.isCorrect ? "OK" : "FAILED" + (self.error.map { ": \($0)" } ?? "")))
        return lines.joined(separator: "\n")
    }
}

/// The few JSON values a report needs.
enum JSONValue {
    case null, bool(Bool), int(Int), uint(UInt64), double(Double), string(String)

    static func optionalInt(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }
    static func optionalUInt(_ value: UInt64?) -> JSONValue { value.map(JSONValue.uint) ?? .null }
    static func optionalDouble(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }

    var encoded: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .double(let value):
            guard value.isFinite else { return "null" }
            let rounded = (value * 1000).rounded() / 1000
            if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
            return "\(rounded)"
        case .string(let value):
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
    }
}
