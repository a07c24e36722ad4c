import Foundation
import LeptonCore
import Logging

/// Reads each path every `interval` and turns its numbers into samples.
///
/// A file holding one number (`/sys/class/thermal/thermal_zone0/temp`) is one stream; `key: value` lines
/// (`/proc/meminfo`) give one stream per key; other whitespace-separated numbers (`/proc/loadavg`) give one
/// stream per position. Stream names: see `streamName(base:field:)`.
struct SensorSource: Source {
    let name: String
    let paths: [String]
    let interval: Duration
    let metrics: AgentMetrics
    let logger: Logger

    func run(into output: RecordOutput) async throws {
        let clock = ContinuousClock()
        var deadline = clock.now
        var failing: Set<String> = []
        metrics.produced(0, source: name)
        let unreadable = metrics.sensorReadErrors(source: name)
        while !Task.isCancelled {
            let now = wallClockNanoseconds()
            var records: [Record] = []
            for path in paths {
                guard let content = try? String(contentsOfFile: path, encoding: .utf8) else {
                    unreadable.increment()
                    if failing.insert(path).inserted {
                        logger.warning("sensor unreadable", metadata: ["source": "\(name)", "path": "\(path)"])
                    }
                    continue
                }
                if failing.remove(path) != nil {
                    logger.info("sensor readable again", metadata: ["source": "\(name)", "path": "\(path)"])
                }
                let base = paths.count == 1 ? name : "\(name).\(Self.sanitize(path))"
                for (field, value) in Self.parse(content) {
                    records.append(
                        Record(stream: Self.streamName(base: base, field: field), timestamp: now, value: .number(value))
                    )
                }
            }
            metrics.produced(records.count, source: name)
            await output.emit(records)
            deadline = deadline.advanced(by: interval)
            if deadline < clock.now { deadline = clock.now }
            try await Task.sleep(until: deadline, clock: clock)
        }
    }

    /// The numbers in a sensor file, each with its field name (nil for a file holding a single number).
    static func parse(_ content: String) -> [(field: String?, value: Double)] {
        let trimmed = content.trimmingWhitespace
        if let single = Double(trimmed) { return [(nil, single)] }
        if trimmed.contains(":") {
            return trimmed.split(separator: "\n").compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                let key = line[..<colon].trimmingWhitespace
                let rest = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard !key.isEmpty, let first = rest.first, let value = Double(first) else { return nil }
                return (sanitize(key), value)
            }
        }
        let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        return fields.enumerated().compactMap { index, token in Double(token).map { (String(index), $0) } }
    }

    /// `base` for a single number, otherwise `base.field`.
    static func streamName(base: String, field: String?) -> String {
        field.map { "\(base).\($0)" } ?? base
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
