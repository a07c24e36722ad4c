import LeptonCollector
import LeptonCore

/// A private CA, a collector certificate and agent certificates, generated per test run (never committed).
public struct TestPKI: Sendable {
    public let directory: String

    /// Creates the CA and collector certificate (for 127.0.0.1 and localhost) and one certificate per agent.
    public init(directory: String, agents: [String]) throws {
        self.directory = directory
        try CertificateAuthority.initialize(directory: directory)
        for agent in agents {
            try CertificateAuthority.issueAgent(directory: directory, agent: agent)
        }
    }

    private var layout: CertificateAuthority.Layout { .init(directory: directory) }

    public var collectorTLS: TLSFiles {
        TLSFiles(ca: layout.caCertificate, cert: layout.collectorCertificate, key: layout.collectorKey)
    }

    public func agentTLS(_ agent: String) -> TLSFiles {
        TLSFiles(ca: layout.caCertificate, cert: layout.agentCertificate(agent), key: layout.agentKey(agent))
    }
}
