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
    /// The file followed.
    public var path: String
    /// Where to start in a file the agent has never read (`start_at`).
    public var startAt: StartPosition
    public var lines: LineConfig

    public init(path: String, startAt: StartPosition = .beginning, lines: LineConfig = LineConfig()) {
        self.path = path
        self.startAt = startAt
        self.lines = lines
    }
}
