/// Reads the numbers out of a sensor file, each with its field name (nil for a file holding one number).
///
/// | content | fields |
/// |---|---|
/// | one number (`/sys/.../temp`: `41250`) | the value itself |
/// | `/proc/net/dev` (header with `Inter-\|`) | `IFACE.rx_bytes` … `IFACE.tx_compressed` |
/// | `/proc/stat` (`cpu` lines) | `cpu.user` … `cpu.guest_nice`, `cpu0.user` …; other lines their first number (`ctxt`, `intr`) |
/// | `key: value [unit]` lines (`/proc/meminfo`) | `key` |
/// | other whitespace-separated numbers (`/proc/loadavg`) | the position: `0`, `1`, `2`, … |
enum SensorFormat {
    static func parse(_ content: String) -> [(field: String?, value: Double)] {
        let trimmed = content.trimmingWhitespace
        if let single = Double(trimmed) { return [(nil, single)] }
        if trimmed.hasPrefix("Inter-|") { return netDev(trimmed) }
        if trimmed.hasPrefix("cpu ") { return procStat(trimmed) }
        if trimmed.contains(":") { return keyValue(trimmed) }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        return fields.enumerated().compactMap { index, token in Double(token).map { (String(index), $0) } }
    }

    /// The columns of `/proc/net/dev`, receive then transmit.
    static let netDevColumns = [
        "rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed", "rx_multicast",
        "tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls", "tx_carrier", "tx_compressed",
    ]

    /// The columns of a `cpu` line of `/proc/stat`, in clock ticks.
    static let cpuColumns = [
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice",
    ]

    private static func netDev(_ text: Substring) -> [(field: String?, value: Double)] {
        var result: [(field: String?, value: Double)] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":"), !line.contains("|") else { continue }
            let interface = sanitize(line[..<colon].trimmingWhitespace)
            let numbers = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            for (column, token) in zip(netDevColumns, numbers) {
                if let value = Double(token) { result.append(("\(interface).\(column)", value)) }
            }
        }
        return result
    }

    private static func procStat(_ text: Substring) -> [(field: String?, value: Double)] {
        var result: [(field: String?, value: Double)] = []
        for line in text.split(separator: "\n") {
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let key = tokens.first, tokens.count > 1 else { continue }
            if key.hasPrefix("cpu") {
                for (column, token) in zip(cpuColumns, tokens.dropFirst()) {
                    if let value = Double(token) { result.append(("\(key).\(column)", value)) }
                }
            } else if let value = Double(tokens[1]) {
                result.append((sanitize(key), value))
            }
        }
        return result
    }

    private static func keyValue(_ text: Substring) -> [(field: String?, value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = line[..<colon].trimmingWhitespace
            let rest = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard !key.isEmpty, let first = rest.first, let value = Double(first) else { return nil }
            return (sanitize(key), value)
        }
    }

    /// Letters, digits, `_` and `-` kept; `/` becomes `.`; anything else `_`. Leading separators dropped.
    static func sanitize<S: StringProtocol>(_ text: S) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-": result.unicodeScalars.append(scalar)
            case "/": if !result.isEmpty { result.append(".") }
            default: result.append("_")
            }
        }
        return result
    }
}
