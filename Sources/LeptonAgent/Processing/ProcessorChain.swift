import LeptonCore
import Prometheus

/// A source's processors in order, with their counters: per stage and stream, records in and out
/// (`lepton_agent_processor_records_total{source,processor,stream,direction}`) and records removed by reason
/// (`lepton_agent_processor_dropped_total{source,processor,stream,reason}`).
///
/// Counts are kept per call in plain dictionaries and added to the Prometheus counters by ``publish()``, once
/// per chunk of input. Each stage labels at most ``maxStreamsPerStage`` streams by name; the rest count under
/// `stream="_other"`, so a parser that invents stream names cannot blow up the agent's metrics.
struct ProcessorChain {
    struct Stage {
        var processor: any Processor
        /// `INDEX:TYPE`, e.g. `0:deadband`.
        var label: String
        var incoming: [StreamField: Int] = [:]
        var outgoing: [StreamField: Int] = [:]
        var drops = ProcessorDrops()
        var labelled: Set<String> = []
    }

    /// A stream by its parts, so counting needs no string building.
    struct StreamField: Hashable {
        var name: String
        var field: String
    }

    static let maxStreamsPerStage = 1000

    let source: String
    private var stages: [Stage]
    private let metrics: AgentMetrics?
    private var counters: [String: Counter] = [:]
    /// The index of the `fidelity` ladder's stage (the last), when the source has a ladder.
    private let ladderIndex: Int?

    /// A `fidelity` ladder (``LadderProcessor``) runs after `processors`, as stage `N:fidelity`.
    init(
        source: String,
        processors: [ProcessorConfig],
        fidelity: [FidelityRung] = [],
        hostname: String,
        metrics: AgentMetrics?
    ) {
        self.source = source
        self.metrics = metrics
        stages = processors.enumerated().map { index, config in
            Stage(processor: makeProcessor(config, hostname: hostname), label: "\(index):\(config.typeName)")
        }
        if fidelity.count > 1 {
            ladderIndex = stages.count
            stages.append(
                Stage(
                    processor: LadderProcessor(rungs: fidelity, hostname: hostname),
                    label: "\(stages.count):fidelity"
                )
            )
        } else {
            ladderIndex = nil
        }
    }

    var isEmpty: Bool { stages.isEmpty }

    /// The stage labels, in order.
    var labels: [String] { stages.map(\.label) }

    /// Runs one event through every stage; returns what comes out of the last.
    mutating func process(_ event: Event, now: Int64) -> [Event] {
        var current = [event]
        for index in stages.indices {
            var next: [Event] = []
            Self.run(current, through: &stages[index], now: now, into: &next)
            Self.count(next, into: &stages[index].outgoing)
            current = next
            if current.isEmpty { break }
        }
        return current
    }

    /// The ladder's current rung; 0 (raw) without a ladder.
    var fidelityLevel: Int {
        guard let ladderIndex, let ladder = stages[ladderIndex].processor as? LadderProcessor else { return 0 }
        return ladder.level
    }

    /// Moves the ladder to rung `level`; returns what the old rung still held (the ladder is the last stage).
    mutating func setFidelityLevel(_ level: Int) -> [Event] {
        guard let ladderIndex, var ladder = stages[ladderIndex].processor as? LadderProcessor else { return [] }
        var released: [Event] = []
        ladder.setLevel(level, into: &released)
        stages[ladderIndex].processor = ladder
        Self.count(released, into: &stages[ladderIndex].outgoing)
        return released
    }

    /// Lets every stage emit what is due by `now` (closed windows), passing it through the later stages.
    mutating func advance(to now: Int64) -> [Event] {
        drain(now: now) { processor, output in processor.advance(to: now, into: &output) }
    }

    /// Empties every stage (the source stopped), passing what comes out through the later stages.
    mutating func flush(now: Int64) -> [Event] {
        drain(now: now) { processor, output in processor.flush(into: &output) }
    }

    private mutating func drain(now: Int64, _ release: (inout any Processor, inout [Event]) -> Void) -> [Event] {
        var carried: [Event] = []
        for index in stages.indices {
            var next: [Event] = []
            Self.run(carried, through: &stages[index], now: now, into: &next)
            release(&stages[index].processor, &next)
            Self.count(next, into: &stages[index].outgoing)
            carried = next
        }
        return carried
    }

    private static func run(_ events: [Event], through stage: inout Stage, now: Int64, into next: inout [Event]) {
        count(events, into: &stage.incoming)
        for event in events {
            stage.processor.process(event, now: now, into: &next, drops: &stage.drops)
        }
    }

    private static func count(_ events: [Event], into counts: inout [StreamField: Int]) {
        for event in events {
            for field in event.fields {
                counts[StreamField(name: event.name, field: field.name), default: 0] += 1
            }
        }
    }

    /// Adds the counts gathered since the last call to the Prometheus counters, and returns them per stage
    /// (for `preview`).
    @discardableResult
    mutating func publish() -> [StageCounts] {
        var result: [StageCounts] = []
        for index in stages.indices {
            var stage = stages[index]
            var counts = StageCounts(label: stage.label)
            for (key, count) in stage.incoming {
                let stream = Self.streamName(key)
                counts.incoming += count
                counter(&stage, stream: stream, kind: "in", count: count)
            }
            for (key, count) in stage.outgoing {
                let stream = Self.streamName(key)
                counts.outgoing += count
                counter(&stage, stream: stream, kind: "out", count: count)
            }
            for (key, count) in stage.drops.counts {
                counts.dropped[key.reason, default: 0] += count
                counter(&stage, stream: key.stream, kind: key.reason, count: count)
            }
            stage.incoming.removeAll(keepingCapacity: true)
            stage.outgoing.removeAll(keepingCapacity: true)
            stage.drops.removeAll()
            stages[index] = stage
            result.append(counts)
        }
        if let ladderIndex {
            metrics?.fidelity.add(reduced: result[ladderIndex].dropped.values.reduce(0, +), source: source)
        }
        return result
    }

    private static func streamName(_ key: StreamField) -> String {
        key.field == Event.valueField ? key.name : "\(key.name).\(key.field)"
    }

    /// `kind` is `in`, `out`, or a drop reason.
    private mutating func counter(_ stage: inout Stage, stream: String, kind: String, count: Int) {
        guard let metrics else { return }
        var stream = stream
        if !stage.labelled.contains(stream) {
            if stage.labelled.count < Self.maxStreamsPerStage {
                stage.labelled.insert(stream)
            } else {
                stream = "_other"
            }
        }
        let key = "\(stage.label)|\(stream)|\(kind)"
        if let counter = counters[key] {
            counter.increment(by: Int64(count))
            return
        }
        let counter: Counter
        let labels = [("source", source), ("processor", stage.label), ("stream", stream)]
        if kind == "in" || kind == "out" {
            counter = metrics.registry.counter(
                "lepton_agent_processor_records_total",
                help: "Records into and out of each processor, by source, processor and stream.",
                labels: labels + [("direction", kind)]
            )
        } else {
            counter = metrics.registry.counter(
                "lepton_agent_processor_dropped_total",
                help: "Records a processor removed or summarised, by source, processor, stream and reason.",
                labels: labels + [("reason", kind)]
            )
        }
        counters[key] = counter
        counter.increment(by: Int64(count))
    }
}

/// One stage's counts over a stretch of input: records in, out, and removed by reason.
struct StageCounts: Equatable, Sendable {
    var label: String
    var incoming = 0
    var outgoing = 0
    var dropped: [String: Int] = [:]
}
