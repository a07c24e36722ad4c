/// Turns successive reads of a counter into a per-second rate (`mode: rate`), per field. Pure.
///
/// A counter that went down either wrapped or was reset: a drop that a 32-bit (or 64-bit) wrap explains with an
/// increase of less than half the range is taken as a wrap; anything else is a reset (a driver reloaded, a
/// machine rebooted): no rate for that read, the new value is the next baseline.
struct CounterRate {
    /// What one read gives.
    enum Outcome: Equatable {
        case rate(Double)
        /// The first read of a field: only a baseline.
        case baseline
        case reset
    }

    private var previous: [String: (value: Double, time: Int64)] = [:]

    mutating func update(_ key: String, value: Double, at time: Int64) -> Outcome {
        defer { previous[key] = (value, time) }
        guard let last = previous[key], time > last.time else { return .baseline }
        let seconds = Double(time - last.time) / 1e9
        if value >= last.value { return .rate((value - last.value) / seconds) }
        for range in [4_294_967_296.0, 18_446_744_073_709_551_616.0] where last.value < range {
            let increase = range - last.value + value
            if increase < range / 2 { return .rate(increase / seconds) }
        }
        return .reset
    }

    /// Forgets fields no longer read (a device that went away), so a returning device starts with a baseline.
    mutating func retain(_ keys: Set<String>) {
        previous = previous.filter { keys.contains($0.key) }
    }
}
