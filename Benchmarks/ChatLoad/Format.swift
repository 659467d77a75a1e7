// Format: number, duration and size formatting for the human summary and progress lines,
// without Foundation.

/// Number formatting without Foundation.
enum Format {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let fraction = String(scaled % Int64(scale))
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// An integer-rounded value with thousands separators: 1,234,567.
    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let digits = String(Int64(abs(value).rounded()))
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A compact rate such as 1.23M or 45.6k.
    static func number(_ value: Double) -> String {
        if value >= 1e6 { return self.fixed(value / 1e6, 2) + "M" }
        if value >= 1e4 { return self.fixed(value / 1e3, 1) + "k" }
        if value >= 100 || value == value.rounded() { return self.fixed(value, 0) }
        return self.fixed(value, 2)
    }

    /// A latency in the unit that reads best.
    static func duration(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds)
        if value < 1e6 { return self.fixed(value / 1e3, 0) + " µs" }
        if value < 1e9 { return self.fixed(value / 1e6, 2) + " ms" }
        return self.fixed(value / 1e9, 2) + " s"
    }

    static func mebibytes(_ bytes: Int) -> String {
        self.fixed(Double(bytes) / 1_048_576, 1) + " MiB"
    }
}
