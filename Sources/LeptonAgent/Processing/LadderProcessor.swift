import LeptonCore

/// The last stage of a source with a `fidelity` ladder: applies the processor of the current rung (nothing at
/// raw). The level is set from outside, between events (``ProcessorChain/setFidelityLevel(_:)``).
///
/// Leaving a rung loses nothing. A rung that holds points back (a swinging door's pending point) is flushed and
/// forgotten: a deadband or swinging door that came back later would compare with a value older than what was sent
/// since. An aggregate rung instead keeps its open windows, which close at their usual time: coming back to it
/// within the same window goes on filling that window, so no window is ever sent twice.
struct LadderProcessor: Processor {
    let rungs: [FidelityRung]
    let hostname: String
    private(set) var level = 0
    private var current: (any Processor)?
    /// Aggregate rungs left with windows still open, by level.
    private var draining: [Int: any Processor] = [:]

    init(rungs: [FidelityRung], hostname: String) {
        self.rungs = rungs
        self.hostname = hostname
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        guard current != nil else {
            output.append(event)
            return
        }
        current?.process(event, now: now, into: &output, drops: &drops)
    }

    mutating func advance(to now: Int64, into output: inout [Event]) {
        current?.advance(to: now, into: &output)
        for level in draining.keys.sorted() { draining[level]?.advance(to: now, into: &output) }
    }

    mutating func flush(into output: inout [Event]) {
        current?.flush(into: &output)
        for level in draining.keys.sorted() { draining[level]?.flush(into: &output) }
        draining = [:]
    }

    /// Moves to rung `level` (ignored when out of the ladder); what the old rung releases goes to `output`.
    mutating func setLevel(_ level: Int, into output: inout [Event]) {
        guard level != self.level, rungs.indices.contains(level) else { return }
        if var old = current {
            if case .aggregate = rungs[self.level].processor {
                draining[self.level] = old
            } else {
                old.flush(into: &output)
            }
        }
        self.level = level
        current =
            draining.removeValue(forKey: level) ?? rungs[level].processor.map { makeProcessor($0, hostname: hostname) }
    }
}
