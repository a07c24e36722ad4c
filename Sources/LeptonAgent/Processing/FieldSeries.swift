import LeptonCore

/// The identity a processor keeps state for: an event name, its tags and one field. (Not the wire's
/// ``LeptonCore/SeriesKey``, which names a stream.)
struct FieldSeries: Hashable, Sendable {
    var name: String
    var tags: Tags
    var field: String

    init(name: String, tags: Tags, field: String) {
        self.name = name
        self.tags = tags
        self.field = field
    }

    /// The series of `field` in `event`.
    init(_ event: Event, field: String) {
        self.init(name: event.name, tags: event.tags, field: field)
    }

    /// The stream the series' records go to, as ``Event/streamName(of:)``.
    var streamName: String {
        field == Event.valueField ? name : "\(name).\(field)"
    }

    /// An event holding only this series' field.
    func event(timestamp: Int64, value: FieldValue, tags: Tags? = nil) -> Event {
        Event(name: name, timestamp: timestamp, tags: tags ?? self.tags, fields: [Event.Field(field, value)])
    }

    /// An event time and the series it belongs to, to order what a processor emits for several series at once.
    typealias Stamped = (timestamp: Int64, series: FieldSeries)

    /// A fixed order for events emitted for several series at once (`advance`, `flush`): by time, then series.
    static func emitsBefore(_ lhs: Stamped, _ rhs: Stamped) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        let (a, b) = (lhs.series, rhs.series)
        if a.name != b.name { return a.name < b.name }
        if a.field != b.field { return a.field < b.field }
        return a.tags.lexicographicallyPrecedes(b.tags) { ($0.key, $0.value) < ($1.key, $1.value) }
    }
}
