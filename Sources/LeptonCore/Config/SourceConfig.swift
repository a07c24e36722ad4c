/// One entry of the agent's `sources` list: a named producer of records.
public struct SourceConfig: Sendable, Hashable {
    /// What the source reads, with the settings of that type.
    public enum Kind: Sendable, Hashable {
        /// Follows a text file (`type: file`), one record per line; `startAt` applies only the first time the agent
        /// sees the file.
        case file(path: String, parser: ParserKind, startAt: StartPosition = .beginning)
        /// Reads small files such as `/proc/loadavg` every `interval` (`type: sensor`).
        case sensor(paths: [String], interval: Duration)
        /// Reads standard input (`type: stdin`), one record per line.
        case stdin(parser: ParserKind)
    }

    /// Source name, unique within the agent; 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    public var name: String
    /// The source type and its settings.
    public var kind: Kind
    /// What the source does when the disk spool is full (`when_full`); see ``defaultWhenFull(for:)``.
    public var whenFull: SpoolPolicy

    /// Default `interval` of a sensor source: 10s.
    public static let defaultSensorInterval: Duration = .seconds(10)

    /// Creates a source; a `nil` `whenFull` means the default of the source type, ``defaultWhenFull(for:)``.
    public init(name: String, kind: Kind, whenFull: SpoolPolicy? = nil) {
        self.name = name
        self.kind = kind
        self.whenFull = whenFull ?? Self.defaultWhenFull(for: kind)
    }

    /// The `when_full` policy of a source type when the key is absent: `drop_oldest` for a sensor, whose latest
    /// readings matter most; `block` for a file or stdin, which can wait without losing lines.
    public static func defaultWhenFull(for kind: Kind) -> SpoolPolicy {
        switch kind {
        case .sensor: return .dropOldest
        case .file, .stdin: return .block
        }
    }

    /// The YAML `type` of this source: `file`, `sensor` or `stdin`.
    public var typeName: String {
        switch kind {
        case .file: return "file"
        case .sensor: return "sensor"
        case .stdin: return "stdin"
        }
    }
}

extension SourceConfig {
    /// The values of a source's `type` key.
    enum SourceType: String, CaseIterable {
        case file
        case sensor
        case stdin

        /// Keys a source of this type may have.
        var keys: Set<String> {
            switch self {
            case .file: return ["type", "name", "when_full", "path", "parser", "start_at"]
            case .sensor: return ["type", "name", "when_full", "paths", "interval"]
            case .stdin: return ["type", "name", "when_full", "parser"]
            }
        }
    }

    /// Every key some source type accepts; anything else is an unknown key.
    static let allKeys = ["type", "name", "when_full", "path", "paths", "parser", "start_at", "interval"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.allKeys)
        let type = try map.required("type").choice(SourceType.self, what: "source type")
        try map.rejectKeys(notIn: type.keys) { "key '\($0)' is not valid for a source of type \(type.rawValue)" }
        let name = try map.required("name").identifier(maxLength: 64, what: "source name")
        var whenFull: SpoolPolicy?
        if let value = map.optional("when_full") {
            whenFull = try value.choice(SpoolPolicy.self, what: "when_full policy")
        }

        switch type {
        case .file:
            let path = try map.required("path").path()
            let parser = try Self.parser(map)
            var startAt = StartPosition.beginning
            if let value = map.optional("start_at") {
                startAt = try value.choice(StartPosition.self, what: "start_at position")
            }
            self.init(name: name, kind: .file(path: path, parser: parser, startAt: startAt), whenFull: whenFull)
        case .sensor:
            let pathsNode = try map.required("paths")
            var paths: [String] = []
            for item in try pathsNode.sequence() {
                paths.append(try item.path())
            }
            if paths.isEmpty { throw pathsNode.error("expected at least one path") }
            var interval = Self.defaultSensorInterval
            if let value = map.optional("interval") {
                interval = try value.positiveDuration()
            }
            self.init(name: name, kind: .sensor(paths: paths, interval: interval), whenFull: whenFull)
        case .stdin:
            let parser = try Self.parser(map)
            self.init(name: name, kind: .stdin(parser: parser), whenFull: whenFull)
        }
    }

    private static func parser(_ map: ConfigMapping) throws(ConfigError) -> ParserKind {
        guard let value = map.optional("parser") else { return .text }
        return try value.choice(ParserKind.self, what: "parser")
    }

    /// Reads the `sources` list: at least one source, unique names, at most one `stdin` source.
    static func list(config node: ConfigNode) throws(ConfigError) -> [SourceConfig] {
        let items = try node.sequence()
        if items.isEmpty { throw node.error("at least one source is required") }
        var sources: [SourceConfig] = []
        var firstIndexByName: [String: Int] = [:]
        var stdinIndex: Int?
        for (index, item) in items.enumerated() {
            let source = try SourceConfig(config: item)
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
}
