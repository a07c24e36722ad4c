import LeptonCore

/// Keeps the first of every `every` values of each series (`sample`); the others count as `sampled`.
struct SampleProcessor: Processor {
    static let reason = "sampled"

    let every: Int
    /// Values seen since the last one kept, per series.
    private(set) var counters: [FieldSeries: Int] = [:]

    init(_ config: SampleConfig) {
        every = Swift.max(1, config.every)
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        guard every > 1 else {
            output.append(event)
            return
        }
        let every = self.every
        let kept = event.keepingFields { field in
            let passes = Self.count(&counters[FieldSeries(event, field: field.name), default: 0], every: every)
            if !passes { drops.add(stream: event.streamName(of: field.name), reason: Self.reason) }
            return passes
        }
        if let kept { output.append(kept) }
    }

    /// Whether the value at `counter` is kept; advances the counter.
    private static func count(_ counter: inout Int, every: Int) -> Bool {
        let passes = counter == 0
        counter = (counter + 1) % every
        return passes
    }
}
