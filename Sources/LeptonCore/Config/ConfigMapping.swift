import Logging

/// The entries of a YAML mapping whose keys were checked against an allowed set.
struct ConfigMapping {
    /// One `key: value` pair.
    struct Entry {
        var key: String
        /// The key itself, positioned at the key, with the key path of its value.
        var keyNode: ConfigNode
        var value: ConfigNode
    }

    /// The mapping node; a missing key is reported at its position.
    let node: ConfigNode
    /// Entries in document order.
    let entries: [Entry]

    /// The value of `key`, or `nil` when the key is absent.
    func optional(_ key: String) -> ConfigNode? {
        entries.first(where: { $0.key == key })?.value
    }

    /// The value of `key`; when absent, throws `missing required key` at the mapping's position with the key path
    /// of the missing key.
    func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let value = optional(key) else {
            let keyPath = node.keyPath.isEmpty ? key : "\(node.keyPath).\(key)"
            throw ConfigError(
                file: node.source.file,
                line: node.line,
                column: node.column,
                keyPath: keyPath,
                message: "missing required key '\(key)'"
            )
        }
        return value
    }

    /// Throws at the first key not in `allowed`, with `message(key)` as the error message.
    func rejectKeys(notIn allowed: Set<String>, message: (String) -> String) throws(ConfigError) {
        for entry in entries where !allowed.contains(entry.key) {
            throw entry.keyNode.error(message(entry.key))
        }
    }

    /// The optional `log: { level: ... }` section of either configuration; `info` when absent.
    func logLevel() throws(ConfigError) -> Logger.Level {
        guard let log = optional("log") else { return .info }
        let section = try log.mapping(allowedKeys: ["level"])
        guard let level = section.optional("level") else { return .info }
        return try level.logLevel()
    }
}
