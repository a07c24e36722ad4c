import LeptonCore

extension Message.Stats {
    /// The agent's reduction level in one line, as `/api/v1/agents` (`reported.reduction_level`) and the status
    /// page show it: `raw` when every source with a ladder is on rung 0 (or none has a ladder); otherwise each
    /// source above rung 0 as `SOURCE: RUNG`, in source-name order, joined with `, `.
    var reductionLevel: String {
        let reduced = fidelity.filter { $0.level > 0 }.sorted { $0.source < $1.source }
        guard !reduced.isEmpty else { return "raw" }
        return reduced.map { "\($0.source): \($0.currentRung)" }.joined(separator: ", ")
    }
}
