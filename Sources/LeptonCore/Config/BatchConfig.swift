/// The `batch` section: when the agent closes a batch and ships it.
public struct BatchConfig: Sendable, Hashable {
    /// Close a batch once it holds this many records.
    public var maxRecords: Int
    /// Close a batch once its encoded records reach this many bytes (before compression).
    public var maxBytes: Int
    /// Close a non-empty batch this long after its first record arrived.
    public var linger: Duration

    /// Default `max_records`: 1000.
    public static let defaultMaxRecords = 1_000
    /// Default `max_bytes`: 1MiB.
    public static let defaultMaxBytes = 1 << 20
    /// Default `linger`: 1s.
    public static let defaultLinger: Duration = .seconds(1)

    public init(
        maxRecords: Int = BatchConfig.defaultMaxRecords,
        maxBytes: Int = BatchConfig.defaultMaxBytes,
        linger: Duration = BatchConfig.defaultLinger
    ) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.linger = linger
    }
}

extension BatchConfig {
    static let keys = ["max_records", "max_bytes", "linger"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        self.init()
        if let value = map.optional("max_records") {
            maxRecords = try value.int()
            if maxRecords <= 0 { throw value.error("must be greater than 0") }
        }
        if let value = map.optional("max_bytes") {
            maxBytes = try value.positiveByteSize()
        }
        if let value = map.optional("linger") {
            linger = try value.positiveDuration()
        }
    }
}
