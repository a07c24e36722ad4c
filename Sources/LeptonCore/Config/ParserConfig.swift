/// How a source turns each line it reads (or a command's whole output) into events (`parser:`).
///
/// Written either as a format name (`parser: json`) or as a mapping with `type` and the keys of that format. The
/// reference for operators is `docs/parsers.md`.
public struct ParserConfig: Sendable, Hashable {
    /// The values of `type`.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// The line as text, in the field `value`.
        case text
        /// The line as a decimal number, in the field `value`.
        case number
        /// One JSON object per line; nested keys are flattened with dots.
        case json
        /// Comma-separated values with RFC 4180 quoting; columns named by `columns` or the header line.
        case csv
        /// `key=value key2="quoted value" flag` pairs.
        case logfmt
        /// InfluxDB line protocol; the measurement names the event.
        case influx
        /// A regular expression whose named groups become fields.
        case regex
    }

    /// The format together with the settings only it has.
    public enum Kind: Sendable, Hashable {
        case text
        case number
        case json
        /// `columns` nil: the first line is the header. `delimiter` is one ASCII character.
        case csv(columns: [String]?, delimiter: Character)
        case logfmt
        /// `precision` is the unit of the timestamp at the end of a line.
        case influx(precision: Precision)
        /// `pattern` compiles as a Swift `Regex` and has at least one named group.
        case regex(pattern: String)
    }

    /// The values of `timestamp.format`.
    public enum TimestampFormat: String, Sendable, Hashable, CaseIterable {
        /// `2026-11-29T12:00:00Z`, `2026-11-29T12:00:00.123456789+01:00`.
        case rfc3339
        /// Seconds since the epoch, possibly fractional.
        case unix
        /// Milliseconds since the epoch.
        case unixMilliseconds = "unix_ms"
        /// Microseconds since the epoch.
        case unixMicroseconds = "unix_us"
        /// Nanoseconds since the epoch.
        case unixNanoseconds = "unix_ns"

        /// Nanoseconds in one unit of a `unix` format; 1 for `rfc3339`, which has no unit.
        public var nanosecondsPerUnit: Int64 {
            switch self {
            case .rfc3339, .unixNanoseconds: return 1
            case .unix: return 1_000_000_000
            case .unixMilliseconds: return 1_000_000
            case .unixMicroseconds: return 1_000
            }
        }
    }

    /// Where an event's time comes from (`timestamp:`); without it, events carry the time the line was read.
    public struct Timestamp: Sendable, Hashable {
        /// The field holding the time; it is removed from the event's fields.
        public var field: String
        public var format: TimestampFormat

        public init(field: String, format: TimestampFormat) {
            self.field = field
            self.format = format
        }
    }

    /// The values of `types:`, the type a field is converted to.
    public enum FieldType: String, Sendable, Hashable, CaseIterable {
        /// A whole number (stored as a number).
        case int
        /// Any decimal number.
        case float
        /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
        case bool
        /// Kept as text, even when it looks like a number (`007`).
        case string
    }

    /// The values of `precision:`, the unit of an influx line's timestamp.
    public enum Precision: String, Sendable, Hashable, CaseIterable {
        case ns
        case us
        case ms
        case s

        /// Nanoseconds in one unit.
        public var nanosecondsPerUnit: Int64 {
            switch self {
            case .ns: return 1
            case .us: return 1_000
            case .ms: return 1_000_000
            case .s: return 1_000_000_000
            }
        }
    }

    /// The format and its own settings.
    public var kind: Kind
    /// Where the event time comes from; nil means the time the line was read.
    public var timestamp: Timestamp?
    /// Fields that become tags (their value as text) instead of fields.
    public var tags: [String]
    /// Fields converted to a type instead of the type guessed from their text.
    public var types: [String: FieldType]

    public init(kind: Kind, timestamp: Timestamp? = nil, tags: [String] = [], types: [String: FieldType] = [:]) {
        self.kind = kind
        self.timestamp = timestamp
        self.tags = tags
        self.types = types
    }

    /// A parser of `format` with that format's defaults: a csv header from the first line, `,` as delimiter, influx
    /// timestamps in nanoseconds. A regex parser needs its pattern: use ``init(kind:timestamp:tags:types:)``.
    public init(format: Format) {
        self.init(kind: format.defaultKind)
    }

    /// The default parser: each line as text.
    public static let text = ParserConfig(kind: .text)
    /// `number`: the trimmed line is one decimal number, the stream's value.
    public static let number = ParserConfig(kind: .number)

    /// The `delimiter` of a csv parser when the key is absent.
    public static let defaultDelimiter: Character = ","

    /// The `type` of this parser.
    public var format: Format {
        switch kind {
        case .text: return .text
        case .number: return .number
        case .json: return .json
        case .csv: return .csv
        case .logfmt: return .logfmt
        case .influx: return .influx
        case .regex: return .regex
        }
    }

    /// The `type` name, for messages: `json`, `csv`, ...
    public var formatName: String { format.rawValue }
}

extension ParserConfig.Format {
    /// Keys a parser of this format may have.
    var keys: Set<String> {
        switch self {
        case .text, .number: return ["type"]
        case .json, .logfmt: return ["type", "timestamp", "tags", "types"]
        case .csv: return ["type", "timestamp", "tags", "types", "columns", "delimiter"]
        case .regex: return ["type", "timestamp", "tags", "types", "pattern"]
        case .influx: return ["type", "precision"]
        }
    }

    /// The kind of a parser of this format written without settings.
    var defaultKind: ParserConfig.Kind {
        switch self {
        case .text: return .text
        case .number: return .number
        case .json: return .json
        case .csv: return .csv(columns: nil, delimiter: ParserConfig.defaultDelimiter)
        case .logfmt: return .logfmt
        case .influx: return .influx(precision: .ns)
        case .regex: return .regex(pattern: "")
        }
    }
}

extension ParserConfig {
    /// Every key some parser format accepts; anything else is an unknown key.
    static let allKeys = ["type", "timestamp", "tags", "types", "columns", "delimiter", "pattern", "precision"]

    /// Reads `parser: json` or `parser: { type: csv, ... }`.
    init(config node: ConfigNode) throws(ConfigError) {
        guard case .mapping = node.node else {
            let format = try node.choice(Format.self, what: "parser type")
            if format == .regex {
                throw node.error("a regex parser needs a pattern; write parser: { type: regex, pattern: '...' }")
            }
            self.init(kind: format.defaultKind)
            return
        }
        let map = try node.mapping(allowedKeys: Self.allKeys)
        let format = try map.required("type").choice(Format.self, what: "parser type")
        try map.rejectKeys(notIn: format.keys) { "key '\($0)' is not valid for a parser of type \(format.rawValue)" }

        var kind = format.defaultKind
        // The field names a record can have, when the configuration alone tells: csv columns, regex groups.
        var fieldCheck: FieldCheck?
        switch format {
        case .csv:
            var columns: [String]?
            if let value = map.optional("columns") {
                let names = try Self.readColumns(value)
                columns = names
                fieldCheck = FieldCheck(
                    isKnown: { names.contains($0) },
                    message: { "'\($0)' is not one of the columns (\(names.joined(separator: ", ")))" }
                )
            }
            var delimiter = Self.defaultDelimiter
            if let value = map.optional("delimiter") {
                delimiter = try Self.readDelimiter(value)
            }
            kind = .csv(columns: columns, delimiter: delimiter)
        case .regex:
            let value = try map.required("pattern")
            let pattern = try value.string()
            let regex = try Self.compile(pattern, at: value)
            kind = .regex(pattern: pattern)
            fieldCheck = FieldCheck(
                isKnown: { regex.contains(captureNamed: $0) },
                message: { "the pattern has no named group '\($0)'" }
            )
        case .influx:
            if let value = map.optional("precision") {
                let precision = try value.choice(Precision.self, what: "precision")
                kind = .influx(precision: precision)
            }
        case .text, .number, .json, .logfmt:
            break
        }

        let timestamp = try Self.readTimestamp(map.optional("timestamp"), check: fieldCheck)
        let tags = try Self.readTags(map.optional("tags"), timestamp: timestamp, check: fieldCheck)
        let types = try Self.readTypes(map.optional("types"), timestamp: timestamp, tags: tags, check: fieldCheck)
        self.init(kind: kind, timestamp: timestamp, tags: tags, types: types)
    }

    /// Checks that a field named in `timestamp`, `tags` or `types` can occur.
    private struct FieldCheck {
        var isKnown: (String) -> Bool
        var message: (String) -> String

        func check(_ name: String, at node: ConfigNode) throws(ConfigError) {
            if !isKnown(name) { throw node.error(message(name)) }
        }
    }

    private static func readColumns(_ node: ConfigNode) throws(ConfigError) -> [String] {
        var names: [String] = []
        for item in try node.sequence() {
            let name = try item.string()
            if names.contains(name) { throw item.error("duplicate column '\(name)'") }
            names.append(name)
        }
        if names.isEmpty { throw node.error("expected at least one column name") }
        return names
    }

    private static func readDelimiter(_ node: ConfigNode) throws(ConfigError) -> Character {
        let text = try node.string(allowEmpty: true)
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != 0x22, bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw node.error("expected one ASCII character other than '\"' such as ',', ';' or a tab, found '\(text)'")
        }
        return Character(Unicode.Scalar(bytes[0]))
    }

    /// The compiled pattern; it must have at least one named group.
    private static func compile(_ pattern: String, at node: ConfigNode) throws(ConfigError) -> Regex<AnyRegexOutput> {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw node.error("invalid regular expression: \(error)")
        }
        if !namedGroupCandidates(in: pattern).contains(where: { regex.contains(captureNamed: $0) }) {
            throw node.error("the pattern has no named group; name each part to keep, like (?<level>\\w+)")
        }
        return regex
    }

    /// Names written as `(?<name>`, `(?'name'` or `(?P<name>` outside character classes and escapes (a lookbehind
    /// `(?<=` is no name). The caller confirms each against the compiled regex, so an odd construct this scan
    /// misreads is never taken for a group.
    static func namedGroupCandidates(in pattern: String) -> [String] {
        let scalars = Array(pattern.unicodeScalars)
        var names: [String] = []
        var index = 0
        var inClass = false
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\" {
                index += 2
                continue
            }
            if inClass {
                if scalar == "]" { inClass = false }
                index += 1
                continue
            }
            if scalar == "[" {
                inClass = true
            } else if scalar == "(", index + 2 < scalars.count, scalars[index + 1] == "?" {
                var start = index + 2
                if scalars[start] == "P" { start += 1 }
                if start < scalars.count, scalars[start] == "<" || scalars[start] == "'" {
                    let close: Unicode.Scalar = scalars[start] == "<" ? ">" : "'"
                    var name = ""
                    var end = start + 1
                    while end < scalars.count,
                        scalars[end] == "_" || scalars[end].properties.isAlphabetic
                            || ("0"..."9").contains(scalars[end])
                    {
                        name.unicodeScalars.append(scalars[end])
                        end += 1
                    }
                    if !name.isEmpty, end < scalars.count, scalars[end] == close { names.append(name) }
                }
            }
            index += 1
        }
        return names
    }

    private static func readTimestamp(_ node: ConfigNode?, check: FieldCheck?) throws(ConfigError) -> Timestamp? {
        guard let node else { return nil }
        let section = try node.mapping(allowedKeys: ["field", "format"])
        let fieldNode = try section.required("field")
        let field = try fieldNode.string()
        try check?.check(field, at: fieldNode)
        let format = try section.required("format").choice(TimestampFormat.self, what: "timestamp format")
        return Timestamp(field: field, format: format)
    }

    private static func readTags(
        _ node: ConfigNode?,
        timestamp: Timestamp?,
        check: FieldCheck?
    ) throws(ConfigError) -> [String] {
        guard let node else { return [] }
        var tags: [String] = []
        for item in try node.sequence() {
            let tag = try item.string()
            if tags.contains(tag) { throw item.error("duplicate tag '\(tag)'") }
            if tag == timestamp?.field { throw item.error("'\(tag)' is the timestamp field; it cannot also be a tag") }
            try check?.check(tag, at: item)
            tags.append(tag)
        }
        return tags
    }

    private static func readTypes(
        _ node: ConfigNode?,
        timestamp: Timestamp?,
        tags: [String],
        check: FieldCheck?
    ) throws(ConfigError) -> [String: FieldType] {
        guard let node else { return [:] }
        guard case .mapping(let mapping) = node.node else {
            throw node.error("expected a mapping of field names to types like { code: int }, found \(node.found)")
        }
        var types: [String: FieldType] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let scalar) = keyNode, !scalar.string.isEmpty else {
                let keyAt = ConfigNode(node: keyNode, keyPath: node.keyPath, source: node.source)
                throw keyAt.error("expected a field name, found \(keyAt.found)")
            }
            let field = scalar.string
            let value = node.child(field, valueNode)
            let keyAt = ConfigNode(node: keyNode, keyPath: value.keyPath, source: node.source)
            if field == timestamp?.field {
                throw keyAt.error("'\(field)' is the timestamp field; its format is set by timestamp.format")
            }
            if tags.contains(field) { throw keyAt.error("'\(field)' is a tag; tags are always text") }
            try check?.check(field, at: keyAt)
            types[field] = try value.choice(FieldType.self, what: "field type")
        }
        return types
    }
}
