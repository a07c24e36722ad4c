import DequeModule
import LeptonCore
import Synchronization

/// The latest STATS report of each agent (its record counts), kept after the agent disconnects, for
/// `/api/v1/agents`.
///
/// Memory is bounded: one report per agent id, and at most `capacity` agents; beyond that, the agents whose latest
/// report is the oldest are forgotten. Reports live in memory only: after a collector restart an agent's report
/// reappears with its next session (the agent reports right after WELCOME, then every 5 s).
public final class AgentReports: Sendable {
    public struct Report: Hashable, Sendable {
        /// Collector wall-clock nanoseconds since the epoch when the report arrived.
        public var receivedAt: Int64
        public var stats: Message.Stats
    }

    /// Agents kept by default.
    public static let defaultCapacity = 100_000
    public let capacity: Int

    private struct Stamped {
        var report: Report
        /// Increases with every report recorded, whoever sent it.
        var generation: UInt64
    }

    private struct Arrival {
        var agent: String
        var generation: UInt64
    }

    private struct State {
        var latest: [String: Stamped] = [:]
        /// Reports in the order they arrived. An arrival whose generation is no longer its agent's latest is stale:
        /// skipped when evicting, and compacted away once stale arrivals outnumber the live ones.
        var arrivals: Deque<Arrival> = []
        var generation: UInt64 = 0
    }

    /// Guards the latest report by agent id and the order in which they arrived.
    private let state = Mutex<State>(State())

    public init(capacity: Int = AgentReports.defaultCapacity) {
        precondition(capacity > 0, "AgentReports needs room for at least one agent")
        self.capacity = capacity
    }

    /// Keeps `stats` as `agent`'s latest report, received at `receivedAt` (wall-clock ns).
    func record(_ stats: Message.Stats, agent: String, receivedAt: Int64 = wallClockNanoseconds()) {
        let capacity = capacity
        state.withLock { state in
            state.generation += 1
            let report = Report(receivedAt: receivedAt, stats: stats)
            state.latest[agent] = Stamped(report: report, generation: state.generation)
            state.arrivals.append(Arrival(agent: agent, generation: state.generation))
            while state.latest.count > capacity, let oldest = state.arrivals.popFirst() {
                if state.latest[oldest.agent]?.generation == oldest.generation {
                    state.latest[oldest.agent] = nil
                }
            }
            if state.arrivals.count > 2 * state.latest.count + 1024 {
                let latest = state.latest
                state.arrivals = Deque(state.arrivals.filter { latest[$0.agent]?.generation == $0.generation })
            }
        }
    }

    /// The latest report of every agent kept.
    public var latest: [String: Report] {
        state.withLock { state in state.latest.mapValues(\.report) }
    }

    /// Number of agents with a report kept.
    public var count: Int {
        state.withLock { $0.latest.count }
    }
}
