/// How a `file` or `stdin` source joins lines into one record (`multiline:`), for stack traces and other
/// records that span lines: a record starts at a line matching `start`; the lines after it that do not match
/// belong to it.
public struct MultilineConfig: Sendable, Hashable {
    /// A regular expression a record's first line matches, e.g. `^\d{4}-\d{2}-\d{2}` or `^\S`.
    public var start: String
    /// The most lines one record may hold; the next line starts a new record (default 500).
    public var maxLines: Int
    /// How long a record waits for more lines before it is sent as it is (default 2s).
    public var timeout: Duration

    public init(start: String, maxLines: Int = 500, timeout: Duration = .seconds(2)) {
        self.start = start
        self.maxLines = maxLines
        self.timeout = timeout
    }
}

extension MultilineConfig {
    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: ["start", "max_lines", "timeout"])
        let startNode = try map.required("start")
        let start = try startNode.string()
        do {
            _ = try Regex(start)
        } catch {
            throw startNode.error("invalid regular expression: \(error)")
        }
        self.init(start: start)
        if let value = map.optional("max_lines") {
            maxLines = try value.int()
            if maxLines < 1 { throw value.error("must be at least 1") }
        }
        if let value = map.optional("timeout") {
            timeout = try value.positiveDuration()
        }
    }
}
