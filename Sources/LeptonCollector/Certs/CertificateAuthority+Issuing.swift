import Crypto
import SwiftASN1
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension CertificateAuthority {
    /// A freshly issued certificate and the P-256 key it certifies.
    struct KeyPair {
        var certificate: Certificate
        var privateKey: P256.Signing.PrivateKey

        /// The certificate as a PEM `CERTIFICATE` block, newline-terminated.
        func certificatePEM() throws -> String {
            do {
                return try certificate.serializeAsPEM().pemString + "\n"
            } catch {
                throw CertificateAuthorityError(code: .signing, message: "cannot encode certificate", underlying: error)
            }
        }

        /// The key as a PKCS#8 PEM `PRIVATE KEY` block, newline-terminated.
        var privateKeyPEM: String {
            privateKey.pemRepresentation + "\n"
        }
    }

    /// How far back `notValidBefore` is set, so that devices whose clock runs a little behind accept a new
    /// certificate at once.
    static let clockSkewAllowance: TimeInterval = 3600

    /// Creates a self-signed CA: P-256, CN `Lepton CA <random suffix>`, basicConstraints CA:true (path length 0,
    /// critical), keyUsage keyCertSign + cRLSign (critical), valid for `validityDays`.
    static func makeRootCertificate(validityDays: Int, now: Date) throws -> KeyPair {
        let privateKey = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(privateKey)
        let publicKey = signingKey.publicKey
        do {
            let name = try DistinguishedName {
                CommonName("Lepton CA \(Self.randomSuffix())")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-Self.clockSkewAllowance),
                notValidAfter: now.addingTimeInterval(Self.seconds(days: validityDays)),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: signingKey
            )
            return KeyPair(certificate: certificate, privateKey: privateKey)
        } catch {
            throw CertificateAuthorityError(
                code: .signing,
                message: "cannot create the CA certificate",
                underlying: error
            )
        }
    }

    /// Creates an end-entity certificate signed by `issuer`: P-256, CN `commonName`, the given SANs, basicConstraints
    /// CA:false and keyUsage digitalSignature (both critical), the one extended key usage `usage`.
    ///
    /// The certificate never outlives its issuer: `notValidAfter` is capped at the issuer's.
    static func makeLeafCertificate(
        commonName: String,
        alternativeNames: [GeneralName],
        usage: ExtendedKeyUsage.Usage,
        validityDays: Int,
        now: Date,
        issuer: Certificate,
        issuerKey: Certificate.PrivateKey
    ) throws -> KeyPair {
        let privateKey = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(privateKey.publicKey)
        let authorityKeyIdentifier = try? issuer.extensions.subjectKeyIdentifier?.keyIdentifier
        let notValidAfter = min(now.addingTimeInterval(Self.seconds(days: validityDays)), issuer.notValidAfter)
        do {
            let subject = try DistinguishedName {
                CommonName(commonName)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectAlternativeNames(alternativeNames)
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyIdentifier {
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
                }
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-Self.clockSkewAllowance),
                notValidAfter: notValidAfter,
                issuer: issuer.subject,
                subject: subject,
                extensions: extensions,
                issuerPrivateKey: issuerKey
            )
            return KeyPair(certificate: certificate, privateKey: privateKey)
        } catch {
            throw CertificateAuthorityError(
                code: .signing,
                message: "cannot create the certificate for \(commonName)",
                underlying: error
            )
        }
    }

    /// The subject alternative name for a host: an IP address SAN if `host` parses as IPv4 or IPv6, else a DNS SAN.
    static func alternativeName(forHost host: String) throws -> GeneralName {
        if let address = Self.ipAddressBytes(host) {
            return .ipAddress(ASN1OctetString(contentBytes: address[...]))
        }
        guard Self.isValidDNSName(host) else {
            throw CertificateAuthorityError(
                code: .invalidArgument,
                message: "invalid host \"\(host)\": expected an IPv4 address, an IPv6 address or a DNS name"
            )
        }
        return .dnsName(host)
    }

    /// The network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) literal, or nil if `string` is neither.
    static func ipAddressBytes(_ string: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(CInt(AF_INET), string, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(CInt(AF_INET6), string, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// A host name of dot-separated labels of letters, digits and hyphens (1 to 63 each, 253 in all); the first
    /// label may be `*` for a wildcard.
    static func isValidDNSName(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        let labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if index == 0 && labels.count > 1 && label.elementsEqual("*".utf8) {
                continue
            }
            guard (1...63).contains(label.count) else { return false }
            let allowed = label.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
            guard allowed else { return false }
        }
        return true
    }

    static func seconds(days: Int) -> TimeInterval {
        TimeInterval(days) * 86_400
    }

    /// Eight random hexadecimal digits, so that two deployments' CAs never share a name.
    private static func randomSuffix() -> String {
        let digits = String(UInt32.random(in: UInt32.min...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
