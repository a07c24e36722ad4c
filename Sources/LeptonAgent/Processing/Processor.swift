import LeptonCore

/// One step of a source's processor chain (`processors:`): takes events, passes on what it keeps or makes.
///
/// Processors are pure state machines: time comes in as arguments (nanoseconds since the epoch), never from a
/// clock, so tests drive them with exact timestamps. Records a processor holds back or removes are counted in
/// ``ProcessorDrops`` with a reason, per stream (``Event/streamName(of:)``).
protocol Processor {
    /// Handles one event read at wall-clock time `now`: appends what it becomes (nothing, the event, a changed
    /// event, or events it had held back) to `output`, and counts every record (field value) it removes in `drops`.
    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops)

    /// Time passed without events: emits what is due by `now` (an aggregate window that has closed).
    mutating func advance(to now: Int64, into output: inout [Event])

    /// The source is stopping: emits everything still held back (an open aggregate window).
    mutating func flush(into output: inout [Event])
}

extension Processor {
    mutating func advance(to now: Int64, into output: inout [Event]) {}
    mutating func flush(into output: inout [Event]) {}
}

/// Records a processor removed, by stream and reason.
struct ProcessorDrops: Sendable {
    struct Key: Hashable, Sendable {
        var stream: String
        var reason: String
    }

    private(set) var counts: [Key: Int] = [:]

    mutating func add(stream: String, reason: String, count: Int = 1) {
        guard count > 0 else { return }
        counts[Key(stream: stream, reason: reason), default: 0] += count
    }

    var total: Int { counts.values.reduce(0, +) }

    mutating func removeAll() {
        counts.removeAll(keepingCapacity: true)
    }
}
