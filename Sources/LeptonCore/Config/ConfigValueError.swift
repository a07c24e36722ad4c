/// A configuration value that does not parse, without any position.
///
/// The value parsers (`Duration(configString:)`, `ByteSize.parse(_:)`, `HostPort(parsing:)`) throw it; the YAML
/// reader wraps the message into a ``ConfigError`` that carries the file, line, column and key path.
public struct ConfigValueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the value, e.g. `missing unit in '10'; expected a duration like 1s or 250ms`.
    public var message: String

    /// Creates an error with an operator-facing message.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
