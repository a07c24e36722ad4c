/// A `sample` processor's settings: the first of every `every` values of a series passes.
public struct SampleConfig: Sendable, Hashable {
    /// `every:` 1 keeps everything, 10 keeps one value in ten.
    public var every: Int

    public init(every: Int) {
        self.every = every
    }

    static let keys: Set<String> = ["every"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        let node = try map.required("every")
        self.init(every: try node.int())
        if every < 1 { throw node.error("must be at least 1") }
    }
}
