/// A `swinging_door` processor's settings: only the points that linear interpolation needs to reproduce every
/// value within `maxError` are sent.
public struct SwingingDoorConfig: Sendable, Hashable {
    /// `max_error:` the largest distance, in the value's unit, between a value read and the line through the points
    /// sent around it.
    public var maxError: Double
    /// `max_silence:` a point is sent once the last one sent is this old by event time.
    public var maxSilence: Duration
    /// `fields:` the fields compressed; nil means every numeric field.
    public var fields: [String]?

    public init(maxError: Double, maxSilence: Duration = ProcessorConfig.defaultMaxSilence, fields: [String]? = nil) {
        self.maxError = maxError
        self.maxSilence = maxSilence
        self.fields = fields
    }

    static let keys: Set<String> = ["max_error", "max_silence", "fields"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init(maxError: try map.required("max_error").positiveFiniteNumber())
        if let node = map.optional("max_silence") { maxSilence = try node.positiveDuration() }
        if let node = map.optional("fields") { fields = try node.processorFieldNames() }
    }
}
