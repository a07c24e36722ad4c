/// The optional `admin` section: the agent's local HTTP endpoint for health and metrics.
public struct AdminConfig: Sendable, Hashable {
    /// Address the admin HTTP server listens on, e.g. `127.0.0.1:9481`; port 0 picks a free port.
    public var listen: HostPort

    public init(listen: HostPort) {
        self.listen = listen
    }
}

extension AdminConfig {
    static let keys = ["listen"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let listen = try map.required("listen").hostPort()
        self.init(listen: listen)
    }
}
