import LeptonCore

/// The last stage of a source with a `fidelity` ladder: applies the processor of the current rung (nothing at
/// raw). The level is set from outside, between events (``ProcessorChain/setFidelityLevel(_:now:)``); a change
/// first flushes what the old rung holds (an open aggregate window), so switching loses nothing.
struct LadderProcessor: Processor {
    let rungs: [FidelityRung]
    let hostname: String
    private(set) var level = 0
    private var current: (any Processor)?

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
    }

    mutating func flush(into output: inout [Event]) {
        current?.flush(into: &output)
    }

    /// Moves to rung `level` (ignored when out of the ladder): what the old rung holds goes to `output` first.
    mutating func setLevel(_ level: Int, into output: inout [Event]) {
        guard level != self.level, rungs.indices.contains(level) else { return }
        current?.flush(into: &output)
        self.level = level
        current = rungs[level].processor.map { makeProcessor($0, hostname: hostname) }
    }
}
