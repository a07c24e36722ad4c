import NIOSSL

/// TLS settings shared by both programs: mutual TLS, TLS 1.2 at least, ALPN `lepton/1`.
public enum LeptonTLS {
    /// The collector's side: presents `cert`/`key`, requires a client certificate issued by `ca`.
    public static func serverContext(_ files: TLSFiles) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try loadCertificates(files.cert, what: "certificate").map { .certificate($0) },
            privateKey: .privateKey(try loadKey(files.key)),
            trustRoots: .certificates(try loadCertificates(files.ca, what: "CA certificate"))
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = [WireProtocol.alpn]
        return try NIOSSLContext(configuration: configuration)
    }

    /// The agent's side: verifies the collector against `ca` (and the server name), presents `cert`/`key`.
    public static func clientContext(_ files: TLSFiles) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try loadCertificates(files.ca, what: "CA certificate"))
        configuration.certificateChain = try loadCertificates(files.cert, what: "certificate").map { .certificate($0) }
        configuration.privateKey = .privateKey(try loadKey(files.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = [WireProtocol.alpn]
        return try NIOSSLContext(configuration: configuration)
    }

    /// When the first certificate in the PEM file at `path` expires, in seconds since the epoch.
    public static func notValidAfter(certificateAt path: String) throws -> Int64 {
        Int64(try loadCertificates(path, what: "certificate")[0].notValidAfter)
    }

    private static func loadCertificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError("cannot load \(what) \(path): \(error)")
        }
        guard !certificates.isEmpty else { throw TLSSetupError("no \(what) in \(path)") }
        return certificates
    }

    private static func loadKey(_ path: String) throws -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw TLSSetupError("cannot load private key \(path): \(error)")
        }
    }
}

/// A certificate or key that could not be loaded, with the path in the message.
public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
