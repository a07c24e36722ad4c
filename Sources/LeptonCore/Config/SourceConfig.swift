/// One entry of the agent's `sources` list: a named producer of records, and the processors its records pass.
public struct SourceConfig: Sendable, Hashable {
    /// What the source reads, with the settings of that type.
    public enum Kind: Sendable, Hashable {
        /// Follows a text file (`type: file`), one record per line or multi-line record.
        case file(FileSourceConfig)
        /// Reads small files such as `/proc/loadavg` or hwmon inputs every `interval` (`type: sensor`).
        case sensor(SensorConfig)
        /// Reads standard input (`type: stdin`), one record per line or multi-line record.
        case stdin(LineConfig)
        /// Runs a command every `interval` and parses its output (`type: exec`).
        case exec(ExecConfig)
    }

    /// Source name, unique within the agent; 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    public var name: String
    /// The source type and its settings.
    public var kind: Kind
    /// What the source does when the disk spool is full (`when_full`); see ``defaultWhenFull(for:)``.
    public var whenFull: SpoolPolicy
    /// The source's processors (`processors:`), in order: inline, or named from the top-level `processors`.
    public var processors: [ProcessorConfig]
    /// `priority`: higher is more important. Under backpressure a source of lower priority is reduced first and
    /// restored last, and its spooled batches are evicted first. Default 0.
    public var priority: Int
    /// `fidelity`: the source's reduction ladder, `raw` first; empty when the source has none (always raw).
    public var fidelity: [FidelityRung]

    /// Creates a source; a `nil` `whenFull` means the default of the source type, ``defaultWhenFull(for:)``.
    public init(
        name: String,
        kind: Kind,
        whenFull: SpoolPolicy? = nil,
        processors: [ProcessorConfig] = [],
        priority: Int = 0,
        fidelity: [FidelityRung] = []
    ) {
        self.name = name
        self.kind = kind
        self.whenFull = whenFull ?? Self.defaultWhenFull(for: kind)
        self.processors = processors
        self.priority = priority
        self.fidelity = fidelity
    }

    /// Most and least `priority` may be.
    public static let priorities = -1000...1000

    /// The `when_full` policy of a source type when the key is absent: `drop_oldest` for sensors and commands,
    /// whose latest readings matter most; `block` for a file or stdin, which can wait without losing lines.
    public static func defaultWhenFull(for kind: Kind) -> SpoolPolicy {
        switch kind {
        case .sensor, .exec: return .dropOldest
        case .file, .stdin: return .block
        }
    }

    /// The YAML `type` of this source: `file`, `sensor`, `stdin` or `exec`.
    public var typeName: String {
        switch kind {
        case .file: return "file"
        case .sensor: return "sensor"
        case .stdin: return "stdin"
        case .exec: return "exec"
        }
    }
}

extension SourceConfig {
    /// The values of a source's `type` key.
    enum SourceType: String, CaseIterable {
        case file
        case sensor
        case stdin
        case exec

        /// Keys a source of this type may have.
        var keys: Set<String> {
            let common: Set<String> = ["type", "name", "when_full", "processors", "priority", "fidelity"]
            switch self {
            case .file: return common.union(FileSourceConfig.keys).union(LineConfig.keys)
            case .sensor: return common.union(SensorConfig.keys)
            case .stdin: return common.union(LineConfig.keys)
            case .exec: return common.union(ExecConfig.keys)
            }
        }
    }

    /// Every key some source type accepts; anything else is an unknown key.
    static let allKeys = Array(SourceType.allCases.reduce(into: Set<String>()) { $0.formUnion($1.keys) }).sorted()

    init(config node: ConfigNode, named: [String: ProcessorConfig]) throws(ConfigError) {
        // An unknown key lists the keys of the source's own type when the type is known.
        let declared = (node.find("type").flatMap { try? $0.string() }).flatMap(SourceType.init(rawValue:))
        let map = try node.mapping(allowedKeys: Self.allKeys, listing: declared.map { $0.keys.sorted() })
        let type = try map.required("type").choice(SourceType.self, what: "source type")
        try map.rejectKeys(notIn: type.keys) { "key '\($0)' is not valid for a source of type \(type.rawValue)" }
        let name = try map.required("name").identifier(maxLength: 64, what: "source name")
        var whenFull: SpoolPolicy?
        if let value = map.optional("when_full") {
            whenFull = try value.choice(SpoolPolicy.self, what: "when_full policy")
        }
        var processors: [ProcessorConfig] = []
        if let list = map.optional("processors") {
            for item in try list.sequence() {
                processors.append(try Self.processor(item, named: named))
            }
        }
        var priority = 0
        if let value = map.optional("priority") {
            priority = try value.int()
            guard Self.priorities.contains(priority) else {
                throw value.error("must be between \(Self.priorities.lowerBound) and \(Self.priorities.upperBound)")
            }
        }
        var fidelity: [FidelityRung] = []
        if let list = map.optional("fidelity") {
            fidelity = try FidelityRung.ladder(config: list, named: named, after: processors)
        }

        let kind: Kind
        switch type {
        case .file:
            kind = .file(try FileSourceConfig(map))
        case .sensor:
            kind = .sensor(try SensorConfig(map))
        case .stdin:
            kind = .stdin(try LineConfig(map))
        case .exec:
            kind = .exec(try ExecConfig(map))
        }
        self.init(
            name: name,
            kind: kind,
            whenFull: whenFull,
            processors: processors,
            priority: priority,
            fidelity: fidelity
        )
    }

    /// A `processors` item: an inline processor, or the name of one under the top-level `processors`.
    private static func processor(
        _ item: ConfigNode,
        named: [String: ProcessorConfig]
    ) throws(ConfigError)
        -> ProcessorConfig
    {
        guard case .scalar = item.node else { return try ProcessorConfig(config: item) }
        let name = try item.string()
        guard let processor = named[name] else {
            let known = named.keys.sorted().joined(separator: ", ")
            throw item.error(
                "no processor named '\(name)' under the top-level processors"
                    + (known.isEmpty ? "" : "; defined: \(known)")
            )
        }
        return processor
    }

    /// Reads the `sources` list: at least one source, unique names, at most one `stdin` source.
    static func list(config node: ConfigNode, named: [String: ProcessorConfig]) throws(ConfigError) -> [SourceConfig] {
        let items = try node.sequence()
        if items.isEmpty { throw node.error("at least one source is required") }
        var sources: [SourceConfig] = []
        var firstIndexByName: [String: Int] = [:]
        var stdinIndex: Int?
        for (index, item) in items.enumerated() {
            let source = try SourceConfig(config: item, named: named)
            if let previous = firstIndexByName[source.name] {
                let at = item.find("name") ?? item
                throw at.error("duplicate source name '\(source.name)'; already used by \(node.keyPath)[\(previous)]")
            }
            firstIndexByName[source.name] = index
            if case .stdin = source.kind {
                if let stdinIndex {
                    let at = item.find("type") ?? item
                    let first = "\(node.keyPath)[\(stdinIndex)]"
                    throw at.error("only one stdin source is allowed; \(first) already reads stdin")
                }
                stdinIndex = index
            }
            sources.append(source)
        }
        return sources
    }

    /// Reads the top-level `processors` mapping: processors shared by name.
    static func namedProcessors(config node: ConfigNode) throws(ConfigError) -> [String: ProcessorConfig] {
        var named: [String: ProcessorConfig] = [:]
        for entry in try node.freeMapping() {
            _ = try entry.keyNode.identifier(maxLength: 64, what: "processor name")
            named[entry.key] = try ProcessorConfig(config: entry.value)
        }
        return named
    }
}

extension SourceConfig.Kind {
    /// A file source with one parser and no multi-line joining.
    public static func file(path: String, parser: ParserConfig = .text, startAt: StartPosition = .beginning) -> Self {
        .file(FileSourceConfig(path: path, startAt: startAt, lines: LineConfig(parser: parser)))
    }

    /// A sensor source reading `paths` as gauges.
    public static func sensor(paths: [String], interval: Duration) -> Self {
        .sensor(SensorConfig(paths: paths, interval: interval))
    }

    /// A stdin source with one parser and no multi-line joining.
    public static func stdin(parser: ParserConfig) -> Self {
        .stdin(LineConfig(parser: parser))
    }
}
