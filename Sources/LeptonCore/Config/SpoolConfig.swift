/// The optional `spool` section: the agent's durable disk spool in `state_dir`, where closed batches wait until the
/// collector acknowledges them.
public struct SpoolConfig: Sendable, Hashable {
    /// Bound on the spool on disk, all segment files together. When a new batch does not fit, the
    /// ``SourceConfig/whenFull`` policy of its source applies.
    public var maxBytes: Int
    /// Size at which the spool closes a segment file and starts the next; at least ``minimumSegmentBytes`` and at
    /// most a quarter of ``maxBytes``.
    public var segmentBytes: Int
    /// When spooled batches are forced to stable storage.
    public var fsync: FsyncPolicy

    /// Default `max_bytes`: 256MiB.
    public static let defaultMaxBytes = 256 << 20
    /// Default `segment_bytes`: 8MiB.
    public static let defaultSegmentBytes = 8 << 20
    /// Smallest `segment_bytes`: 64KiB.
    public static let minimumSegmentBytes = 64 << 10
    /// Default `fsync_interval`: 1s.
    public static let defaultFsyncInterval: Duration = .seconds(1)
    /// Default `fsync`: `interval`, every ``defaultFsyncInterval``.
    public static let defaultFsync: FsyncPolicy = .interval(defaultFsyncInterval)

    public init(
        maxBytes: Int = SpoolConfig.defaultMaxBytes,
        segmentBytes: Int = SpoolConfig.defaultSegmentBytes,
        fsync: FsyncPolicy = SpoolConfig.defaultFsync
    ) {
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        self.fsync = fsync
    }
}

/// When the agent forces spooled batches to stable storage (`spool.fsync`).
///
/// A process crash never loses a batch that was written to the spool: the data is in the operating system's page
/// cache. The policies differ in what a power cut or kernel crash can lose.
public enum FsyncPolicy: Sendable, Hashable {
    /// `fsync` after every batch written to the spool: a power cut loses nothing that was spooled; the slowest
    /// policy, one disk flush per batch.
    case always
    /// `fsync` at most this long after a batch was written: a power cut loses at most this much of the latest
    /// batches.
    case interval(Duration)
    /// Never `fsync`; the operating system writes pages back when it decides: a power cut can lose tens of seconds
    /// of batches.
    case never

    /// The `fsync` value in the configuration: `always`, `interval` or `never`.
    public var name: String {
        switch self {
        case .always: return "always"
        case .interval: return "interval"
        case .never: return "never"
        }
    }
}

extension SpoolConfig {
    static let keys = ["max_bytes", "segment_bytes", "fsync", "fsync_interval"]

    /// The values of the `fsync` key.
    enum FsyncMode: String, CaseIterable {
        case always
        case interval
        case never
    }

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        self.init()
        let maxBytesNode = map.optional("max_bytes")
        if let maxBytesNode {
            maxBytes = try maxBytesNode.positiveByteSize()
        }
        let segmentNode = map.optional("segment_bytes")
        if let segmentNode {
            segmentBytes = try segmentNode.byteSize()
            if segmentBytes < Self.minimumSegmentBytes {
                throw segmentNode.error("must be at least \(ByteSize.format(Self.minimumSegmentBytes))")
            }
        }
        // `segmentBytes <= maxBytes / 4` is `4 * segmentBytes <= maxBytes` without overflow.
        if segmentBytes > maxBytes / 4 {
            if let segmentNode {
                throw segmentNode.error(
                    "segment_bytes (\(ByteSize.format(segmentBytes))) must be at most a quarter of "
                        + "max_bytes (\(ByteSize.format(maxBytes))), that is \(ByteSize.format(maxBytes / 4))"
                )
            }
            throw (maxBytesNode ?? node).error(
                "max_bytes (\(ByteSize.format(maxBytes))) must be at least 4 times "
                    + "segment_bytes (\(ByteSize.format(segmentBytes)), the default); "
                    + "raise max_bytes or set a smaller segment_bytes"
            )
        }
        try readFsync(map)
    }

    private mutating func readFsync(_ map: ConfigMapping) throws(ConfigError) {
        var mode = FsyncMode.interval
        if let value = map.optional("fsync") {
            mode = try value.choice(FsyncMode.self, what: "fsync policy")
        }
        if mode != .interval {
            try map.rejectKeys(notIn: Set(Self.keys).subtracting(["fsync_interval"])) { key in
                "key '\(key)' only applies with fsync: interval, not with fsync: \(mode.rawValue); "
                    + "remove it or set fsync: interval"
            }
        }
        switch mode {
        case .always:
            fsync = .always
        case .never:
            fsync = .never
        case .interval:
            var interval = Self.defaultFsyncInterval
            if let value = map.optional("fsync_interval") {
                interval = try value.positiveDuration()
            }
            fsync = .interval(interval)
        }
    }
}
