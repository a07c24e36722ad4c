import LeptonCore

/// Real values recorded from this machine's `/proc`: CPU user ticks (a counter, `/proc/stat`), the 1-minute load
/// average (`/proc/loadavg`) and MemAvailable in kB (`/proc/meminfo`), read together at a fixed interval with
/// wall-clock timestamps.
struct ProcTrace: Sendable {
    var timestamps: [Int64] = []
    var cpuUserTicks: [Double] = []
    var loadAverage: [Double] = []
    var memAvailableKilobytes: [Double] = []

    /// Records for `duration`, one sample every `interval`; nil when `/proc` cannot be read (not Linux).
    static func record(duration: Duration, interval: Duration) async throws -> ProcTrace? {
        var trace = ProcTrace()
        let clock = ContinuousClock()
        let start = clock.now
        var tick = 0
        while clock.now - start < duration {
            let timestamp = wallClockNanoseconds()
            guard let stat = ProcFile.contents("/proc/stat"), let cpu = parseCPUUserTicks(stat),
                let loadavg = ProcFile.contents("/proc/loadavg"), let load = parseLoadAverage(loadavg),
                let meminfo = ProcFile.contents("/proc/meminfo"), let available = parseMemAvailable(meminfo)
            else { return nil }
            trace.timestamps.append(timestamp)
            trace.cpuUserTicks.append(cpu)
            trace.loadAverage.append(load)
            trace.memAvailableKilobytes.append(available)
            tick += 1
            try await clock.sleep(until: start.advanced(by: interval * tick), tolerance: nil)
        }
        return trace.timestamps.count >= 2 ? trace : nil
    }

    /// The three traces, each repeated to `count` samples: timestamps continue with the recorded intervals,
    /// the counter continues with its recorded increments, the gauges repeat their recorded values.
    func signals(count: Int) -> [Signal] {
        [
            Signal(
                name: "proc cpu user ticks (real)",
                isReal: true,
                timestamps: repeatedTimestamps(count: count),
                values: repeated(cpuUserTicks, count: count, asCounter: true)
            ),
            Signal(
                name: "proc loadavg 1 min (real)",
                isReal: true,
                timestamps: repeatedTimestamps(count: count),
                values: repeated(loadAverage, count: count, asCounter: false)
            ),
            Signal(
                name: "proc MemAvailable kB (real)",
                isReal: true,
                timestamps: repeatedTimestamps(count: count),
                values: repeated(memAvailableKilobytes, count: count, asCounter: false)
            ),
        ]
    }

    var recordedCount: Int { timestamps.count }

    private func repeatedTimestamps(count: Int) -> [Int64] {
        let recorded = timestamps.count
        // At the seam between two repeats: the mean recorded interval.
        let seam = (timestamps[recorded - 1] - timestamps[0]) / Int64(recorded - 1)
        var result = Array(timestamps.prefix(count))
        result.reserveCapacity(count)
        while result.count < count {
            let source = result.count % recorded
            let step = source == 0 ? seam : timestamps[source] - timestamps[source - 1]
            result.append(result[result.count - 1] + step)
        }
        return result
    }

    private func repeated(_ values: [Double], count: Int, asCounter: Bool) -> [Double] {
        let recorded = values.count
        var result = Array(values.prefix(count))
        result.reserveCapacity(count)
        while result.count < count {
            let source = result.count % recorded
            if asCounter {
                let step = source == 0 ? 0 : values[source] - values[source - 1]
                result.append(result[result.count - 1] + step)
            } else {
                result.append(values[source])
            }
        }
        return result
    }

    /// The user field of the aggregate `cpu` line.
    private static func parseCPUUserTicks(_ stat: String) -> Double? {
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ")
        return fields.count > 1 ? Double(fields[1]) : nil
    }

    private static func parseLoadAverage(_ loadavg: String) -> Double? {
        loadavg.split(separator: " ").first.flatMap { Double($0) }
    }

    private static func parseMemAvailable(_ meminfo: String) -> Double? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) else {
            return nil
        }
        let fields = line.split(separator: " ")
        return fields.count > 1 ? Double(fields[1]) : nil
    }
}
