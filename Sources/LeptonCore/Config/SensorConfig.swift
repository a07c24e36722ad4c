/// A `sensor` source's settings: which files to sample, how often, and how to turn their numbers into values.
public struct SensorConfig: Sendable, Hashable {
    /// What a sample's value is.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// The number read (a temperature, a voltage).
        case gauge
        /// The per-second increase of a counter between two reads (`/proc/net/dev` bytes), across wraps.
        case rate
    }

    /// Paths or glob patterns (`*`, `?`, `[...]`), matched again at every read so devices that appear later are
    /// picked up.
    public var paths: [String]
    /// Time between reads (default 10s).
    public var interval: Duration
    /// Each number is multiplied by `scale`, then `offset` is added (e.g. millidegrees: `scale: 0.001`).
    public var scale: Double
    public var offset: Double
    /// A file next to each matched file whose content names the device in the stream name (`type`, `name`).
    public var labelFrom: String?
    public var mode: Mode

    public static let defaultInterval: Duration = .seconds(10)

    public init(
        paths: [String],
        interval: Duration = defaultInterval,
        scale: Double = 1,
        offset: Double = 0,
        labelFrom: String? = nil,
        mode: Mode = .gauge
    ) {
        self.paths = paths
        self.interval = interval
        self.scale = scale
        self.offset = offset
        self.labelFrom = labelFrom
        self.mode = mode
    }

    static let keys: Set<String> = ["paths", "interval", "scale", "offset", "label_from", "mode"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init(paths: try map.required("paths").paths())
        if let value = map.optional("interval") { interval = try value.positiveDuration() }
        if let value = map.optional("scale") { scale = try value.finiteNumber() }
        if let value = map.optional("offset") { offset = try value.finiteNumber() }
        if let value = map.optional("label_from") {
            let name = try value.string()
            if name.contains("/") || name == "." || name == ".." {
                throw value.error("expected a file name next to the sensor file, such as 'type' or 'name'")
            }
            labelFrom = name
        }
        if let value = map.optional("mode") { mode = try value.choice(Mode.self, what: "sensor mode") }
    }
}

/// An `exec` source's settings: a command run every `interval`, its standard output parsed.
public struct ExecConfig: Sendable, Hashable {
    /// The program and its arguments, run directly (no shell).
    public var command: [String]
    /// Time between runs (default 10s).
    public var interval: Duration
    /// A run that takes longer is killed, logged and counted (default 5s).
    public var timeout: Duration
    /// How the output is parsed; `json` reads the whole output as one document (such as `sensors -j`).
    public var parser: ParserConfig

    public init(
        command: [String],
        interval: Duration = .seconds(10),
        timeout: Duration = .seconds(5),
        parser: ParserConfig = .text
    ) {
        self.command = command
        self.interval = interval
        self.timeout = timeout
        self.parser = parser
    }

    static let keys: Set<String> = ["command", "interval", "timeout", "parser"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init(
            command: try map.required("command").nonEmptyStrings(
                orElse: "expected the program and its arguments, such as [sensors, -j]"
            )
        )
        if let value = map.optional("interval") { interval = try value.positiveDuration() }
        if let value = map.optional("timeout") { timeout = try value.positiveDuration() }
        if let value = map.optional("parser") { parser = try ParserConfig(config: value) }
    }
}
