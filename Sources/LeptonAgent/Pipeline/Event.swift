import LeptonCore

/// What a parser makes of one line (or a sensor of one file) before the processors run: a name, tags and
/// named fields sharing one timestamp, like an InfluxDB point.
///
/// Each field becomes one ``Record`` when the event leaves the processors: its stream is ``streamName(of:)``,
/// its tags the event's tags.
struct Event: Sendable, Hashable {
    /// One named value.
    struct Field: Sendable, Hashable {
        var name: String
        var value: FieldValue

        init(_ name: String, _ value: FieldValue) {
            self.name = name
            self.value = value
        }
    }

    /// The stream prefix: the source's name unless the parser says otherwise (an influx measurement).
    var name: String
    /// Nanoseconds since the epoch.
    var timestamp: Int64
    var tags: Tags
    /// Fields in the order the parser found them; names unique.
    var fields: [Field]

    init(name: String, timestamp: Int64, tags: Tags = Tags(), fields: [Field]) {
        self.name = name
        self.timestamp = timestamp
        self.tags = tags
        self.fields = fields
    }

    /// The field named `value` is the event's own stream (`name`); any other field is `name.field`.
    static let valueField = "value"

    /// The stream a field's record goes to: `name` for the field `value`, else `name.field`.
    func streamName(of field: String) -> String {
        field == Self.valueField ? name : "\(name).\(field)"
    }

    /// The value of the field `name`, if any.
    subscript(field name: String) -> FieldValue? {
        fields.first(where: { $0.name == name })?.value
    }
}

/// A field's value. Booleans travel as the numbers 0 and 1.
enum FieldValue: Sendable, Hashable {
    case number(Double)
    case text(String)
    case bool(Bool)

    /// The value as a number: numbers, booleans as 0 or 1; nil for text.
    var number: Double? {
        switch self {
        case .number(let value): return value
        case .bool(let value): return value ? 1 : 0
        case .text: return nil
        }
    }

    /// The record value it ships as.
    var recordValue: Record.Value {
        switch self {
        case .number(let value): return .number(value)
        case .bool(let value): return .number(value ? 1 : 0)
        case .text(let value): return .text(value)
        }
    }
}

extension Event {
    /// Appends one record per field to `records`.
    func appendRecords(to records: inout [Record]) {
        for field in fields {
            records.append(
                Record(
                    stream: streamName(of: field.name),
                    tags: tags,
                    timestamp: timestamp,
                    value: field.value.recordValue
                )
            )
        }
    }
}
