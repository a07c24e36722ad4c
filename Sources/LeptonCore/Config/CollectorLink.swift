/// The agent's `collector` section: where to ship data and how to behave towards the collector.
public struct CollectorLink: Sendable, Hashable {
    /// The collector's `host:port`.
    public var address: HostPort
    /// TLS server name to verify; `nil` means the host of ``address``.
    public var serverName: String?
    /// The agent's CA, certificate and key.
    public var tls: TLSFiles
    /// First delay before reconnecting after a failure; doubles up to ``reconnectMax``.
    public var reconnectInitial: Duration
    /// Longest delay between reconnection attempts.
    public var reconnectMax: Duration
    /// How long a graceful shutdown (SIGTERM) waits for outstanding ACKs.
    public var shutdownTimeout: Duration

    /// Default `reconnect.initial`: 250ms.
    public static let defaultReconnectInitial: Duration = .milliseconds(250)
    /// Default `reconnect.max`: 30s.
    public static let defaultReconnectMax: Duration = .seconds(30)
    /// Default `shutdown_timeout`: 10s.
    public static let defaultShutdownTimeout: Duration = .seconds(10)

    public init(
        address: HostPort,
        serverName: String? = nil,
        tls: TLSFiles,
        reconnectInitial: Duration = CollectorLink.defaultReconnectInitial,
        reconnectMax: Duration = CollectorLink.defaultReconnectMax,
        shutdownTimeout: Duration = CollectorLink.defaultShutdownTimeout
    ) {
        self.address = address
        self.serverName = serverName
        self.tls = tls
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
        self.shutdownTimeout = shutdownTimeout
    }

    /// The name the collector's certificate is verified against: ``serverName`` or else the address host.
    public var effectiveServerName: String {
        serverName ?? address.host
    }
}

extension CollectorLink {
    static let keys = ["address", "server_name", "tls", "reconnect", "shutdown_timeout"]
    static let reconnectKeys = ["initial", "max"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let addressNode = try map.required("address")
        let address = try addressNode.hostPort()
        if address.port == 0 {
            throw addressNode.error("port 0 is not a valid collector address; use the port the collector listens on")
        }
        let tls = try TLSFiles(config: map.required("tls"))
        self.init(address: address, tls: tls)

        if let value = map.optional("server_name") {
            let name = try value.string()
            if name.contains(where: { $0.isWhitespace || $0 == "/" }) {
                throw value.error("invalid server name '\(name)'")
            }
            serverName = name
        }
        if let reconnect = map.optional("reconnect") {
            try readReconnect(reconnect)
        }
        if let value = map.optional("shutdown_timeout") {
            shutdownTimeout = try value.duration()
        }
    }

    private mutating func readReconnect(_ node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.reconnectKeys)
        let initialNode = map.optional("initial")
        let maxNode = map.optional("max")
        if let initialNode { reconnectInitial = try initialNode.positiveDuration() }
        if let maxNode { reconnectMax = try maxNode.positiveDuration() }
        if reconnectInitial > reconnectMax {
            let at = initialNode ?? maxNode ?? node
            throw at.error(
                "reconnect.initial (\(reconnectInitial.configString)) must not exceed "
                    + "reconnect.max (\(reconnectMax.configString))"
            )
        }
    }
}
