/// How a `file` or `stdin` source turns bytes into records: the parser, optional multi-line joining and the
/// longest line kept.
public struct LineConfig: Sendable, Hashable {
    /// `parser:`; `text` by default.
    public var parser: ParserConfig
    /// `multiline:`; nil means one record per line.
    public var multiline: MultilineConfig?
    /// `max_line_bytes:`; a longer line is cut there and counted (default 1 MiB).
    public var maxLineBytes: Int

    public static let defaultMaxLineBytes = 1 << 20

    public init(
        parser: ParserConfig = .text,
        multiline: MultilineConfig? = nil,
        maxLineBytes: Int = defaultMaxLineBytes
    ) {
        self.parser = parser
        self.multiline = multiline
        self.maxLineBytes = maxLineBytes
    }

    static let keys: Set<String> = ["parser", "multiline", "max_line_bytes"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init()
        if let value = map.optional("parser") { parser = try ParserConfig(config: value) }
        if let value = map.optional("multiline") { multiline = try MultilineConfig(config: value) }
        if let value = map.optional("max_line_bytes") {
            maxLineBytes = try value.positiveByteSize()
            if maxLineBytes > 64 << 20 { throw value.error("must be at most 64MiB") }
        }
    }
}

/// A `file` source's settings.
public struct FileSourceConfig: Sendable, Hashable {
    /// The files followed: paths or glob patterns (`*`, `?`, `[...]`), matched again every second so files that
    /// appear later are followed too.
    public var paths: [String]
    /// Glob patterns of files not to follow although `paths` match them (rotated copies, compressed archives):
    /// a pattern with a `/` is matched against the whole path, one without against the file name.
    public var exclude: [String]
    /// Where to start in a file the agent has never read (`start_at`); a file that appears while the agent runs is
    /// read from its beginning.
    public var startAt: StartPosition
    public var lines: LineConfig

    public init(
        paths: [String],
        exclude: [String] = [],
        startAt: StartPosition = .beginning,
        lines: LineConfig = LineConfig()
    ) {
        self.paths = paths
        self.exclude = exclude
        self.startAt = startAt
        self.lines = lines
    }

    public init(path: String, startAt: StartPosition = .beginning, lines: LineConfig = LineConfig()) {
        self.init(paths: [path], startAt: startAt, lines: lines)
    }

    static let keys: Set<String> = ["path", "exclude", "start_at"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        var startAt = StartPosition.beginning
        if let value = map.optional("start_at") {
            startAt = try value.choice(StartPosition.self, what: "start_at position")
        }
        var exclude: [String] = []
        if let value = map.optional("exclude") {
            let items = if case .sequence = value.node { try value.sequence() } else { [value] }
            for item in items {
                let pattern = try item.string()
                if pattern.isEmpty { throw item.error("expected a non-empty pattern") }
                exclude.append(pattern.contains("/") ? try item.path() : pattern)
            }
        }
        self.init(
            paths: try map.required("path").paths(),
            exclude: exclude,
            startAt: startAt,
            lines: try LineConfig(map)
        )
    }
}
