@testable import LeptonAgent

extension AgentMetrics {
    /// The value of one series as `/metrics` renders it, e.g.
    /// `lepton_agent_records_dropped_total{source="app",reason="spool_full"}` (labels in the order the agent creates
    /// them); nil when the series does not exist.
    func sample(_ series: String) -> Double? {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Records of `source` dropped for `reason` so far (0 when none were).
    func droppedRecords(source: String, reason: String) -> Double {
        sample("lepton_agent_records_dropped_total{source=\"\(source)\",reason=\"\(reason)\"}") ?? 0
    }

    /// Damaged stretches of `kind` found in the spool so far (0 when none were).
    func spoolDamageCount(kind: String) -> Double {
        sample("lepton_agent_spool_damage_total{kind=\"\(kind)\"}") ?? 0
    }
}
