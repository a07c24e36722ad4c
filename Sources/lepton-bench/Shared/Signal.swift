import ArgumentParser

/// One numeric stream: timestamps in nanoseconds since the epoch and a value per timestamp.
struct Signal: Sendable {
    /// The row label in the report.
    var name: String
    /// True for values recorded from this machine, false for generated ones.
    var isReal: Bool
    var timestamps: [Int64]
    var values: [Double]

    var count: Int { timestamps.count }

    /// The signal cut into consecutive batches of `size` samples (the last one may be shorter).
    func batches(of size: Int) -> [SignalBatch] {
        stride(from: 0, to: count, by: size).map { start in
            let end = min(start + size, count)
            return SignalBatch(timestamps: Array(timestamps[start..<end]), values: Array(values[start..<end]))
        }
    }
}

/// The unit every measurement works on: what one BATCH frame would carry for one stream.
struct SignalBatch: Sendable {
    var timestamps: [Int64]
    var values: [Double]

    var count: Int { timestamps.count }
}

/// The signals `--signal` can name. `proc` stands for the three traces recorded from `/proc`.
enum SignalKind: String, CaseIterable, Sendable, ExpressibleByArgument {
    case temperature
    case accelerometer
    case power
    case counter
    case flag
    case proc
}
