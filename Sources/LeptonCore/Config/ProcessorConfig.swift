/// One step of a source's `processors` list: what happens to the source's events between the parser and the
/// batcher. The YAML `type` key picks the case; every other key belongs to that type.
public enum ProcessorConfig: Sendable, Hashable {
    /// Keeps or drops whole events by a condition (`type: filter`).
    case filter(FilterConfig)
    /// Renames, removes, rescales and converts fields, and adds tags (`type: fields`).
    case fields(FieldsConfig)
    /// Drops a value that stays within a band around the last one sent (`type: deadband`).
    case deadband(DeadbandConfig)
    /// Swinging-door compression: keeps the points that linear interpolation needs (`type: swinging_door`).
    case swingingDoor(SwingingDoorConfig)
    /// Replaces the values of a time window with their statistics (`type: aggregate`).
    case aggregate(AggregateConfig)
    /// A token bucket per series (`type: rate_limit`).
    case rateLimit(RateLimitConfig)
    /// Keeps the first of every N values per series (`type: sample`).
    case sample(SampleConfig)
    /// Drops a value equal to the series' previous one (`type: dedupe`).
    case dedupe(DedupeConfig)

    /// The YAML `type` of this processor, such as `swinging_door`.
    public var typeName: String {
        switch self {
        case .filter: return ProcessorType.filter.rawValue
        case .fields: return ProcessorType.fields.rawValue
        case .deadband: return ProcessorType.deadband.rawValue
        case .swingingDoor: return ProcessorType.swingingDoor.rawValue
        case .aggregate: return ProcessorType.aggregate.rawValue
        case .rateLimit: return ProcessorType.rateLimit.rawValue
        case .sample: return ProcessorType.sample.rawValue
        case .dedupe: return ProcessorType.dedupe.rawValue
        }
    }

    /// Default `max_silence` of `deadband` and `swinging_door`: 5 minutes.
    public static let defaultMaxSilence: Duration = .seconds(300)
}

extension ProcessorConfig {
    /// The values of a processor's `type` key.
    enum ProcessorType: String, CaseIterable {
        case filter
        case fields
        case deadband
        case swingingDoor = "swinging_door"
        case aggregate
        case rateLimit = "rate_limit"
        case sample
        case dedupe

        /// Keys a processor of this type may have, besides `type`.
        var keys: Set<String> {
            switch self {
            case .filter: return FilterConfig.keys
            case .fields: return FieldsConfig.keys
            case .deadband: return DeadbandConfig.keys
            case .swingingDoor: return SwingingDoorConfig.keys
            case .aggregate: return AggregateConfig.keys
            case .rateLimit: return RateLimitConfig.keys
            case .sample: return SampleConfig.keys
            case .dedupe: return DedupeConfig.keys
            }
        }
    }

    /// Every key some processor type accepts; anything else is an unknown key.
    static let allKeys = Array(ProcessorType.allCases.reduce(into: Set(["type"])) { $0.formUnion($1.keys) }).sorted()

    /// Reads one processor mapping; a key that another type would accept is an error at that key.
    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.allKeys)
        let type = try map.required("type").choice(ProcessorType.self, what: "processor type")
        try map.rejectKeys(notIn: type.keys.union(["type"])) {
            "key '\($0)' is not valid for a processor of type \(type.rawValue)"
        }
        switch type {
        case .filter: self = .filter(try FilterConfig(map))
        case .fields: self = .fields(try FieldsConfig(map))
        case .deadband: self = .deadband(try DeadbandConfig(map))
        case .swingingDoor: self = .swingingDoor(try SwingingDoorConfig(map))
        case .aggregate: self = .aggregate(try AggregateConfig(map))
        case .rateLimit: self = .rateLimit(try RateLimitConfig(map))
        case .sample: self = .sample(try SampleConfig(map))
        case .dedupe: self = .dedupe(try DedupeConfig(map))
        }
    }
}

extension ConfigNode {
    /// A non-empty list of non-empty field names (`fields: [temp, humidity]`).
    func processorFieldNames() throws(ConfigError) -> [String] {
        try nonEmptyStrings(orElse: "expected at least one field name")
    }

    /// A finite number greater than zero.
    func positiveFiniteNumber() throws(ConfigError) -> Double {
        let value = try finiteNumber()
        if value <= 0 { throw error("must be greater than 0") }
        return value
    }
}
