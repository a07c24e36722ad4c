import LeptonCore

/// Drops a numeric value that stays within the band around the last value passed for its series (`deadband`).
///
/// Holding the last value passed therefore reproduces every value read within the band: `absolute`, and
/// `relative` × |last value passed| when both are set. The first value of a series, values outside the band and a
/// value arriving once the last one passed is `max_silence` old (by event time) pass. Text fields, and fields not
/// listed in `fields`, pass untouched. Removed values count as `deadband`.
struct DeadbandProcessor: Processor {
    static let reason = "deadband"

    /// The last value passed for a series.
    struct State {
        var value: Double
        var timestamp: Int64
    }

    /// The band, copied out of the configuration for the per-value test.
    struct Band {
        /// Half-width in the value's unit; infinity when not configured.
        var absolute: Double
        /// Fraction of |last value|; nil when not configured.
        var relative: Double?
        var maxSilence: Int64

        /// Whether `value` at `timestamp` passes; updates `state` when it does.
        func passes(_ value: Double, at timestamp: Int64, state: inout State?) -> Bool {
            if let last = state {
                let delta = Swift.abs(value - last.value)
                var inside = delta <= absolute
                if inside, let relative { inside = delta <= relative * Swift.abs(last.value) }
                if inside, ProcessorTime.elapsed(from: last.timestamp, to: timestamp) < maxSilence { return false }
            }
            state = State(value: value, timestamp: timestamp)
            return true
        }
    }

    let band: Band
    /// The fields the band applies to; nil means all.
    let fields: Set<String>?
    private(set) var states: [FieldSeries: State] = [:]

    init(_ config: DeadbandConfig) {
        band = Band(
            absolute: config.absolute ?? .infinity,
            relative: config.relative,
            maxSilence: ProcessorTime.nanoseconds(config.maxSilence)
        )
        fields = config.fields.map { Set($0) }
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        let band = self.band
        let fields = self.fields
        let kept = event.keepingFields { field in
            guard let number = field.value.number, fields?.contains(field.name) ?? true else { return true }
            if band.passes(number, at: event.timestamp, state: &states[FieldSeries(event, field: field.name)]) {
                return true
            }
            drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
            return false
        }
        if let kept { output.append(kept) }
    }
}
