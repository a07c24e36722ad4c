/// A `deadband` processor's settings: a numeric value is dropped while it stays within the band around the last
/// value sent for its series, so the last value sent is always within the band of every value read.
public struct DeadbandConfig: Sendable, Hashable {
    /// `absolute:` the band's half-width in the value's unit.
    public var absolute: Double?
    /// `relative:` the band's half-width as a fraction of the last value sent (0.01 = 1 %).
    public var relative: Double?
    /// `max_silence:` a value is sent, changed or not, once the last one sent is this old by event time.
    public var maxSilence: Duration
    /// `fields:` the fields the band applies to; nil means every numeric field.
    public var fields: [String]?

    /// A band with `absolute`, `relative` or both (a value must then be within both to be dropped).
    public init(
        absolute: Double? = nil,
        relative: Double? = nil,
        maxSilence: Duration = ProcessorConfig.defaultMaxSilence,
        fields: [String]? = nil
    ) {
        self.absolute = absolute
        self.relative = relative
        self.maxSilence = maxSilence
        self.fields = fields
    }

    static let keys: Set<String> = ["absolute", "relative", "max_silence", "fields"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init()
        if let node = map.optional("absolute") { absolute = try node.positiveFiniteNumber() }
        if let node = map.optional("relative") { relative = try node.positiveFiniteNumber() }
        if absolute == nil, relative == nil {
            throw map.node.error("a deadband needs 'absolute', 'relative' or both")
        }
        if let node = map.optional("max_silence") { maxSilence = try node.positiveDuration() }
        if let node = map.optional("fields") { fields = try node.processorFieldNames() }
    }
}
