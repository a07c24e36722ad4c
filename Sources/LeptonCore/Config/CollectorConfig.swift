import Logging

/// The collector's configuration file (`collector.yaml`), validated.
///
/// Read it with ``load(path:checkFiles:)``; every problem is a ``ConfigError`` with file, line, column and key
/// path. Tests can also build a configuration in code with the memberwise initialisers.
public struct CollectorConfig: ConfigFile, Sendable, Hashable {
    /// `listen`: the address agents connect to over mutual TLS; port 0 picks a free port.
    public var listen: HostPort
    /// `tls`: the collector's CA (for agent certificates), certificate and key.
    public var tls: TLSFiles
    /// `http.listen`: the address of the HTTP API, health and metrics endpoint.
    public var httpListen: HostPort
    /// `storage`: where accepted records go.
    public var storage: StorageConfig
    /// `limits`, or their defaults.
    public var limits: Limits
    /// `backpressure`, or its defaults.
    public var backpressure: BackpressureConfig
    /// `log.level`; `info` by default.
    public var logLevel: Logger.Level

    public init(
        listen: HostPort,
        tls: TLSFiles,
        httpListen: HostPort,
        storage: StorageConfig,
        limits: Limits = Limits(),
        backpressure: BackpressureConfig = BackpressureConfig(),
        logLevel: Logger.Level = .info
    ) {
        self.listen = listen
        self.tls = tls
        self.httpListen = httpListen
        self.storage = storage
        self.limits = limits
        self.backpressure = backpressure
        self.logLevel = logLevel
    }
}

extension CollectorConfig {
    static let keys = ["listen", "tls", "http", "storage", "limits", "backpressure", "log"]
    static let httpKeys = ["listen"]

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
    ) throws(ConfigError) -> CollectorConfig {
        let source = ConfigSource(file: file, baseDirectory: baseDirectory, checkFiles: checkFiles)
        let root = try ConfigDocument.root(yaml: yaml, source: source)
        let map = try root.mapping(allowedKeys: Self.keys)

        let listen = try map.required("listen").hostPort()
        let tls = try TLSFiles(config: map.required("tls"))
        let http = try map.required("http").mapping(allowedKeys: Self.httpKeys)
        let httpListen = try http.required("listen").hostPort()
        let storage = try StorageConfig(config: map.required("storage"))
        var limits = Limits()
        if let node = map.optional("limits") {
            limits = try Limits(config: node)
        }
        var backpressure = BackpressureConfig()
        if let node = map.optional("backpressure") {
            backpressure = try BackpressureConfig(config: node)
        }
        let logLevel = try map.logLevel()
        return CollectorConfig(
            listen: listen,
            tls: tls,
            httpListen: httpListen,
            storage: storage,
            limits: limits,
            backpressure: backpressure,
            logLevel: logLevel
        )
    }
}
