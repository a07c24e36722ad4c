import Crypto
import LeptonRuntime
import SwiftASN1
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Creates and uses the private certificate authority of one Lepton deployment, kept in one directory
/// (see ``Layout``):
///
/// ```
/// DIR/ca.pem            DIR/ca-key.pem
/// DIR/collector.pem     DIR/collector-key.pem
/// DIR/agents/NAME.pem   DIR/agents/NAME-key.pem
/// ```
///
/// All keys are P-256 ECDSA, stored as PKCS#8 PEM with mode 0600; certificates are PEM with mode 0644; `agents/` is
/// created with mode 0755. Every file is written to a temporary file in the same directory and renamed into place,
/// so a crash never leaves half a key. The files load directly in swift-nio-ssl (`NIOSSLCertificate.fromPEMFile`,
/// `NIOSSLPrivateKey(file:format: .pem)`).
public enum CertificateAuthority {
    /// The collector certificate's hosts when none are given.
    public static let defaultHosts = ["127.0.0.1", "localhost"]
    /// Validity of collector and agent certificates when none is given: 825 days.
    public static let defaultValidityDays = 825
    /// Validity of the CA certificate: ten years.
    public static let caValidityDays = 3650
    /// The subject common name of the collector's server certificate.
    public static let collectorCommonName = "lepton-collector"

    /// `lepton-collector certs init --dir DIR [--host NAME ...]`: creates a new CA and a collector server certificate
    /// signed by it.
    ///
    /// The CA has CN `Lepton CA <random suffix>`, basicConstraints CA:true with path length 0 (critical), keyUsage
    /// keyCertSign and cRLSign (critical), and is valid for ten years. The collector certificate has CN
    /// `lepton-collector`, one subject alternative name per host (an IP address SAN for IPv4 and IPv6 literals, a DNS
    /// SAN otherwise), extended key usage serverAuth and keyUsage digitalSignature. Both certificates are valid from
    /// an hour before `now`, to tolerate clock skew. `DIR` and `DIR/agents` are created if missing.
    ///
    /// A CA is never replaced silently: if `DIR/ca.pem` or `DIR/ca-key.pem` exists, this throws
    /// ``CertificateAuthorityError/Code/alreadyExists`` and changes nothing, unless `force` is true. Replacing the CA
    /// invalidates every agent certificate it issued.
    ///
    /// - Parameters:
    ///   - directory: The CA directory.
    ///   - hosts: Names and addresses agents use to reach the collector; empty means ``defaultHosts``.
    ///   - force: Replace an existing CA.
    ///   - validityDays: Validity of the collector certificate, in days.
    ///   - now: The issuing time.
    /// - Returns: The paths of the files written.
    @discardableResult
    public static func initialize(
        directory: String,
        hosts: [String] = CertificateAuthority.defaultHosts,
        force: Bool = false,
        validityDays: Int = CertificateAuthority.defaultValidityDays,
        now: Date = Date()
    ) throws -> Layout {
        let layout = try Self.layout(directory)
        try Self.checkValidity(days: validityDays)
        var uniqueHosts: [String] = []
        for host in hosts where !uniqueHosts.contains(host) {
            uniqueHosts.append(host)
        }
        if uniqueHosts.isEmpty {
            uniqueHosts = Self.defaultHosts
        }
        let alternativeNames = try uniqueHosts.map { try Self.alternativeName(forHost: $0) }
        if !force {
            for path in [layout.caCertificate, layout.caKey] where AtomicFileWriter.exists(path) {
                throw CertificateAuthorityError(
                    code: .alreadyExists,
                    message: "\(path) already exists; refusing to replace the CA (use --force)"
                )
            }
        }

        let ca = try Self.makeRootCertificate(validityDays: Self.caValidityDays, now: now)
        let collector = try Self.makeLeafCertificate(
            commonName: Self.collectorCommonName,
            alternativeNames: alternativeNames,
            usage: .serverAuth,
            validityDays: validityDays,
            now: now,
            issuer: ca.certificate,
            issuerKey: Certificate.PrivateKey(ca.privateKey)
        )

        try Self.writingFiles {
            try AtomicFileWriter.makeDirectories(layout.directory, mode: 0o755)
            try AtomicFileWriter.makeDirectory(layout.agentsDirectory, mode: 0o755)
            try Self.store(ca, in: layout.directory, certificate: Layout.caCertificateFile, key: Layout.caKeyFile)
            try Self.store(
                collector,
                in: layout.directory,
                certificate: Layout.collectorCertificateFile,
                key: Layout.collectorKeyFile
            )
        }
        return layout
    }

    /// `lepton-collector certs issue --dir DIR --agent NAME`: issues a client certificate for one agent with the CA
    /// in `DIR`, writing `DIR/agents/NAME.pem` and `DIR/agents/NAME-key.pem`.
    ///
    /// The certificate has CN `NAME` and a DNS subject alternative name `NAME`, extended key usage clientAuth and
    /// keyUsage digitalSignature; it is valid from an hour before `now` for `validityDays`, but never past the CA's
    /// own expiry. The collector takes the agent's identity from the CN (see ``PeerIdentity``).
    ///
    /// - Parameters:
    ///   - directory: The CA directory made by ``initialize(directory:hosts:force:validityDays:now:)``.
    ///   - agent: The agent name: 1 to 128 of `A-Z a-z 0-9 . _ -` (see ``PeerIdentity/isValidAgentName(_:)``).
    ///   - force: Replace an existing certificate for this agent.
    ///   - validityDays: Validity in days.
    ///   - now: The issuing time.
    /// - Returns: The paths of the certificate and key written.
    /// - Throws: ``CertificateAuthorityError``: `.invalidAgentName`, `.alreadyExists` (without `force`), `.notFound`
    ///   or `.invalidFile` for the CA files, `.fileSystem`.
    @discardableResult
    public static func issueAgent(
        directory: String,
        agent: String,
        force: Bool = false,
        validityDays: Int = CertificateAuthority.defaultValidityDays,
        now: Date = Date()
    ) throws -> (certificate: String, key: String) {
        guard PeerIdentity.isValidAgentName(agent) else {
            throw CertificateAuthorityError(
                code: .invalidAgentName,
                message: "invalid agent name \"\(agent)\": use 1 to 128 characters of A-Z a-z 0-9 . _ -"
            )
        }
        let layout = try Self.layout(directory)
        try Self.checkValidity(days: validityDays)
        let paths = (certificate: layout.agentCertificate(agent), key: layout.agentKey(agent))
        if !force {
            for path in [paths.certificate, paths.key] where AtomicFileWriter.exists(path) {
                throw CertificateAuthorityError(
                    code: .alreadyExists,
                    message:
                        "\(path) already exists; refusing to replace the certificate of agent \(agent) (use --force)"
                )
            }
        }

        let signer = try Self.loadSigner(layout)
        let issued = try Self.makeLeafCertificate(
            commonName: agent,
            alternativeNames: [.dnsName(agent)],
            usage: .clientAuth,
            validityDays: validityDays,
            now: now,
            issuer: signer.certificate,
            issuerKey: signer.key
        )

        try Self.writingFiles {
            try AtomicFileWriter.makeDirectory(layout.agentsDirectory, mode: 0o755)
            try Self.store(
                issued,
                in: layout.agentsDirectory,
                certificate: Layout.agentCertificateFile(agent),
                key: Layout.agentKeyFile(agent)
            )
        }
        return paths
    }

    /// Loads `DIR/ca.pem` and `DIR/ca-key.pem`, checking that the key belongs to the certificate and that the
    /// certificate is a CA.
    static func loadSigner(_ layout: Layout) throws -> (certificate: Certificate, key: Certificate.PrivateKey) {
        let certificatePEM = try Self.readCAFile(layout.caCertificate, directory: layout.directory)
        let keyPEM = try Self.readCAFile(layout.caKey, directory: layout.directory)

        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw CertificateAuthorityError(
                code: .invalidFile,
                message: "\(layout.caCertificate) does not hold a PEM certificate",
                underlying: error
            )
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        } catch {
            throw CertificateAuthorityError(
                code: .invalidFile,
                message: "\(layout.caKey) does not hold a PEM private key",
                underlying: error
            )
        }
        guard key.publicKey == certificate.publicKey else {
            throw CertificateAuthorityError(
                code: .invalidFile,
                message: "\(layout.caKey) is not the key of the certificate in \(layout.caCertificate)"
            )
        }
        let constraints = try? certificate.extensions.basicConstraints
        guard case .some(.isCertificateAuthority) = constraints else {
            throw CertificateAuthorityError(
                code: .invalidFile,
                message: "\(layout.caCertificate) is not a CA certificate (basicConstraints CA:true is missing)"
            )
        }
        return (certificate, key)
    }

    /// Runs file writes, reporting a failed system call as a `.fileSystem` error.
    private static func writingFiles(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as FileSystemError {
            throw CertificateAuthorityError(code: .fileSystem, message: error.message, underlying: error)
        }
    }

    /// Writes the key (mode 0600), then the certificate (mode 0644), each atomically.
    private static func store(_ pair: KeyPair, in directory: String, certificate: String, key: String) throws {
        try AtomicFileWriter.replace(directory: directory, name: key, contents: pair.privateKeyPEM, mode: 0o600)
        try AtomicFileWriter.replace(
            directory: directory,
            name: certificate,
            contents: try pair.certificatePEM(),
            mode: 0o644
        )
    }

    private static func readCAFile(_ path: String, directory: String) throws -> String {
        guard AtomicFileWriter.exists(path) else {
            throw CertificateAuthorityError(
                code: .notFound,
                message: "\(path) not found; create the CA first with `lepton-collector certs init --dir \(directory)`"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateAuthorityError(code: .fileSystem, message: "cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func layout(_ directory: String) throws -> Layout {
        guard !directory.isEmpty else {
            throw CertificateAuthorityError(code: .invalidArgument, message: "the CA directory must not be empty")
        }
        return Layout(directory: directory)
    }

    private static func checkValidity(days: Int) throws {
        guard (1...36_500).contains(days) else {
            throw CertificateAuthorityError(
                code: .invalidArgument,
                message: "validity must be between 1 and 36500 days, not \(days)"
            )
        }
    }
}
