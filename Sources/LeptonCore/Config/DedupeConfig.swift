/// A `dedupe` processor's settings: a value equal to the series' previous value is dropped.
public struct DedupeConfig: Sendable, Hashable {
    /// `max_silence:` an unchanged value passes once the last value passed is this old by event time; nil means
    /// never.
    public var maxSilence: Duration?

    public init(maxSilence: Duration? = nil) {
        self.maxSilence = maxSilence
    }

    static let keys: Set<String> = ["max_silence"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init()
        if let node = map.optional("max_silence") { maxSilence = try node.positiveDuration() }
    }
}
