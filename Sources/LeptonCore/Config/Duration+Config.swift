extension Duration {
    /// The units a configuration duration may use, with their length in nanoseconds.
    static let configUnits: [(name: String, nanoseconds: Int64)] = [
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    /// Parses a configuration duration: a non-negative decimal number followed by one unit, e.g. `250ms`, `1s`,
    /// `1.5s`, `2m`, `1h`, `500us`, `100ns`.
    ///
    /// Units are `ns`, `us` (or `µs`), `ms`, `s`, `m` and `h`. The value must be a whole number of nanoseconds
    /// (`1.5ns` is rejected) and fit in 64 bits of nanoseconds (about 292 years).
    ///
    /// - Throws: ``ConfigValueError`` naming what is wrong (negative, missing unit, unknown unit, not a number).
    public init(configString text: String) throws(ConfigValueError) {
        let example = "expected a duration like 1s or 250ms"
        let value = text.trimmingWhitespace
        if value.isEmpty {
            throw ConfigValueError("empty duration; \(example)")
        }
        if value.first == "-" {
            throw ConfigValueError("negative duration '\(value)' is not allowed")
        }
        let (number, unit) = ConfigQuantity.split(value)
        if number.isEmpty {
            throw ConfigValueError("'\(value)' is not a duration; \(example)")
        }
        if unit.isEmpty {
            throw ConfigValueError("missing unit in '\(value)'; \(example) (units: ns, us, ms, s, m, h, d)")
        }
        guard let nanosecondsPerUnit = Self.configUnits.first(where: { $0.name == unit })?.nanoseconds else {
            throw ConfigValueError("unknown unit '\(unit)' in '\(value)'; expected one of: ns, us, ms, s, m, h, d")
        }
        switch ConfigQuantity.scale(number, by: nanosecondsPerUnit) {
        case .success(let nanoseconds):
            self = .nanoseconds(nanoseconds)
        case .failure(.malformed):
            throw ConfigValueError("'\(value)' is not a duration; \(example)")
        case .failure(.overflow):
            throw ConfigValueError("duration '\(value)' is too large")
        case .failure(.notWhole):
            throw ConfigValueError("duration '\(value)' is more precise than a nanosecond")
        }
    }

    /// This duration in the configuration syntax, using the largest unit that represents it exactly
    /// (`.milliseconds(1500)` → `1500ms`, `.seconds(60)` → `1m`, `.zero` → `0s`).
    public var configString: String {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, seconds >= 0, attoseconds >= 0 else { return "\(self)" }
        let nanoseconds = scaled + attoseconds / 1_000_000_000
        if nanoseconds == 0 { return "0s" }
        for (name, length) in Self.configUnits.reversed() where name != "µs" && nanoseconds % length == 0 {
            return "\(nanoseconds / length)\(name)"
        }
        return "\(nanoseconds)ns"
    }
}
