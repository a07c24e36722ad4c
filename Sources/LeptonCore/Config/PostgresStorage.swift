/// Where a `type: postgres` store connects: parsed from `storage.url`
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=…&sslrootcert=…`), plus `password_file` and `pool`.
public struct PostgresStorage: Sendable, Hashable {
    /// `sslmode`: how the connection uses TLS (libpq's names).
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS, without checking the server's certificate.
        case require
        /// TLS; the server's certificate must chain to `sslrootcert` (or the system's roots) and name the host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    /// From the URL; `passwordFile`, when given, is read instead at startup.
    public var password: String?
    /// A file holding the password (its first line), readable by the collector only.
    public var passwordFile: String?
    public var database: String
    public var tls: TLSMode
    /// `sslrootcert`: a PEM file of the CA that signed the server's certificate (verify-full).
    public var rootCertificate: String?
    /// Connections each collector keeps at most (`pool`).
    public var poolSize: Int

    /// Default `pool`: connections per collector.
    public static let defaultPoolSize = 10

    public init(
        host: String,
        port: Int = 5432,
        user: String,
        password: String? = nil,
        passwordFile: String? = nil,
        database: String,
        tls: TLSMode = .prefer,
        rootCertificate: String? = nil,
        poolSize: Int = PostgresStorage.defaultPoolSize
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.passwordFile = passwordFile
        self.database = database
        self.tls = tls
        self.rootCertificate = rootCertificate
        self.poolSize = poolSize
    }

    /// Parses a `postgres://` or `postgresql://` URL; the message of the error says what is wrong with it.
    public init(url: String) throws(PostgresURLError) {
        let scheme = ["postgres://", "postgresql://"].first { url.hasPrefix($0) }
        guard let scheme else {
            throw PostgresURLError("expected a URL of the form postgres://USER@HOST:PORT/DATABASE")
        }
        var rest = url.dropFirst(scheme.count)
        var parameters: [(String, String)] = []
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw PostgresURLError("URL parameter '\(pair)' has no value") }
                parameters.append((String(parts[0]), try Self.decoded(parts[1])))
            }
            rest = rest[..<question]
        }
        var database: String?
        if let slash = rest.firstIndex(of: "/") {
            let name = try Self.decoded(rest[rest.index(after: slash)...])
            database = name.isEmpty ? nil : name
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                user = try Self.decoded(credentials[..<colon])
                password = try Self.decoded(credentials[credentials.index(after: colon)...])
            } else {
                user = try Self.decoded(credentials)
            }
            rest = rest[rest.index(after: at)...]
        }
        guard let user, !user.isEmpty else { throw PostgresURLError("the URL names no user (postgres://USER@HOST/…)") }
        let address: HostPort
        do {
            address = try HostPort(parsing: rest.contains(":") && !rest.hasSuffix("]") ? String(rest) : "\(rest):5432")
        } catch {
            throw PostgresURLError("bad host or port '\(rest)' in the URL")
        }
        self.init(host: address.host, port: address.port, user: user, password: password, database: database ?? user)
        for (key, value) in parameters {
            switch key {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw PostgresURLError("sslmode '\(value)' is not one of: \(modes)")
                }
                tls = mode
            case "sslrootcert":
                rootCertificate = value
            default:
                throw PostgresURLError("unknown URL parameter '\(key)'; expected sslmode or sslrootcert")
            }
        }
        if rootCertificate != nil && tls != .verifyFull {
            throw PostgresURLError("sslrootcert needs sslmode=verify-full")
        }
    }

    /// Percent-decodes a URL component.
    private static func decoded(_ text: Substring) throws(PostgresURLError) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else { throw PostgresURLError("bad percent-escape in '\(text)'") }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The URL without its password, for logs and the status page.
    public var redacted: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostPart):\(port)/\(database)"
    }
}

/// What is wrong with a `storage.url`.
public struct PostgresURLError: Error, Sendable {
    public var message: String

    init(_ message: String) {
        self.message = message
    }
}
