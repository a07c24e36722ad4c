/// The collector's `storage` section: where accepted records are written, the rollup resolutions kept beside
/// them, and how long each is kept.
public struct StorageConfig: Sendable, Hashable {
    public enum Backend: Sendable, Hashable {
        /// A SQLite database file (`type: sqlite`).
        case sqlite(path: String)
        /// A PostgreSQL database shared by any number of collectors (`type: postgres`).
        case postgres(PostgresStorage)
    }

    public var backend: Backend
    /// Resolutions of the per-stream rollups (count, min, max, sum, last per interval), ascending (`rollups`).
    public var rollups: [Duration]
    /// How long raw records are kept (`retention.raw`); nil keeps them forever.
    public var rawRetention: Duration?
    /// How long the rollups of each resolution are kept (`retention.<resolution>`); absent keeps them forever.
    public var rollupRetention: [Duration: Duration]
    /// For experiments: the store takes at most this many bytes of records per second (`max_bytes_per_second`),
    /// counting 8 bytes per timestamp, 8 per number and a text's UTF-8 length; nil: no limit.
    public var maxBytesPerSecond: Int?

    /// Default `rollups`: one minute and one hour.
    public static let defaultRollups: [Duration] = [.seconds(60), .seconds(3_600)]
    /// Default `retention.raw`: 7 days.
    public static let defaultRawRetention: Duration = .seconds(7 * 86_400)
    /// Default retention of the one-minute rollups: 90 days (the hourly ones are kept forever).
    public static let defaultRollupRetention: [Duration: Duration] = [.seconds(60): .seconds(90 * 86_400)]

    public init(
        backend: Backend,
        rollups: [Duration] = StorageConfig.defaultRollups,
        rawRetention: Duration? = StorageConfig.defaultRawRetention,
        rollupRetention: [Duration: Duration] = StorageConfig.defaultRollupRetention,
        maxBytesPerSecond: Int? = nil
    ) {
        self.backend = backend
        self.rollups = rollups
        self.rawRetention = rawRetention
        self.rollupRetention = rollupRetention
        self.maxBytesPerSecond = maxBytesPerSecond
    }

    /// A SQLite store with the default rollups and retention.
    public static func sqlite(path: String) -> StorageConfig {
        StorageConfig(backend: .sqlite(path: path))
    }
}

extension StorageConfig {
    /// The values of the `type` key.
    enum StorageType: String, CaseIterable {
        case sqlite
        case postgres
    }

    static let keys = ["type", "path", "url", "password_file", "pool", "rollups", "retention", "max_bytes_per_second"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let type = try map.required("type").choice(StorageType.self, what: "storage type")
        let backend: Backend
        switch type {
        case .sqlite:
            for key in ["url", "password_file", "pool"] {
                if let node = map.optional(key) { throw node.error("'\(key)' applies to type: postgres only") }
            }
            backend = .sqlite(path: try map.required("path").path())
        case .postgres:
            if let node = map.optional("path") { throw node.error("'path' applies to type: sqlite only; use 'url'") }
            let urlNode = try map.required("url")
            let url = try urlNode.string()
            var postgres: PostgresStorage
            do throws(PostgresURLError) {
                postgres = try PostgresStorage(url: url)
            } catch {
                throw urlNode.error(error.message)
            }
            if let node = map.optional("password_file") {
                postgres.passwordFile = try node.path(mustBeReadable: true)
            }
            if let node = map.optional("pool") {
                let size = try node.int()
                guard (1...1000).contains(size) else { throw node.error("pool is a number of connections, 1 to 1000") }
                postgres.poolSize = size
            }
            backend = .postgres(postgres)
        }
        self.init(backend: backend)
        if let node = map.optional("max_bytes_per_second") {
            maxBytesPerSecond = try node.positiveByteSize()
        }
        if let list = map.optional("rollups") {
            var rollups: [Duration] = []
            for item in try list.sequence() {
                let resolution = try item.positiveDuration()
                if resolution < .seconds(1) || resolution.components.attoseconds != 0 {
                    throw item.error("a rollup resolution is a whole number of seconds, at least 1s")
                }
                if let last = rollups.last, resolution <= last {
                    throw item.error("rollup resolutions must be listed in increasing order")
                }
                if let last = rollups.last, resolution.components.seconds % last.components.seconds != 0 {
                    throw item.error("each rollup resolution must be a multiple of the one before it")
                }
                rollups.append(resolution)
            }
            self.rollups = rollups
            rollupRetention = rollupRetention.filter { rollups.contains($0.key) }
        }
        if let retention = map.optional("retention") {
            for entry in try retention.freeMapping() {
                let period: Duration?
                if (try? entry.value.string()) == "forever" {
                    period = nil
                } else {
                    period = try entry.value.positiveDuration()
                }
                if entry.key == "raw" {
                    rawRetention = period
                    continue
                }
                guard let resolution = try? Duration(configString: entry.key), rollups.contains(resolution) else {
                    let known = (["raw"] + rollups.map(\.configString)).joined(separator: ", ")
                    throw entry.keyNode.error("'\(entry.key)' is not a kept resolution; expected one of: \(known)")
                }
                rollupRetention[resolution] = period
            }
        }
    }
}
