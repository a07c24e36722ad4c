import AsyncAlgorithms
import LeptonCore
import ServiceLifecycle
import Synchronization

/// What the status page charts over time: every `interval`, the records the collector stored and the records
/// the agents reported producing (their STATS), as rates over the interval; the last `capacity` samples.
public final class StatusHistory: Sendable {
    public struct Sample: Sendable, Hashable {
        /// Nanoseconds since the epoch.
        public var time: Int64
        /// Records stored per second over the interval before `time`.
        public var ingested: Double
        /// Records the agents reported producing per second (the sum over agents of `produced`).
        public var produced: Double
        /// Wire (compressed) and raw bytes per second stored.
        public var compressedBytes: Double
        public var rawBytes: Double
    }

    private struct Totals {
        var time: Int64
        var records: Int64
        var produced: UInt64
        var compressed: Int64
        var raw: Int64
    }

    public let capacity: Int
    private let state = Mutex<(samples: [Sample], last: Totals?)>(([], nil))
    /// Records stored per second by each agent over the last interval, and the counts it was computed from.
    private let agents = Mutex<(rates: [String: Double], stored: [String: Int64], time: Int64)>(([:], [:], 0))

    public var agentRates: [String: Double] { agents.withLock { $0.rates } }

    /// Notes each agent's stored record count now, giving its rate since the last call.
    func sampleAgents(_ stored: [String: Int64], now: Int64) {
        agents.withLock { state in
            if state.time > 0, now > state.time {
                let seconds = Double(now - state.time) / 1e9
                let previous = state.stored
                state.rates = stored.reduce(into: [:]) { rates, entry in
                    rates[entry.key] = Double(entry.value - (previous[entry.key] ?? entry.value)) / seconds
                }
            }
            state.stored = stored
            state.time = now
        }
    }

    public init(capacity: Int = 360) {
        self.capacity = capacity
    }

    public var samples: [Sample] { state.withLock { $0.samples } }

    /// Takes one sample from the totals now.
    func sample(now: Int64, ingest: IngestTotals, reports: AgentReports) {
        let (records, compressed, raw) = ingest.current
        let produced = reports.latest.values.reduce(UInt64(0)) { total, report in
            report.stats.sources.reduce(total) { $0 &+ $1.produced }
        }
        let totals = Totals(time: now, records: records, produced: produced, compressed: compressed, raw: raw)
        state.withLock { state in
            defer { state.last = totals }
            guard let last = state.last, now > last.time else { return }
            let seconds = Double(now - last.time) / 1e9
            // An agent restart resets its `produced`: never a negative rate.
            let producedDelta = produced >= last.produced ? Double(produced - last.produced) : 0
            state.samples.append(
                Sample(
                    time: now,
                    ingested: Double(records - last.records) / seconds,
                    produced: producedDelta / seconds,
                    compressedBytes: Double(compressed - last.compressed) / seconds,
                    rawBytes: Double(raw - last.raw) / seconds
                )
            )
            if state.samples.count > capacity { state.samples.removeFirst(state.samples.count - capacity) }
        }
    }
}

/// Samples the status history every `interval` until the collector stops.
struct StatusSampler: Service {
    let history: StatusHistory
    let ingest: IngestTotals
    let reports: AgentReports
    let sink: any RecordSink
    var interval: Duration = .seconds(10)

    func run() async throws {
        await sample()
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await sample()
        }
    }

    private func sample() async {
        let now = wallClockNanoseconds()
        history.sample(now: now, ingest: ingest, reports: reports)
        if let agents = try? await sink.agents() {
            history.sampleAgents(Dictionary(agents.map { ($0.id, $0.records) }, uniquingKeysWith: { $1 }), now: now)
        }
    }
}
