/// A TCP endpoint written `host:port` in configuration files: `127.0.0.1:7443`, `localhost:7443`, `[::1]:7443`,
/// `0.0.0.0:0`.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address; IPv6 addresses are stored without brackets (`::1`).
    public var host: String
    /// TCP port, `0...65535`; `0` asks the operating system for a free port when listening.
    public var port: Int

    /// Creates an endpoint without validation.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; IPv6 addresses must be bracketed (`[::1]:7443`).
    ///
    /// - Throws: ``ConfigValueError`` for a missing host or port, an unbracketed IPv6 address, characters that
    ///   cannot appear in a host name, or a port outside `0...65535`.
    public init(parsing text: String) throws(ConfigValueError) {
        let example = "expected host:port like 127.0.0.1:7443 or [::1]:7443"
        let value = text.trimmingWhitespace
        if value.isEmpty {
            throw ConfigValueError("empty address; \(example)")
        }
        let host: Substring
        let portText: Substring
        if value.first == "[" {
            guard let close = value.firstIndex(of: "]") else {
                throw ConfigValueError("missing ']' in '\(value)'; \(example)")
            }
            host = value[value.index(after: value.startIndex)..<close]
            let rest = value[value.index(after: close)...]
            guard rest.first == ":" else {
                throw ConfigValueError("missing port in '\(value)'; \(example)")
            }
            portText = rest.dropFirst()
            guard host.contains(":"), host.allSatisfy(Self.isIPv6Character) else {
                throw ConfigValueError("invalid IPv6 address '\(host)' in '\(value)'")
            }
        } else {
            guard let colon = value.lastIndex(of: ":") else {
                throw ConfigValueError("missing port in '\(value)'; \(example)")
            }
            host = value[..<colon]
            portText = value[value.index(after: colon)...]
            if host.contains(":") {
                throw ConfigValueError("IPv6 addresses need brackets, like [::1]:7443; got '\(value)'")
            }
            guard !host.isEmpty else {
                throw ConfigValueError("missing host in '\(value)'; use 0.0.0.0\(value) to listen on all interfaces")
            }
            guard host.allSatisfy(Self.isHostNameCharacter) else {
                throw ConfigValueError("invalid host '\(host)' in '\(value)'; \(example)")
            }
        }
        if portText.isEmpty {
            throw ConfigValueError("missing port in '\(value)'; \(example)")
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ConfigValueError("port '\(portText)' in '\(value)' is not a number")
        }
        guard portText.count <= 5, let port = Int(portText), (0...65_535).contains(port) else {
            throw ConfigValueError("port \(portText) in '\(value)' is out of range 0...65535")
        }
        self.init(host: String(host), port: port)
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isHostNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ".-_".contains(character))
    }

    /// Hex digits and colons, plus dots for an embedded IPv4 address and `%zone` suffixes.
    private static func isIPv6Character(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ":.%-_".contains(character))
    }
}
