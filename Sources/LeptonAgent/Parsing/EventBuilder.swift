import LeptonCore

/// The parts of a parser's configuration that apply to every record's fields, prepared once.
struct FieldRules: Sendable {
    /// The field holding the event time, and its format.
    var timestamp: ParserConfig.Timestamp?
    /// Fields that become tags.
    var tags: Set<String>
    /// Fields converted to a type instead of the guessed one.
    var types: [String: ParserConfig.FieldType]

    init(
        timestamp: ParserConfig.Timestamp? = nil,
        tags: Set<String> = [],
        types: [String: ParserConfig.FieldType] = [:]
    ) {
        self.timestamp = timestamp
        self.tags = tags
        self.types = types
    }

    init(_ config: ParserConfig) {
        self.init(timestamp: config.timestamp, tags: Set(config.tags), types: config.types)
    }

    /// No timestamp field, tags or types.
    static let none = FieldRules()
}

/// Collects the fields of one record as a parser finds them, applying the ``FieldRules``: the timestamp field
/// is read and removed, tag fields become tags, typed fields are converted.
///
/// A problem with a value does not stop the scanner that feeds the builder: the first one is kept and
/// ``result(name:readTime:)`` reports it, so a JSON array can go on with its next object.
struct EventBuilder {
    let rules: FieldRules
    private(set) var fields: [Event.Field] = []
    private(set) var tags = Tags()
    private(set) var timestamp: Int64?
    /// The first problem found; later values are ignored.
    private(set) var error: ParseError?

    init(rules: FieldRules) {
        self.rules = rules
        fields.reserveCapacity(8)
    }

    /// Records a problem unless one is already recorded.
    mutating func fail(_ error: ParseError) {
        if self.error == nil { self.error = error }
    }

    /// A value whose type is guessed from its text (csv, logfmt, regex). An empty value is left out.
    mutating func add(_ name: String, inferred bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard error == nil else { return }
        if let timestamp = rules.timestamp, timestamp.field == name {
            readTimestamp(bytes, range, format: timestamp.format)
        } else if isTag(name) {
            if !range.isEmpty { addTag(name, ByteText.string(bytes, range)) }
        } else if let type = configuredType(of: name) {
            guard !range.isEmpty else { return }
            guard let value = ValueCoercion.coerce(bytes, range, to: type) else {
                return fail(
                    ParseError("field '\(name)' is not a valid \(type.rawValue): \(ByteText.quoted(bytes, range))")
                )
            }
            append(name, value)
        } else if let value = ValueCoercion.infer(bytes, range) {
            append(name, value)
        }
    }

    /// A JSON string: text unless `types` says otherwise.
    mutating func add(_ name: String, string: String) {
        guard error == nil else { return }
        if let timestamp = rules.timestamp, timestamp.field == name {
            var text = string
            text.withUTF8 { bytes in readTimestamp(bytes, 0..<bytes.count, format: timestamp.format) }
        } else if isTag(name) {
            if !string.isEmpty { addTag(name, string) }
        } else if let type = configuredType(of: name), type != .string {
            var text = string
            let value = text.withUTF8 { bytes in ValueCoercion.coerce(bytes, 0..<bytes.count, to: type) }
            guard let value else {
                return fail(ParseError("field '\(name)' is not a valid \(type.rawValue): \(ByteText.quoted(string))"))
            }
            append(name, value)
        } else {
            append(name, .text(string))
        }
    }

    /// A JSON number; `bytes[literal]` is its text.
    mutating func add(_ name: String, number: Double, literal bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard error == nil else { return }
        if let timestamp = rules.timestamp, timestamp.field == name {
            readTimestamp(bytes, range, format: timestamp.format)
        } else if isTag(name) {
            addTag(name, number.shortText)
        } else if let type = configuredType(of: name) {
            guard let value = ValueCoercion.coerce(number: number, literal: bytes, range, to: type) else {
                return fail(
                    ParseError("field '\(name)' is not a valid \(type.rawValue): \(ByteText.quoted(bytes, range))")
                )
            }
            append(name, value)
        } else {
            append(name, .number(number))
        }
    }

    /// A boolean: JSON `true`/`false`, or a logfmt key without a value.
    mutating func add(_ name: String, bool: Bool) {
        guard error == nil else { return }
        if let timestamp = rules.timestamp, timestamp.field == name {
            fail(ParseError("timestamp field '\(timestamp.field)' holds \(bool), not a time"))
        } else if isTag(name) {
            addTag(name, bool ? "true" : "false")
        } else if let type = configuredType(of: name) {
            append(name, ValueCoercion.coerce(bool: bool, to: type))
        } else {
            append(name, .bool(bool))
        }
    }

    /// The event, or the first problem: a bad value, a missing timestamp field, or no fields at all.
    func result(name: String, readTime: Int64) -> Result<Event, ParseError> {
        if let error { return .failure(error) }
        if let timestamp = rules.timestamp, self.timestamp == nil {
            return .failure(ParseError("missing timestamp field '\(timestamp.field)'"))
        }
        if fields.isEmpty { return .failure(ParseError("the record has no field values")) }
        return .success(Event(name: name, timestamp: self.timestamp ?? readTime, tags: tags, fields: fields))
    }

    /// ``result(name:readTime:)`` as a throwing call.
    func event(name: String, readTime: Int64) throws(ParseError) -> Event {
        try result(name: name, readTime: readTime).get()
    }

    private func isTag(_ name: String) -> Bool {
        !rules.tags.isEmpty && rules.tags.contains(name)
    }

    private func configuredType(of name: String) -> ParserConfig.FieldType? {
        rules.types.isEmpty ? nil : rules.types[name]
    }

    private mutating func append(_ name: String, _ value: FieldValue) {
        if name.isEmpty { return fail(ParseError("a field has an empty name")) }
        if fields.contains(where: { $0.name == name }) { return fail(ParseError("duplicate field '\(name)'")) }
        fields.append(Event.Field(name, value))
    }

    private mutating func addTag(_ name: String, _ value: String) {
        if tags[name] != nil { return fail(ParseError("duplicate field '\(name)'")) }
        tags[name] = value
    }

    private mutating func readTimestamp(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        format: ParserConfig.TimestampFormat
    ) {
        guard let field = rules.timestamp?.field else { return }
        if timestamp != nil { return fail(ParseError("duplicate timestamp field '\(field)'")) }
        do throws(ParseError) {
            timestamp = try TimestampParser.parse(bytes, range, format: format)
        } catch {
            fail(ParseError("timestamp field '\(field)': \(error.message)"))
        }
    }
}
