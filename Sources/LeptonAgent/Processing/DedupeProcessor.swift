import LeptonCore

/// Drops a value equal to its series' previous value, number or text (`dedupe`), counted as `unchanged`. With
/// `max_silence`, an unchanged value passes once the last value passed is that old by event time.
struct DedupeProcessor: Processor {
    static let reason = "unchanged"

    /// The last value passed for a series.
    struct State {
        var value: FieldValue
        var timestamp: Int64
    }

    /// Nanoseconds; nil means an unchanged value never passes.
    let maxSilence: Int64?
    private(set) var states: [FieldSeries: State] = [:]

    init(_ config: DedupeConfig) {
        maxSilence = config.maxSilence.map { ProcessorTime.nanoseconds($0) }
    }

    /// Whether `value` at `timestamp` passes; updates `state` when it does.
    static func passes(_ value: FieldValue, at timestamp: Int64, state: inout State?, maxSilence: Int64?) -> Bool {
        if let last = state, last.value == value {
            guard let maxSilence, ProcessorTime.elapsed(from: last.timestamp, to: timestamp) >= maxSilence else {
                return false
            }
        }
        state = State(value: value, timestamp: timestamp)
        return true
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        let maxSilence = self.maxSilence
        let kept = event.keepingFields { field in
            let series = FieldSeries(event, field: field.name)
            if Self.passes(field.value, at: event.timestamp, state: &states[series], maxSilence: maxSilence) {
                return true
            }
            drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
            return false
        }
        if let kept { output.append(kept) }
    }
}
