import LeptonCore

/// How far a processor's output, read back the way its consumer would, is from every original sample.
enum Reconstruction {
    /// One output record as a point.
    struct Point {
        var timestamp: Int64
        var value: Double
    }

    /// The largest |sample − held value| over all samples, where the held value is that of the last record at or
    /// before the sample's time (how deadband output is read: the value holds until the next one).
    static func stepHoldError(of records: [Record], against signal: Signal) throws -> Double {
        let points = try Self.points(of: records)
        var largest = 0.0
        var next = 0
        for (timestamp, value) in zip(signal.timestamps, signal.values) {
            while next < points.count, points[next].timestamp <= timestamp { next += 1 }
            guard next > 0 else { throw BenchmarkFailure("no record at or before the sample at \(timestamp)") }
            largest = max(largest, abs(value - points[next - 1].value))
        }
        return largest
    }

    /// The largest |sample − interpolated value| over all samples, interpolating linearly between the records just
    /// before and just after the sample's time (how swinging-door output is read). After the last record its value
    /// holds.
    static func linearError(of records: [Record], against signal: Signal) throws -> Double {
        let points = try Self.points(of: records)
        guard !points.isEmpty else {
            if signal.count == 0 { return 0 }
            throw BenchmarkFailure("no records out of \(signal.count) samples")
        }
        var largest = 0.0
        var segment = 0
        for (timestamp, value) in zip(signal.timestamps, signal.values) {
            while segment + 1 < points.count, points[segment + 1].timestamp <= timestamp { segment += 1 }
            let start = points[segment]
            guard start.timestamp <= timestamp else {
                throw BenchmarkFailure("no record at or before the sample at \(timestamp)")
            }
            var reconstructed = start.value
            if start.timestamp < timestamp, segment + 1 < points.count {
                let end = points[segment + 1]
                let fraction = Double(timestamp - start.timestamp) / Double(end.timestamp - start.timestamp)
                reconstructed = start.value + (end.value - start.value) * fraction
            }
            largest = max(largest, abs(value - reconstructed))
        }
        return largest
    }

    /// The records as points; throws when one is not a number or they are not in time order.
    private static func points(of records: [Record]) throws -> [Point] {
        var points: [Point] = []
        points.reserveCapacity(records.count)
        for record in records {
            guard let value = record.value.number else {
                throw BenchmarkFailure("a record at \(record.timestamp) is text, not a number")
            }
            if let last = points.last, record.timestamp < last.timestamp {
                throw BenchmarkFailure("records out of time order: \(record.timestamp) after \(last.timestamp)")
            }
            points.append(Point(timestamp: record.timestamp, value: value))
        }
        return points
    }
}
