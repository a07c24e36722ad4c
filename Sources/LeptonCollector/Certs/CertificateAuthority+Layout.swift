extension CertificateAuthority {
    /// Where the files of one deployment's certificate authority live:
    ///
    /// ```
    /// DIR/ca.pem            DIR/ca-key.pem
    /// DIR/collector.pem     DIR/collector-key.pem
    /// DIR/agents/NAME.pem   DIR/agents/NAME-key.pem
    /// ```
    public struct Layout: Hashable, Sendable {
        /// The CA directory, as given (without trailing slashes).
        public let directory: String

        public init(directory: String) {
            var directory = directory
            while directory.count > 1 && directory.hasSuffix("/") {
                directory.removeLast()
            }
            self.directory = directory
        }

        /// `DIR/ca.pem`: the CA certificate, the trust root for agents and collector alike.
        public var caCertificate: String { path(Self.caCertificateFile) }
        /// `DIR/ca-key.pem`: the CA private key (mode 0600). Keep it off the collector host if you can.
        public var caKey: String { path(Self.caKeyFile) }
        /// `DIR/collector.pem`: the collector's server certificate.
        public var collectorCertificate: String { path(Self.collectorCertificateFile) }
        /// `DIR/collector-key.pem`: the collector's private key (mode 0600).
        public var collectorKey: String { path(Self.collectorKeyFile) }
        /// `DIR/agents`: one certificate and key per agent.
        public var agentsDirectory: String { path(Self.agentsDirectoryName) }

        /// `DIR/agents/NAME.pem`: the client certificate of agent `name`.
        public func agentCertificate(_ name: String) -> String {
            path(Self.agentsDirectoryName + "/" + Self.agentCertificateFile(name))
        }

        /// `DIR/agents/NAME-key.pem`: the private key of agent `name` (mode 0600).
        public func agentKey(_ name: String) -> String {
            path(Self.agentsDirectoryName + "/" + Self.agentKeyFile(name))
        }

        static let caCertificateFile = "ca.pem"
        static let caKeyFile = "ca-key.pem"
        static let collectorCertificateFile = "collector.pem"
        static let collectorKeyFile = "collector-key.pem"
        static let agentsDirectoryName = "agents"

        static func agentCertificateFile(_ name: String) -> String { name + ".pem" }
        static func agentKeyFile(_ name: String) -> String { name + "-key.pem" }

        private func path(_ relative: String) -> String {
            directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
        }
    }
}
