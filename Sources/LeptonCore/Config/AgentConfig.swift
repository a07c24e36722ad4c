import Logging

/// The agent's configuration file (`agent.yaml`), validated.
///
/// Read it with ``load(path:checkFiles:)``; every problem is a ``ConfigError`` with file, line, column and key
/// path. Tests can also build a configuration in code with the memberwise initialisers.
public struct AgentConfig: ConfigFile, Sendable, Hashable {
    /// The `agent` section.
    public var agent: AgentIdentity
    /// The `collector` section.
    public var collector: CollectorLink
    /// The `sources` list, in file order; at least one, names unique, at most one `stdin`.
    public var sources: [SourceConfig]
    /// The `batch` section, or its defaults.
    public var batch: BatchConfig
    /// The `spool` section, or its defaults; ``SpoolConfig/maxBytes`` is at least 4 times ``BatchConfig/maxBytes``.
    public var spool: SpoolConfig
    /// The `admin` section; `nil` when absent, and then no admin HTTP endpoint runs.
    public var admin: AdminConfig?
    /// `bandwidth.max_bytes_per_second`: a cap on the bytes of batches sent per second (a metered link); nil: none.
    public var maxBytesPerSecond: Int?
    /// The `fidelity` section (when ladders step up and down), or its defaults.
    public var fidelity: FidelityTuning
    /// `log.level`; `info` by default.
    public var logLevel: Logger.Level

    public init(
        agent: AgentIdentity,
        collector: CollectorLink,
        sources: [SourceConfig],
        batch: BatchConfig = BatchConfig(),
        spool: SpoolConfig = SpoolConfig(),
        admin: AdminConfig? = nil,
        maxBytesPerSecond: Int? = nil,
        fidelity: FidelityTuning = FidelityTuning(),
        logLevel: Logger.Level = .info
    ) {
        self.agent = agent
        self.collector = collector
        self.sources = sources
        self.batch = batch
        self.spool = spool
        self.admin = admin
        self.maxBytesPerSecond = maxBytesPerSecond
        self.fidelity = fidelity
        self.logLevel = logLevel
    }
}

extension AgentConfig {
    static let keys = [
        "agent", "collector", "sources", "processors", "batch", "spool", "admin", "bandwidth", "fidelity", "log",
    ]
    static let bandwidthKeys = ["max_bytes_per_second"]

    /// Parses and validates configuration text.
    ///
    /// - Parameters:
    ///   - yaml: The YAML document.
    ///   - file: The file name used in errors.
    ///   - baseDirectory: The folder that relative paths resolve against.
    ///   - checkFiles: Whether the TLS files must exist and be readable.
    /// - Throws: ``ConfigError``.
    public static func parse(
        yaml: String,
        file: String,
        baseDirectory: String,
        checkFiles: Bool = false
    ) throws(ConfigError) -> AgentConfig {
        let source = ConfigSource(file: file, baseDirectory: baseDirectory, checkFiles: checkFiles)
        let root = try ConfigDocument.root(yaml: yaml, source: source)
        let map = try root.mapping(allowedKeys: Self.keys)

        let agent = try AgentIdentity(config: map.required("agent"))
        let collector = try CollectorLink(config: map.required("collector"))
        var named: [String: ProcessorConfig] = [:]
        if let node = map.optional("processors") {
            named = try SourceConfig.namedProcessors(config: node)
        }
        let sources = try SourceConfig.list(config: map.required("sources"), named: named)
        var batch = BatchConfig()
        if let node = map.optional("batch") {
            batch = try BatchConfig(config: node)
        }
        var spool = SpoolConfig()
        if let node = map.optional("spool") {
            spool = try SpoolConfig(config: node)
        }
        var admin: AdminConfig?
        if let node = map.optional("admin") {
            admin = try AdminConfig(config: node)
        }
        var maxBytesPerSecond: Int?
        if let node = map.optional("bandwidth") {
            let bandwidth = try node.mapping(allowedKeys: Self.bandwidthKeys)
            if let value = bandwidth.optional("max_bytes_per_second") {
                maxBytesPerSecond = try value.positiveByteSize()
                // Less than this would take minutes per batch and starve the heartbeat's purpose.
                guard maxBytesPerSecond! >= 1_024 else { throw value.error("must be at least 1KiB") }
            }
        }
        var fidelity = FidelityTuning()
        if let node = map.optional("fidelity") {
            fidelity = try FidelityTuning(config: node)
        }
        let logLevel = try map.logLevel()

        // `batch.maxBytes <= spool.maxBytes / 4` is `4 * batch.maxBytes <= spool.maxBytes` without overflow.
        if batch.maxBytes > spool.maxBytes / 4 {
            let at = root.find("spool", "max_bytes") ?? root.find("batch", "max_bytes") ?? root.find("spool") ?? root
            throw at.error(
                "spool.max_bytes (\(ByteSize.format(spool.maxBytes))) must be at least 4 times "
                    + "batch.max_bytes (\(ByteSize.format(batch.maxBytes)))"
            )
        }
        return AgentConfig(
            agent: agent,
            collector: collector,
            sources: sources,
            batch: batch,
            spool: spool,
            admin: admin,
            maxBytesPerSecond: maxBytesPerSecond,
            fidelity: fidelity,
            logLevel: logLevel
        )
    }
}
