import LeptonCore
import Prometheus
import Synchronization

/// What the agent's fidelity ladders did, kept beside the Prometheus metrics (which cannot be read back) for the
/// STATS frame and the status endpoint: records each ladder reduced, and the levels ``FidelityAdapter`` last
/// published.
final class FidelityLedger: Sendable {
    private struct State {
        var reduced: [String: UInt64] = [:]
        var report: [Message.Stats.SourceFidelity] = []
    }

    private let state = Mutex(State())
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts records a source's ladder summarised or removed (`lepton_agent_fidelity_reduced_total`).
    func add(reduced count: Int, source: String) {
        guard count > 0 else { return }
        state.withLock { $0.reduced[source, default: 0] &+= UInt64(count) }
        registry.counter(
            "lepton_agent_fidelity_reduced_total",
            help: "Records a source's fidelity ladder summarised or removed (a reduction, not a drop), by source.",
            labels: [("source", source)]
        ).increment(by: Int64(count))
    }

    /// Records `source`'s ladder reduced since the agent started.
    func reduced(source: String) -> UInt64 {
        state.withLock { $0.reduced[source] ?? 0 }
    }

    /// The levels of every source with a ladder, sorted by source, as last published.
    var report: [Message.Stats.SourceFidelity] {
        get { state.withLock { $0.report } }
        set { state.withLock { $0.report = newValue } }
    }
}
