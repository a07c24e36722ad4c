/// One rung of a source's `fidelity` ladder: how much the source's records are reduced at that level.
///
/// Rung 0 is always ``raw``; each later rung is one processor, applied after the source's own `processors`.
public struct FidelityRung: Sendable, Hashable {
    /// How metrics, the status endpoint and STATS name the rung: `raw`, `deadband 0.5`, `aggregate 10s`, or the
    /// name of a processor from the top-level `processors`.
    public var name: String
    /// The processor of this rung; nil for `raw`.
    public var processor: ProcessorConfig?

    public init(name: String, processor: ProcessorConfig?) {
        self.name = name
        self.processor = processor
    }

    /// Records pass unchanged.
    public static let raw = FidelityRung(name: "raw", processor: nil)

    /// Most rungs a ladder may have, `raw` included (the STATS frame carries at most this many).
    public static let maxRungs = 32
}

extension FidelityRung {
    /// The short forms a rung may take: `{KIND: VALUE}`.
    enum Shorthand: String, CaseIterable {
        case deadband
        case swingingDoor = "swinging_door"
        case aggregate
        case sample
    }

    /// Reads a source's `fidelity` list: `raw` first, then rungs given as a short form (`deadband: 0.5`,
    /// `swinging_door: 0.2`, `aggregate: 10s`, `sample: 10`), a processor mapping with `type`, or the name of a
    /// processor under the top-level `processors`.
    ///
    /// An `aggregate` rung after an `aggregate` processor is refused: it would fold the statistics of the first
    /// (min, max, mean …) into one window each and send them under the same tags, colliding.
    static func ladder(
        config node: ConfigNode,
        named: [String: ProcessorConfig],
        after processors: [ProcessorConfig]
    ) throws(ConfigError) -> [FidelityRung] {
        let aggregated = processors.contains { if case .aggregate = $0 { true } else { false } }
        let items = try node.sequence()
        guard let first = items.first else { throw node.error("expected a list of rungs starting with raw") }
        guard (try? first.string()) == "raw" else { throw first.error("the first rung must be raw") }
        if items.count > maxRungs { throw node.error("at most \(maxRungs) rungs, found \(items.count)") }
        var rungs = [raw]
        for item in items.dropFirst() {
            let rung = try rung(item, named: named)
            if aggregated, case .aggregate = rung.processor {
                throw item.error(
                    "an aggregate rung cannot follow the source's aggregate processor (their statistics would "
                        + "collide); put the finer aggregate in the ladder instead, as its first rung after raw"
                )
            }
            if let previous = rungs.first(where: { $0.name == rung.name }) {
                throw item.error("rung '\(previous.name)' is listed twice")
            }
            rungs.append(rung)
        }
        return rungs
    }

    private static func rung(_ item: ConfigNode, named: [String: ProcessorConfig]) throws(ConfigError) -> FidelityRung {
        if case .scalar = item.node {
            let name = try item.string()
            if name == "raw" { throw item.error("raw may only be the first rung") }
            guard let processor = named[name] else {
                let known = named.keys.sorted().joined(separator: ", ")
                throw item.error(
                    "no processor named '\(name)' under the top-level processors"
                        + (known.isEmpty ? "" : "; defined: \(known)")
                )
            }
            return FidelityRung(name: name, processor: processor)
        }
        if item.find("type") != nil {
            let processor = try ProcessorConfig(config: item)
            return FidelityRung(name: processor.rungName, processor: processor)
        }
        let entries = try item.freeMapping()
        let forms = Shorthand.allCases.map(\.rawValue).joined(separator: ", ")
        guard entries.count == 1, let entry = entries.first else {
            throw item.error("a rung is raw, one of {\(forms): VALUE}, a processor with 'type', or a processor's name")
        }
        guard let kind = Shorthand(rawValue: entry.key) else {
            throw entry.keyNode.error("unknown rung '\(entry.key)'; short forms: \(forms) (or a processor with 'type')")
        }
        let value = entry.value
        let processor: ProcessorConfig
        switch kind {
        case .deadband:
            processor = .deadband(DeadbandConfig(absolute: try value.positiveFiniteNumber()))
        case .swingingDoor:
            processor = .swingingDoor(SwingingDoorConfig(maxError: try value.positiveFiniteNumber()))
        case .aggregate:
            let window = try value.positiveDuration()
            processor = .aggregate(
                AggregateConfig(window: window, windowLabel: try value.scalarText(expected: "a duration like 10s"))
            )
        case .sample:
            let every = try value.int()
            if every < 2 { throw value.error("must be at least 2 (1 keeps everything: that is raw)") }
            processor = .sample(SampleConfig(every: every))
        }
        return FidelityRung(name: processor.rungName, processor: processor)
    }
}

extension ProcessorConfig {
    /// How a ladder rung made of this processor is named: its type and main setting.
    var rungName: String {
        switch self {
        case .deadband(let deadband):
            let absolute = deadband.absolute.map(\.shortText)
            let relative = deadband.relative.map { "\(((($0 * 1e6).rounded()) / 1e4).shortText)%" }
            return "deadband " + [absolute, relative].compactMap { $0 }.joined(separator: ", ")
        case .swingingDoor(let swingingDoor): return "swinging_door \(swingingDoor.maxError.shortText)"
        case .aggregate(let aggregate): return "aggregate \(aggregate.windowLabel)"
        case .sample(let sample): return "sample \(sample.every)"
        case .rateLimit(let rateLimit): return "rate_limit \(rateLimit.perSecond.shortText)/s"
        case .filter, .fields, .dedupe: return typeName
        }
    }
}

/// The top-level `fidelity` section of the agent: when the agent raises and lowers its sources' ladders.
public struct FidelityTuning: Sendable, Hashable {
    /// `raise_after`: how long an overload must last before each step up a ladder.
    public var raiseAfter: Duration = .seconds(10)
    /// `lower_after`: how long relief must last before each step down (longer than `raise_after`: hysteresis).
    public var lowerAfter: Duration = .seconds(30)
    /// `backlog_high`: spool use (fraction of `spool.max_bytes`) from which the backlog counts as growing.
    public var backlogHigh: Double = 0.25
    /// `backlog_low`: spool use at or below which the backlog counts as drained.
    public var backlogLow: Double = 0.05

    public init(
        raiseAfter: Duration = .seconds(10),
        lowerAfter: Duration = .seconds(30),
        backlogHigh: Double = 0.25,
        backlogLow: Double = 0.05
    ) {
        self.raiseAfter = raiseAfter
        self.lowerAfter = lowerAfter
        self.backlogHigh = backlogHigh
        self.backlogLow = backlogLow
    }

    static let keys = ["raise_after", "lower_after", "backlog_high", "backlog_low"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        self.init()
        if let value = map.optional("raise_after") { raiseAfter = try value.positiveDuration() }
        if let value = map.optional("lower_after") { lowerAfter = try value.positiveDuration() }
        if let value = map.optional("backlog_high") { backlogHigh = try value.fraction() }
        if let value = map.optional("backlog_low") { backlogLow = try value.fraction() }
        if backlogLow >= backlogHigh {
            let at = map.optional("backlog_low") ?? map.optional("backlog_high") ?? node
            throw at.error("backlog_low (\(backlogLow)) must be below backlog_high (\(backlogHigh))")
        }
    }
}

extension ConfigNode {
    /// A number from 0 to 1.
    fileprivate func fraction() throws(ConfigError) -> Double {
        let value = try finiteNumber()
        if value < 0 || value > 1 { throw error("must be between 0 and 1") }
        return value
    }
}
