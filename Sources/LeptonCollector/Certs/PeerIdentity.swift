import NIOSSL
import SwiftASN1
import X509

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who is on the other end of a mutual-TLS connection, read from the client certificate that the TLS layer has
/// already verified against the deployment CA.
///
/// An agent's identity is its certificate's subject common name, as issued by
/// ``CertificateAuthority/issueAgent(directory:agent:force:validityDays:now:)``; a certificate without a CN falls
/// back to its first DNS subject alternative name. Only names that are valid agent names
/// (``isValidAgentName(_:)``) count: anything else yields nil, so a stray certificate from the same CA can never
/// smuggle odd characters into logs, metrics labels or file names.
public enum PeerIdentity {
    /// The agent identity carried by a DER-encoded certificate, or nil if it carries none or does not parse.
    public static func agentName(certificateDER: [UInt8]) -> String? {
        guard let certificate = try? Certificate(derEncoded: certificateDER) else { return nil }
        return Self.agentName(certificate)
    }

    /// The agent identity carried by a swift-nio-ssl certificate (e.g. `channel.nioSSL_peerCertificate()`).
    public static func agentName(_ certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes() else { return nil }
        return Self.agentName(certificateDER: der)
    }

    /// The agent identity carried by a swift-certificates certificate.
    public static func agentName(_ certificate: Certificate) -> String? {
        let name: String
        if let commonName = Self.commonName(of: certificate.subject) {
            name = commonName
        } else if let dnsName = Self.firstDNSName(of: certificate) {
            name = dnsName
        } else {
            return nil
        }
        return Self.isValidAgentName(name) ? name : nil
    }

    /// When the certificate expires, e.g. to warn an operator ahead of time.
    public static func notValidAfter(_ certificate: NIOSSLCertificate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }

    /// Whether `name` can name an agent: 1 to 128 characters, each an ASCII letter, digit, `.`, `_` or `-`.
    public static func isValidAgentName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// The most specific (last) common name in `name` that is a string, as OpenSSL reads it.
    private static func commonName(of name: DistinguishedName) -> String? {
        var result: String?
        for relativeName in name {
            for attribute in relativeName where attribute.type == ASN1ObjectIdentifier.RDNAttributeType.commonName {
                if let value = String(attribute.value) {
                    result = value
                }
            }
        }
        return result
    }

    private static func firstDNSName(of certificate: Certificate) -> String? {
        guard let alternativeNames = try? certificate.extensions.subjectAlternativeNames else { return nil }
        for case .dnsName(let name) in alternativeNames {
            return name
        }
        return nil
    }
}
