import LeptonCore
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads the files matching `paths` every `interval` and turns their numbers into samples.
///
/// Patterns are matched again at every read, so a device that appears later is picked up and one that goes
/// away stops being read (each logged once). A file that cannot be read is logged when it starts and stops
/// failing, and counted at every read. Stream names: see ``SensorNaming``; fields: see ``SensorFormat``.
struct SensorSource: Source {
    let name: String
    let config: SensorConfig
    let metrics: AgentMetrics
    let logger: Logger

    func run(into output: EventOutput) async throws {
        let clock = ContinuousClock()
        var deadline = clock.now
        var failing: Set<String> = []
        var matchedBefore: Set<String>?
        var rates = CounterRate()
        let naming = SensorNaming(source: name, patterns: config.paths)
        let unreadable = metrics.sensorReadErrors(source: name)
        let resets = metrics.counterResets(source: name)
        while !Task.isCancelled {
            // Whole milliseconds: a sensor is read far less often, and round timestamps cost nothing to encode.
            let now = wallClockNanoseconds() / 1_000_000 * 1_000_000
            let matches = naming.expand()
            let matchedNow = Set(matches.map(\.path))
            if let matchedBefore { logChanges(from: matchedBefore, to: matchedNow) }
            matchedBefore = matchedNow

            var labels: [String: String] = [:]
            if let labelFrom = config.labelFrom {
                for match in matches {
                    let file = PathText.deletingLastComponent(match.path) + "/" + labelFrom
                    if let label = try? String(contentsOfFile: file, encoding: .utf8), !label.trimmingWhitespace.isEmpty
                    {
                        labels[match.path] = SensorFormat.sanitize(label.trimmingWhitespace)
                    }
                }
            }
            let bases = naming.bases(for: matches, labels: labels)
            var events: [Event] = []
            var streams: Set<String> = []
            for match in matches {
                guard let content = try? String(contentsOfFile: match.path, encoding: .utf8) else {
                    unreadable.increment()
                    if failing.insert(match.path).inserted {
                        logger.warning("sensor unreadable", metadata: ["source": "\(name)", "path": "\(match.path)"])
                    }
                    continue
                }
                if failing.remove(match.path) != nil {
                    logger.info("sensor readable again", metadata: ["source": "\(name)", "path": "\(match.path)"])
                }
                let base = bases[match.path] ?? name
                var fields: [Event.Field] = []
                for (field, raw) in SensorFormat.parse(content) {
                    var value = raw
                    if config.mode == .rate {
                        let stream = field.map { "\(base).\($0)" } ?? base
                        streams.insert(stream)
                        switch rates.update(stream, value: raw, at: now) {
                        case .rate(let rate): value = rate
                        case .baseline: continue
                        case .reset:
                            resets.increment()
                            continue
                        }
                    }
                    fields.append(Event.Field(field ?? Event.valueField, .number(value * config.scale + config.offset)))
                }
                if !fields.isEmpty { events.append(Event(name: base, timestamp: now, fields: fields)) }
            }
            if config.mode == .rate { rates.retain(streams) }
            await output.emit(events)
            deadline = deadline.advanced(by: config.interval)
            if deadline < clock.now { deadline = clock.now }
            try await Task.sleep(until: deadline, clock: clock)
        }
    }

    private func logChanges(from before: Set<String>, to now: Set<String>) {
        for path in now.subtracting(before).sorted() {
            logger.info("sensor file appeared", metadata: ["source": "\(name)", "path": "\(path)"])
        }
        for path in before.subtracting(now).sorted() {
            logger.info("sensor file went away", metadata: ["source": "\(name)", "path": "\(path)"])
        }
    }
}
