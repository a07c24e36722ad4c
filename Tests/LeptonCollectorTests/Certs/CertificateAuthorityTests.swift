import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import Testing
import X509

@testable import LeptonCollector

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Certificate authority")
struct CertificateAuthorityTests {
    /// A whole second, so certificate times (which have no fractions) compare exactly.
    private let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

    @Test func initializeWritesCAAndCollectorCertificate() async throws {
        try await withTemporaryDirectory { directory in
            let hosts = ["127.0.0.1", "localhost", "::1", "collector.example.com"]
            let layout = try CertificateAuthority.initialize(directory: directory, hosts: hosts, now: now)

            #expect(layout.caCertificate == directory + "/ca.pem")
            let entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(entries == ["agents", "ca-key.pem", "ca.pem", "collector-key.pem", "collector.pem"])
            #expect(try permissions(layout.caKey) == 0o600)
            #expect(try permissions(layout.collectorKey) == 0o600)
            #expect(try permissions(layout.caCertificate) == 0o644)
            #expect(try permissions(layout.collectorCertificate) == 0o644)
            let agentsMode = try permissions(layout.agentsDirectory)
            #expect(agentsMode & 0o700 == 0o700)

            // swift-nio-ssl loads every file, and refuses a key that does not match its certificate.
            let caChain = try NIOSSLCertificate.fromPEMFile(layout.caCertificate)
            #expect(caChain.count == 1)
            _ = try NIOSSLPrivateKey(file: layout.caKey, format: .pem)
            let collectorChain = try NIOSSLCertificate.fromPEMFile(layout.collectorCertificate)
            let collectorKey = try NIOSSLPrivateKey(file: layout.collectorKey, format: .pem)
            var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
                certificateChain: collectorChain.map { .certificate($0) },
                privateKey: .privateKey(collectorKey),
                trustRoots: .certificates(caChain)
            )
            configuration.minimumTLSVersion = .tlsv12
            _ = try NIOSSLContext(configuration: configuration)

            let ca = try loadCertificate(layout.caCertificate)
            #expect(ca.subject.description.hasPrefix("CN=Lepton CA "))
            #expect(ca.issuer == ca.subject)
            let caConstraints = try ca.extensions.basicConstraints
            let caKeyUsage = try ca.extensions.keyUsage
            #expect(caConstraints == .isCertificateAuthority(maxPathLength: 0))
            #expect(ca.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
            #expect(caKeyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
            #expect(ca.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
            #expect(ca.notValidAfter == now.addingTimeInterval(3650 * 86_400))

            let collector = try loadCertificate(layout.collectorCertificate)
            #expect(PeerIdentity.agentName(collector) == "lepton-collector")
            let names = try #require(try collector.extensions.subjectAlternativeNames)
            let loopback6: [UInt8] = Array(repeating: 0, count: 15) + [1]
            #expect(names.count == 4)
            #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))))
            #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: loopback6[...]))))
            #expect(names.contains(.dnsName("localhost")))
            #expect(names.contains(.dnsName("collector.example.com")))
            #expect(!names.contains(.dnsName("127.0.0.1")))
            let collectorUsages = try #require(try collector.extensions.extendedKeyUsage)
            let collectorKeyUsage = try collector.extensions.keyUsage
            #expect(Array(collectorUsages) == [.serverAuth])
            #expect(collectorKeyUsage == KeyUsage(digitalSignature: true))
            #expect(collector.notValidAfter == now.addingTimeInterval(825 * 86_400))
            #expect(collector.issuer == ca.subject)
            #expect(ca.publicKey.isValidSignature(collector.signature, for: collector))
            let collectorIsValid = await validates(collector, against: ca)
            #expect(collectorIsValid)
        }
    }

    @Test func emptyHostListMeansTheDefaults() async throws {
        try await withTemporaryDirectory { directory in
            let layout = try CertificateAuthority.initialize(directory: directory, hosts: [])
            let collector = try loadCertificate(layout.collectorCertificate)
            let names = try #require(try collector.extensions.subjectAlternativeNames)
            let expected: [GeneralName] = [
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .dnsName("localhost"),
            ]
            #expect(Array(names) == expected)
        }
    }

    @Test func initializeRejectsAnInvalidHostAndWritesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let error = try #require(throws: CertificateAuthorityError.self) {
                try CertificateAuthority.initialize(directory: directory, hosts: ["localhost", "bad host"])
            }
            #expect(error.code == .invalidArgument)
            #expect(!FileManager.default.fileExists(atPath: directory))
        }
    }

    @Test func issuedAgentCertificateCarriesItsNameAndChainsToTheCA() async throws {
        try await withTemporaryDirectory { directory in
            let layout = try CertificateAuthority.initialize(directory: directory, now: now)
            let paths = try CertificateAuthority.issueAgent(directory: directory, agent: "edge-01.plant_a", now: now)

            #expect(paths.certificate == directory + "/agents/edge-01.plant_a.pem")
            #expect(paths.key == directory + "/agents/edge-01.plant_a-key.pem")
            #expect(try permissions(paths.key) == 0o600)
            #expect(try permissions(paths.certificate) == 0o644)
            let entries = try FileManager.default.contentsOfDirectory(atPath: layout.agentsDirectory).sorted()
            #expect(entries == ["edge-01.plant_a-key.pem", "edge-01.plant_a.pem"])

            let chain = try NIOSSLCertificate.fromPEMFile(paths.certificate)
            let leaf = try #require(chain.first)
            let key = try NIOSSLPrivateKey(file: paths.key, format: .pem)
            #expect(PeerIdentity.agentName(leaf) == "edge-01.plant_a")
            let der = try leaf.toDERBytes()
            #expect(PeerIdentity.agentName(certificateDER: der) == "edge-01.plant_a")
            #expect(PeerIdentity.notValidAfter(leaf) == now.addingTimeInterval(825 * 86_400))
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(layout.caCertificate)
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
            _ = try NIOSSLContext(configuration: configuration)

            let ca = try loadCertificate(layout.caCertificate)
            let agent = try loadCertificate(paths.certificate)
            let agentNames = try #require(try agent.extensions.subjectAlternativeNames)
            let agentUsages = try #require(try agent.extensions.extendedKeyUsage)
            let agentKeyUsage = try agent.extensions.keyUsage
            let agentConstraints = try agent.extensions.basicConstraints
            #expect(Array(agentNames) == [.dnsName("edge-01.plant_a")])
            #expect(Array(agentUsages) == [.clientAuth])
            #expect(agentKeyUsage == KeyUsage(digitalSignature: true))
            #expect(agentConstraints == .notCertificateAuthority)
            #expect(agent.issuer == ca.subject)
            #expect(ca.publicKey.isValidSignature(agent.signature, for: agent))
            let agentIsValid = await validates(agent, against: ca)
            #expect(agentIsValid)
        }
    }

    @Test func agentCertificateNeverOutlivesTheCA() async throws {
        try await withTemporaryDirectory { directory in
            let layout = try CertificateAuthority.initialize(directory: directory, now: now)
            let paths = try CertificateAuthority.issueAgent(directory: directory, agent: "edge", validityDays: 36_500)
            let ca = try loadCertificate(layout.caCertificate)
            let agent = try loadCertificate(paths.certificate)
            #expect(agent.notValidAfter == ca.notValidAfter)
        }
    }

    @Test func secondInitializeRefusesAndLeavesTheCAUntouched() async throws {
        try await withTemporaryDirectory { directory in
            let layout = try CertificateAuthority.initialize(directory: directory)
            let certificate = try contents(layout.caCertificate)
            let key = try contents(layout.caKey)

            let error = try #require(throws: CertificateAuthorityError.self) {
                try CertificateAuthority.initialize(directory: directory, hosts: ["10.0.0.1"])
            }
            #expect(error.code == .alreadyExists)
            let message = "\(layout.caCertificate) already exists; refusing to replace the CA (use --force)"
            #expect(error.description == message)
            #expect(try contents(layout.caCertificate) == certificate)
            #expect(try contents(layout.caKey) == key)

            try CertificateAuthority.initialize(directory: directory, force: true)
            #expect(try contents(layout.caCertificate) != certificate)
            #expect(try contents(layout.caKey) != key)
        }
    }

    @Test func issueRefusesToReplaceAnAgentUnlessForced() async throws {
        try await withTemporaryDirectory { directory in
            try CertificateAuthority.initialize(directory: directory)
            let paths = try CertificateAuthority.issueAgent(directory: directory, agent: "edge-01")
            let certificate = try contents(paths.certificate)

            let error = try #require(throws: CertificateAuthorityError.self) {
                try CertificateAuthority.issueAgent(directory: directory, agent: "edge-01")
            }
            #expect(error.code == .alreadyExists)
            #expect(try contents(paths.certificate) == certificate)

            try CertificateAuthority.issueAgent(directory: directory, agent: "edge-01", force: true)
            #expect(try contents(paths.certificate) != certificate)
        }
    }

    @Test(
        arguments: ["", "a/b", "../escape", "with space", "ünïcode", "semi;colon", String(repeating: "x", count: 129)]
    )
    func issueRejectsInvalidAgentNames(_ name: String) async throws {
        try await withTemporaryDirectory { directory in
            let layout = try CertificateAuthority.initialize(directory: directory)
            let error = try #require(throws: CertificateAuthorityError.self) {
                try CertificateAuthority.issueAgent(directory: directory, agent: name)
            }
            #expect(error.code == .invalidAgentName)
            #expect(try FileManager.default.contentsOfDirectory(atPath: layout.agentsDirectory).isEmpty)
        }
    }

    @Test func agentNameRules() {
        #expect(PeerIdentity.isValidAgentName("a"))
        #expect(PeerIdentity.isValidAgentName("Edge_01.plant-A"))
        #expect(PeerIdentity.isValidAgentName(String(repeating: "a", count: 128)))
        #expect(!PeerIdentity.isValidAgentName(String(repeating: "a", count: 129)))
        #expect(!PeerIdentity.isValidAgentName("edge\n01"))
    }

    @Test func issueWithoutCAThrowsNotFound() async throws {
        try await withTemporaryDirectory { directory in
            let error = try #require(throws: CertificateAuthorityError.self) {
                try CertificateAuthority.issueAgent(directory: directory, agent: "edge-01")
            }
            #expect(error.code == .notFound)
        }
    }

    @Test func issueRejectsACAKeyThatIsNotTheCAs() async throws {
        try await withTemporaryDirectory { first in
            try await withTemporaryDirectory { second in
                let firstLayout = try CertificateAuthority.initialize(directory: first)
                let secondLayout = try CertificateAuthority.initialize(directory: second)
                try FileManager.default.removeItem(atPath: firstLayout.caKey)
                try FileManager.default.copyItem(atPath: secondLayout.caKey, toPath: firstLayout.caKey)

                let error = try #require(throws: CertificateAuthorityError.self) {
                    try CertificateAuthority.issueAgent(directory: first, agent: "edge-01")
                }
                #expect(error.code == .invalidFile)
            }
        }
    }

    @Test func agentOfAnotherCAIsNotTrusted() async throws {
        try await withTemporaryDirectory { first in
            try await withTemporaryDirectory { second in
                let layout = try CertificateAuthority.initialize(directory: first)
                try CertificateAuthority.initialize(directory: second)
                let own = try CertificateAuthority.issueAgent(directory: first, agent: "edge-01")
                let stranger = try CertificateAuthority.issueAgent(directory: second, agent: "edge-01")

                let ca = try loadCertificate(layout.caCertificate)
                let strangerCertificate = try loadCertificate(stranger.certificate)
                #expect(strangerCertificate.issuer != ca.subject)
                #expect(!ca.publicKey.isValidSignature(strangerCertificate.signature, for: strangerCertificate))
                let strangerIsValid = await validates(strangerCertificate, against: ca)
                #expect(!strangerIsValid)
                let ownCertificate = try loadCertificate(own.certificate)
                let ownIsValid = await validates(ownCertificate, against: ca)
                #expect(ownIsValid)
            }
        }
    }

    @Test func peerIdentityPrefersTheCommonNameAndFallsBackToTheFirstDNSName() throws {
        let named = try selfSigned(subject: DistinguishedName { CommonName("edge-07") }, names: [.dnsName("other")])
        #expect(PeerIdentity.agentName(named) == "edge-07")

        let unnamed = try selfSigned(subject: DistinguishedName(), names: [.dnsName("edge-08"), .dnsName("other")])
        #expect(PeerIdentity.agentName(unnamed) == "edge-08")

        // A CN that is no agent name is no identity, even with a usable SAN behind it.
        let odd = try selfSigned(subject: DistinguishedName { CommonName("edge 09\n") }, names: [.dnsName("edge-09")])
        #expect(PeerIdentity.agentName(odd) == nil)

        #expect(PeerIdentity.agentName(certificateDER: [0x30, 0x03, 0x02, 0x01, 0x01]) == nil)
    }
}

/// Runs `body` with a fresh, not yet created directory path under the temporary directory, then removes it.
private func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("lepton-certs-\(UUID().uuidString)", isDirectory: true)
        .path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

private struct StatFailed: Error {
    var path: String
}

/// The permission bits of `path`.
private func permissions(_ path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw StatFailed(path: path) }
    return info.st_mode & 0o777
}

private func contents(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

private func loadCertificate(_ path: String) throws -> Certificate {
    try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
}

/// Whether RFC 5280 path validation accepts `leaf` with `root` as the only trust anchor.
private func validates(_ leaf: Certificate, against root: Certificate) async -> Bool {
    var verifier = Verifier(rootCertificates: CertificateStore([root])) {
        RFC5280Policy()
    }
    let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
    if case .validCertificate = result {
        return true
    }
    return false
}

/// A self-signed certificate with the given subject and DNS names, for identity parsing.
private func selfSigned(subject: DistinguishedName, names: [GeneralName]) throws -> Certificate {
    let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    let now = Date()
    return try Certificate(
        version: .v3,
        serialNumber: Certificate.SerialNumber(),
        publicKey: key.publicKey,
        notValidBefore: now,
        notValidAfter: now.addingTimeInterval(3600),
        issuer: subject,
        subject: subject,
        extensions: try Certificate.Extensions { SubjectAlternativeNames(names) },
        issuerPrivateKey: key
    )
}
