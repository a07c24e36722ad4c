/// PEM files for mutual TLS, shared by the agent's `collector.tls` and the collector's `tls` section.
public struct TLSFiles: Sendable, Hashable {
    /// CA certificate(s) that the peer's certificate must chain to.
    public var ca: String
    /// This side's certificate chain.
    public var cert: String
    /// This side's private key.
    public var key: String

    /// Creates the set of TLS files; paths are used as given.
    public init(ca: String, cert: String, key: String) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }
}

extension TLSFiles {
    static let keys = ["ca", "cert", "key"]

    /// Reads `{ ca, cert, key }`; all three are required paths, checked for readability when the document is
    /// loaded with file checks.
    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let ca = try map.required("ca").path(mustBeReadable: true)
        let cert = try map.required("cert").path(mustBeReadable: true)
        let key = try map.required("key").path(mustBeReadable: true)
        self.init(ca: ca, cert: cert, key: key)
    }
}
