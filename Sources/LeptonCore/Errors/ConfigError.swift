/// A configuration problem, located precisely enough for an operator to fix it:
/// `agent.yaml:12:5: collector.tls.ca: file not found: /etc/lepton/ca.pem`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The configuration file, as the operator named it.
    public var file: String
    /// 1-based line of the offending node, or 0 when the problem is about the file as a whole.
    public var line: Int
    /// 1-based column of the offending node, or 0 when unknown.
    public var column: Int
    /// Dotted key path, e.g. `sources[1].interval`; empty for the document root.
    public var keyPath: String
    /// What is wrong, in words an operator understands.
    public var message: String

    public init(file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var location = file
        if line > 0 {
            location += ":\(line)"
            if column > 0 { location += ":\(column)" }
        }
        let key = keyPath.isEmpty ? "" : " \(keyPath):"
        return "\(location):\(key) \(message)"
    }
}
