import LeptonCore

/// Turns a source's events into the records it ships: through its processor chain, then one record per field.
/// Counts what it hands on as the source's produced records (the ledger's `produced`).
struct RecordStage {
    let source: String
    private(set) var chain: ProcessorChain
    private let metrics: AgentMetrics?
    private var produced = 0

    init(source: String, chain: ProcessorChain, metrics: AgentMetrics?) {
        self.source = source
        self.chain = chain
        self.metrics = metrics
        metrics?.produced(0, source: source)
    }

    /// The records one event becomes.
    mutating func records(from event: Event, now: Int64) -> [Record] {
        var records: [Record] = []
        if chain.isEmpty {
            event.appendRecords(to: &records)
        } else {
            for output in chain.process(event, now: now) { output.appendRecords(to: &records) }
        }
        produced += records.count
        return records
    }

    /// Records the processors release by `now` (closed aggregate windows).
    mutating func advance(to now: Int64) -> [Record] {
        guard !chain.isEmpty else { return [] }
        return released(chain.advance(to: now))
    }

    /// The `fidelity` ladder's current rung (0 without a ladder).
    var fidelityLevel: Int { chain.fidelityLevel }

    /// Moves the `fidelity` ladder to rung `level`; returns the records the old rung still held.
    mutating func setFidelityLevel(_ level: Int) -> [Record] {
        released(chain.setFidelityLevel(level))
    }

    /// Everything the processors still hold (the source stopped).
    mutating func flush(now: Int64) -> [Record] {
        guard !chain.isEmpty else { return [] }
        return released(chain.flush(now: now))
    }

    /// The records of events the processors released without new input, counted and published.
    private mutating func released(_ events: [Event]) -> [Record] {
        var records: [Record] = []
        for event in events { event.appendRecords(to: &records) }
        produced += records.count
        publish()
        return records
    }

    /// Adds what was counted since the last call to the metrics; returns the per-stage counts.
    @discardableResult
    mutating func publish() -> [StageCounts] {
        if produced > 0 {
            metrics?.produced(produced, source: source)
            produced = 0
        }
        return chain.publish()
    }
}
