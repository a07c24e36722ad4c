import Logging

/// What every node of one configuration document shares.
struct ConfigSource: Sendable {
    /// The file name reported in errors, as the operator named it.
    var file: String
    /// Folder that relative paths resolve against.
    var baseDirectory: String
    /// Whether ``ConfigNode/path(mustBeReadable:)`` checks that referenced files can be read.
    var checkFiles: Bool
}

/// A YAML node together with its key path, read strictly: every accessor throws a ``ConfigError`` pointing at
/// this node when the value has the wrong type or does not parse.
struct ConfigNode {
    /// The YAML node, with its position.
    let node: YAMLNode
    /// Dotted key path, e.g. `sources[1].interval`; empty for the document root.
    let keyPath: String
    let source: ConfigSource

    /// 1-based line of the node.
    var line: Int { node.mark.line }
    /// 1-based column of the node.
    var column: Int { node.mark.column }

    /// An error at this node's position and key path.
    func error(_ message: String) -> ConfigError {
        ConfigError(file: source.file, line: line, column: column, keyPath: keyPath, message: message)
    }

    /// The node of `key` inside this mapping.
    func child(_ key: String, _ value: YAMLNode) -> ConfigNode {
        ConfigNode(node: value, keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)", source: source)
    }

    /// The item at `index` of this sequence (0-based).
    func item(_ index: Int, _ value: YAMLNode) -> ConfigNode {
        ConfigNode(node: value, keyPath: "\(keyPath)[\(index)]", source: source)
    }

    /// Navigates mappings by key without validation; used to locate cross-field errors.
    func find(_ keys: String...) -> ConfigNode? {
        var current = self
        for key in keys {
            guard case .mapping(let mapping) = current.node else { return nil }
            guard let pair = mapping.first(where: { $0.key.scalar?.string == key }) else { return nil }
            current = current.child(key, pair.value)
        }
        return current
    }

    // MARK: - Shape

    /// Whether the node is an empty value, `~` or `null`.
    var isNull: Bool {
        guard case .scalar(let scalar) = node else { return false }
        guard scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What the node holds, for error messages: `'abc'`, `a mapping`, `a list`, `an empty value`.
    var found: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar): return isNull ? "an empty value" : "'\(scalar.string)'"
        }
    }

    /// The keys and values of a mapping, rejecting any key not in `allowedKeys` at the key's position; the error
    /// lists `listing` (default: `allowedKeys`) as the expected keys.
    func mapping(allowedKeys: [String], listing: [String]? = nil) throws(ConfigError) -> ConfigMapping {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping with keys \(allowedKeys.joined(separator: ", ")), found \(found)")
        }
        var entries: [ConfigMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            let keyAt = ConfigNode(node: keyNode, keyPath: keyPath, source: source)
            guard case .scalar(let scalar) = keyNode else {
                throw keyAt.error("mapping keys must be plain words, found \(keyAt.found)")
            }
            let key = scalar.string
            let value = child(key, valueNode)
            let keyNodeAtPath = ConfigNode(node: keyNode, keyPath: value.keyPath, source: source)
            guard allowedKeys.contains(key) else {
                throw keyNodeAtPath.error(Self.unknownKeyMessage(key, allowedKeys: listing ?? allowedKeys))
            }
            entries.append(ConfigMapping.Entry(key: key, keyNode: keyNodeAtPath, value: value))
        }
        return ConfigMapping(node: self, entries: entries)
    }

    /// The items of a sequence.
    func sequence() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, found \(found)") }
        var items: [ConfigNode] = []
        for (index, value) in sequence.enumerated() {
            items.append(item(index, value))
        }
        return items
    }

    // MARK: - Scalars

    /// The text of a scalar; `what` names the expected value in the error (`a string`, `a duration like 1s`).
    func scalarText(expected what: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw error("expected \(what), found \(found)") }
        return scalar.string
    }

    /// A string; empty strings are rejected unless `allowEmpty`.
    func string(allowEmpty: Bool = false) throws(ConfigError) -> String {
        let text = try scalarText(expected: "a string")
        if text.isEmpty, !allowEmpty { throw error("expected a non-empty string") }
        return text
    }

    /// A decimal integer; `_` may group digits (`1_000`).
    func int() throws(ConfigError) -> Int {
        let text = try scalarText(expected: "an integer")
        guard let value = Int(text.filter { $0 != "_" }) else { throw error("expected an integer, found '\(text)'") }
        return value
    }

    /// `true` or `false`.
    func bool() throws(ConfigError) -> Bool {
        let text = try scalarText(expected: "true or false")
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw error("expected true or false, found '\(text)'")
        }
    }

    /// A duration like `250ms` or `1.5s` (see `Duration(configString:)`).
    func duration() throws(ConfigError) -> Duration {
        let text = try scalarText(expected: "a duration like 1s or 250ms")
        do {
            return try Duration(configString: text)
        } catch {
            throw self.error("\(error)")
        }
    }

    /// A duration that must be greater than zero.
    func positiveDuration() throws(ConfigError) -> Duration {
        let value = try duration()
        if value <= .zero { throw error("must be greater than 0") }
        return value
    }

    /// A byte size like `1MiB` or `4096` (see ``ByteSize/parse(_:)``).
    func byteSize() throws(ConfigError) -> Int {
        let text = try scalarText(expected: "a size like 1MiB or 4096")
        do {
            return try ByteSize.parse(text)
        } catch {
            throw self.error("\(error)")
        }
    }

    /// A byte size that must be greater than zero.
    func positiveByteSize() throws(ConfigError) -> Int {
        let value = try byteSize()
        if value <= 0 { throw error("must be greater than 0") }
        return value
    }

    /// An endpoint like `127.0.0.1:7443` or `[::1]:7443` (see ``HostPort/init(parsing:)``).
    func hostPort() throws(ConfigError) -> HostPort {
        let text = try scalarText(expected: "host:port like 127.0.0.1:7443")
        do {
            return try HostPort(parsing: text)
        } catch {
            throw self.error("\(error)")
        }
    }

    /// A file system path, resolved against the configuration file's folder when relative.
    ///
    /// When the document is read with file checks and `mustBeReadable` is set, the file must exist and be
    /// readable: `cannot read /etc/lepton/ca.pem: No such file or directory`.
    func path(mustBeReadable: Bool = false) throws(ConfigError) -> String {
        let text = try scalarText(expected: "a path")
        if text.isEmpty { throw error("expected a non-empty path") }
        if text.contains("\0") { throw error("a path cannot contain a NUL character") }
        let resolved = ConfigPath.resolve(text, against: source.baseDirectory)
        if mustBeReadable, source.checkFiles, let problem = ConfigPath.readProblem(resolved) {
            throw error("cannot read \(resolved): \(problem)")
        }
        return resolved
    }

    /// One of the raw values of `T`; `what` names the value in the error (`unknown log level 'x'`).
    func choice<T>(_ type: T.Type, what: String) throws(ConfigError) -> T
    where T: RawRepresentable & CaseIterable, T.RawValue == String {
        let text = try scalarText(expected: "a \(what)")
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map { $0.rawValue }.joined(separator: ", ")
            throw error("unknown \(what) '\(text)'; expected one of: \(names)")
        }
        return value
    }

    /// A name of 1 to `maxLength` characters from `A-Z a-z 0-9 . _ -`.
    func identifier(maxLength: Int, what: String) throws(ConfigError) -> String {
        let text = try string()
        let valid =
            text.count <= maxLength
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
        guard valid else {
            throw error("invalid \(what) '\(text)'; use 1 to \(maxLength) characters from A-Z, a-z, 0-9, '.', '_', '-'")
        }
        return text
    }

    /// A `log` level: trace, debug, info, notice, warning, error or critical.
    func logLevel() throws(ConfigError) -> Logger.Level {
        try choice(Logger.Level.self, what: "log level")
    }

    // MARK: - Messages

    static func unknownKeyMessage(_ key: String, allowedKeys: [String]) -> String {
        let expected = allowedKeys.sorted().joined(separator: ", ")
        var hint = ""
        if let suggestion = allowedKeys.min(by: { editDistance(key, $0) < editDistance(key, $1) }),
            editDistance(key, suggestion) <= 2
        {
            hint = " (did you mean '\(suggestion)'?)"
        }
        return "unknown key '\(key)'\(hint); expected one of: \(expected)"
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension ConfigNode {
    /// The entries of a mapping whose keys are names chosen by the operator (processor names, tag keys).
    func freeMapping() throws(ConfigError) -> [ConfigMapping.Entry] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping, found \(found)") }
        var entries: [ConfigMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            let keyAt = ConfigNode(node: keyNode, keyPath: keyPath, source: source)
            guard case .scalar(let scalar) = keyNode else {
                throw keyAt.error("mapping keys must be plain words, found \(keyAt.found)")
            }
            let value = child(scalar.string, valueNode)
            entries.append(
                ConfigMapping.Entry(
                    key: scalar.string,
                    keyNode: ConfigNode(node: keyNode, keyPath: value.keyPath, source: source),
                    value: value
                )
            )
        }
        return entries
    }
}

extension ConfigNode {
    /// A non-empty list of non-empty strings; an empty list is the error `emptyMessage`.
    func nonEmptyStrings(orElse emptyMessage: String) throws(ConfigError) -> [String] {
        let items = try sequence()
        if items.isEmpty { throw error(emptyMessage) }
        var strings: [String] = []
        for item in items {
            strings.append(try item.string())
        }
        return strings
    }

    /// One path, or a non-empty list of them.
    func paths() throws(ConfigError) -> [String] {
        guard case .sequence = node else { return [try path()] }
        let items = try sequence()
        if items.isEmpty { throw error("expected at least one path") }
        var paths: [String] = []
        for item in items { paths.append(try item.path()) }
        return paths
    }

    /// A finite decimal number such as `0.001`, `-40` or `1e3`; `_` may group digits.
    func finiteNumber() throws(ConfigError) -> Double {
        let text = try scalarText(expected: "a number")
        guard let value = Double(text.filter { $0 != "_" }), value.isFinite else {
            throw error("expected a number, found '\(text)'")
        }
        return value
    }
}
