import Foundation
import LeptonCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Random-walk sensors written as InfluxDB lines (`s007 value=21.123456 TIME`) to a pipe, 50 times a second, on a
/// thread of its own (a full pipe blocks it, as a `block` source would block a real producer). Every value is kept,
/// as the agent will parse it, to be compared with what the store holds.
final class SensorGenerator: Sendable {
    let sensors: Int
    let rate: Int
    let descriptor: Int32
    private let generated = Mutex<[[(time: Int64, value: Double)]]>([])
    private let stopped = Atomic<Bool>(false)

    init(sensors: Int, rate: Int, descriptor: Int32) {
        self.sensors = sensors
        self.rate = rate
        self.descriptor = descriptor
        generated.withLock { $0 = Array(repeating: [], count: sensors) }
    }

    static func stream(_ sensor: Int) -> String { String(format: "s%03d", sensor) }

    /// Writes until cancelled.
    func run() async {
        await withTaskCancellationHandler {
            try? await NIOThreadPool.singleton.runIfActive { self.write() }
        } onCancel: {
            stopped.store(true, ordering: .relaxed)
        }
    }

    private func write() {
        var random = SystemRandomNumberGenerator()
        var levels = (0..<sensors).map { 20 + Double($0) }
        let step = Int64(1_000_000_000 / rate)
        let origin = wallClockNanoseconds()
        let started = ContinuousClock.now
        var index: Int64 = 0
        var tick = 0
        while !stopped.load(ordering: .relaxed) {
            tick += 1
            // Values due by this tick (50 ticks a second), stamped at their own time.
            let due = Int64(tick) * Int64(rate) / 50
            var text = ""
            var batch: [[(time: Int64, value: Double)]] = Array(repeating: [], count: sensors)
            while index < due {
                let time = origin + index * step
                for sensor in 0..<sensors {
                    levels[sensor] += Double.random(in: -0.1...0.1, using: &random)
                    let printed = String(format: "%.6f", levels[sensor])
                    text += "\(Self.stream(sensor)) value=\(printed) \(time)\n"
                    batch[sensor].append((time, Double(printed)!))
                }
                index += 1
            }
            generated.withLock { values in
                for sensor in 0..<sensors { values[sensor] += batch[sensor] }
            }
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                if written <= 0 { return }
                offset += written
            }
            let next = started + .milliseconds(20 * tick)
            if next > .now { Thread.sleep(forTimeInterval: (next - .now).inSeconds) }
        }
    }

    /// Every value of `stream`, in time order.
    func values(of stream: String) -> [(time: Int64, value: Double)] {
        guard let sensor = (0..<sensors).first(where: { Self.stream($0) == stream }) else { return [] }
        return generated.withLock { $0[sensor] }
    }

    /// How many values were generated.
    var count: Int { generated.withLock { $0.reduce(0) { $0 + $1.count } } }

    /// One value of every sensor, shaped as the store receives them: a throttle of `size × rate` bytes/s takes
    /// the whole demand.
    func sampleRecords() -> [Record] {
        (0..<sensors).map {
            Record(stream: Self.stream($0), timestamp: 1_764_547_200_000_000_000, value: .number(21.123456))
        }
    }
}

/// How well the stored records describe every generated value: each value is classified by the best explanation
/// the store holds for it.
struct ErrorCheck {
    struct Window {
        var min: Double = .infinity
        var max: Double = -.infinity
        var mean: Double = .nan
    }

    struct WindowFit {
        var inside = 0
        var maxFromMean = 0.0
        var spreadSum = 0.0
    }

    var generated = 0
    var stored = 0
    /// A stored raw value at the same time.
    var exact = 0
    /// Within the band of the last raw value stored before it (the deadband rung).
    var withinBand = 0
    var maxBandError = 0.0
    /// Inside the [min, max] of the aggregate window stored for its time, by window label.
    var windows: [String: WindowFit] = [:]
    /// None of the above: a gap (records dropped) or an error beyond the bound.
    var unexplained = 0
    var maxUnexplained = 0.0

    mutating func add(generated values: [(time: Int64, value: Double)], stored records: [Record], band: Double = 0.5) {
        generated += values.count
        stored += records.count
        var plain: [(time: Int64, value: Double)] = []
        var aggregates: [String: [Int64: Window]] = [:]
        var lengths: [String: Int64] = [:]
        for record in records {
            guard let value = record.value.number else { continue }
            guard let stat = record.tags["agg"], let label = record.tags["window"] else {
                plain.append((record.timestamp, value))
                continue
            }
            if lengths[label] == nil, let length = try? Duration(configString: label) {
                lengths[label] =
                    Int64(length.components.seconds) * 1_000_000_000
                    + length.components.attoseconds / 1_000_000_000
            }
            var window = aggregates[label]?[record.timestamp] ?? Window()
            switch stat {
            case "min": window.min = value
            case "max": window.max = value
            case "mean": window.mean = value
            default: break
            }
            aggregates[label, default: [:]][record.timestamp] = window
        }
        plain.sort { $0.time < $1.time }
        let labels = lengths.keys.sorted { lengths[$0]! < lengths[$1]! }
        for (time, value) in values {
            let last = Self.lastIndex(in: plain, atOrBefore: time)
            if let last, plain[last].time == time, plain[last].value == value {
                exact += 1
                continue
            }
            if let (label, window) = Self.window(containing: time, value: value, labels, lengths, aggregates) {
                windows[label, default: WindowFit()].inside += 1
                windows[label]!.maxFromMean = Swift.max(windows[label]!.maxFromMean, abs(value - window.mean))
                windows[label]!.spreadSum += window.max - window.min
                continue
            }
            let error = last.map { abs(plain[$0].value - value) } ?? .infinity
            if error <= band + 1e-9 {
                withinBand += 1
                maxBandError = Swift.max(maxBandError, error)
            } else {
                unexplained += 1
                if error.isFinite { maxUnexplained = Swift.max(maxUnexplained, error) }
            }
        }
    }

    private static func lastIndex(in plain: [(time: Int64, value: Double)], atOrBefore time: Int64) -> Int? {
        let after = plain.partitioningIndex { $0.time > time }
        return after > 0 ? after - 1 : nil
    }

    private static func window(
        containing time: Int64,
        value: Double,
        _ labels: [String],
        _ lengths: [String: Int64],
        _ aggregates: [String: [Int64: Window]]
    ) -> (String, Window)? {
        for label in labels {
            guard let length = lengths[label], length > 0 else { continue }
            let start = time - ((time % length) + length) % length
            if let window = aggregates[label]?[start], window.min <= value, value <= window.max {
                return (label, window)
            }
        }
        return nil
    }

    func report(band: Double) -> [String] {
        let share = { (count: Int) in ReportText.percent(Double(count) / Double(Swift.max(generated, 1))) }
        var rows = [
            ReportText.row(["every generated value, by what the store holds for it", "values", "share", "error"]),
            ReportText.row(["---", "---:", "---:", "---"]),
            ReportText.row(["stored as it was (raw)", ReportText.grouped(exact), share(exact), "0"]),
            ReportText.row([
                "within ±\(band) of the last value stored before it (deadband rung)",
                ReportText.grouped(withinBand), share(withinBand),
                String(format: "max %.3f", maxBandError),
            ]),
        ]
        for label in windows.keys.sorted() {
            let fit = windows[label]!
            rows.append(
                ReportText.row([
                    "inside its \(label) window's stored [min, max] (aggregate rung)",
                    ReportText.grouped(fit.inside), share(fit.inside),
                    String(
                        format: "max %.3f from the window mean; mean window range %.3f",
                        fit.maxFromMean,
                        fit.spreadSum / Double(Swift.max(fit.inside, 1))
                    ),
                ])
            )
        }
        rows.append(
            ReportText.row([
                "none of these (a gap: records dropped)", ReportText.grouped(unexplained), share(unexplained),
                unexplained > 0 ? String(format: "max %.3f", maxUnexplained) : "–",
            ])
        )
        return rows
    }
}
