import LeptonCore

/// Replaces the numeric values of each series by statistics over tumbling windows of event time (`aggregate`).
///
/// Windows start at multiples of `window` since the epoch. A closed window becomes one event per statistic: the
/// original name, the window start as timestamp, the original tags plus `agg=<stat>` and `window=<window>`, and the
/// original field holding the statistic. A window closes when a value of its series arrives for a later window, on
/// ``advance(to:into:)`` once `now` is `grace` past both the window's end and the last value absorbed (so a fast
/// replay of old files still fills its windows), and on ``flush(into:)``. Absorbed values count as `aggregated`;
/// a value for a window older than the series' current one is dropped as `late`. Text fields, and fields not listed
/// in `fields`, pass untouched.
struct AggregateProcessor: Processor {
    static let absorbedReason = "aggregated"
    static let lateReason = "late"

    /// A series' current window; once closed, it stays as the mark before which values are late.
    struct Window {
        var start: Int64
        var end: Int64
        var isOpen = true
        var count = 0
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var sum = 0.0
        var last = 0.0
        /// Wall-clock time the last value was absorbed.
        var lastArrival: Int64

        init(start: Int64, end: Int64, lastArrival: Int64) {
            self.start = start
            self.end = end
            self.lastArrival = lastArrival
        }

        mutating func absorb(_ value: Double, now: Int64) {
            count += 1
            minimum = Swift.min(minimum, value)
            maximum = Swift.max(maximum, value)
            sum += value
            last = value
            lastArrival = now
        }

        func value(of stat: AggregateConfig.Stat) -> Double {
            switch stat {
            case .count: return Double(count)
            case .min: return minimum
            case .max: return maximum
            case .mean: return sum / Double(count)
            case .sum: return sum
            case .last: return last
            }
        }
    }

    let window: Int64
    let windowLabel: String
    let stats: [AggregateConfig.Stat]
    let grace: Int64
    /// The fields aggregated; nil means all.
    let fields: Set<String>?
    private(set) var windows: [FieldSeries: Window] = [:]

    init(_ config: AggregateConfig) {
        window = Swift.max(1, ProcessorTime.nanoseconds(config.window))
        windowLabel = config.windowLabel
        stats = config.stats
        grace = Swift.max(0, ProcessorTime.nanoseconds(config.grace))
        fields = config.fields.map { Set($0) }
    }

    /// The start of the window holding `timestamp`: `floor(timestamp / window) * window`.
    func windowStart(of timestamp: Int64) -> Int64 {
        let remainder = timestamp % window
        let start = timestamp - remainder
        return remainder < 0 ? ProcessorTime.adding(-window, to: start) : start
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        let fields = self.fields
        let start = windowStart(of: event.timestamp)
        let end = ProcessorTime.adding(window, to: start)
        let kept = event.keepingFields { field in
            guard let number = field.value.number, fields?.contains(field.name) ?? true else { return true }
            let series = FieldSeries(event, field: field.name)
            let reason = absorb(number, series: series, start: start, end: end, now: now, into: &output)
            drops.add(stream: event.streamName(of: field.name), reason: reason)
            return false
        }
        if let kept { output.append(kept) }
    }

    /// Adds a value to its series' window, closing the previous window first when this one is later; returns the
    /// reason the value is counted under.
    private mutating func absorb(
        _ number: Double,
        series: FieldSeries,
        start: Int64,
        end: Int64,
        now: Int64,
        into output: inout [Event]
    ) -> String {
        guard var current = windows[series] else {
            var opened = Window(start: start, end: end, lastArrival: now)
            opened.absorb(number, now: now)
            windows[series] = opened
            return Self.absorbedReason
        }
        if start < (current.isOpen ? current.start : current.end) { return Self.lateReason }
        if current.isOpen, start == current.start {
            current.absorb(number, now: now)
        } else {
            if current.isOpen { emit(current, of: series, into: &output) }
            current = Window(start: start, end: end, lastArrival: now)
            current.absorb(number, now: now)
        }
        windows[series] = current
        return Self.absorbedReason
    }

    mutating func advance(to now: Int64, into output: inout [Event]) {
        let grace = self.grace
        closeWindows(into: &output) { window in
            now >= ProcessorTime.adding(grace, to: window.end)
                && now >= ProcessorTime.adding(grace, to: window.lastArrival)
        }
    }

    mutating func flush(into output: inout [Event]) {
        closeWindows(into: &output) { _ in true }
    }

    /// Closes the open windows `isDue` selects, in a fixed order.
    private mutating func closeWindows(into output: inout [Event], where isDue: (Window) -> Bool) {
        var due: [(series: FieldSeries, window: Window)] = []
        for (series, current) in windows where current.isOpen && isDue(current) {
            due.append((series, current))
        }
        due.sort { FieldSeries.emitsBefore(($0.window.start, $0.series), ($1.window.start, $1.series)) }
        for (series, closing) in due {
            emit(closing, of: series, into: &output)
            windows[series]?.isOpen = false
        }
    }

    /// One event per statistic of a closing window.
    private func emit(_ closing: Window, of series: FieldSeries, into output: inout [Event]) {
        var tags = series.tags
        tags["window"] = windowLabel
        for stat in stats {
            tags["agg"] = stat.rawValue
            output.append(series.event(timestamp: closing.start, value: .number(closing.value(of: stat)), tags: tags))
        }
    }
}
