import LeptonCore

/// Swinging-door compression (`swinging_door`), as in OSIsoft PI, with a strict bound: linear interpolation between
/// the points it passes reproduces every value read within `max_error`.
///
/// Per series it keeps the last point passed (archived) and the most recent point (held). The door is the range of
/// slopes from the archived point that pass within `max_error` of every point read since. A new point is held when
/// the segment from the archived point to it lies in the door (so that segment could replace every point between);
/// otherwise the held point is passed, as an event of its own with its own timestamp, and the door restarts from it.
/// Classic swinging door only asks that the door stay open, which can put the archived segment more than
/// `max_error` away from a point in between; this check never does.
///
/// The first point, a point whose timestamp is not after the series' previous one, a non-finite value, and a point
/// arriving once the last point passed is `max_silence` old pass at once. ``flush(into:)`` passes every held point.
/// A held point replaced by a newer one is counted as `swinging_door`. Text fields, and fields not listed in
/// `fields`, pass untouched.
struct SwingingDoorProcessor: Processor {
    static let reason = "swinging_door"

    /// A point read but not passed yet.
    struct Point {
        var timestamp: Int64
        var value: FieldValue
        var number: Double
    }

    /// A series' door.
    struct State {
        /// The last point passed.
        var archivedTimestamp: Int64
        var archivedNumber: Double
        /// The most recent point, when it was not passed.
        var held: Point?
        /// Slopes (value per nanosecond) from the archived point that pass within the error of every point since.
        var lower: Double
        var upper: Double

        init(archiving timestamp: Int64, _ number: Double) {
            archivedTimestamp = timestamp
            archivedNumber = number
            held = nil
            lower = -.infinity
            upper = .infinity
        }
    }

    /// What one point does to its series.
    struct Outcome {
        /// The point passes now, in its own event.
        var passes: Bool
        /// An earlier point to pass before the event, as an event of its own.
        var archived: Point?
        /// A held point was replaced and is lost.
        var discarded: Bool
    }

    let maxError: Double
    let maxSilence: Int64
    /// The fields compressed; nil means all.
    let fields: Set<String>?
    private(set) var states: [FieldSeries: State] = [:]

    init(_ config: SwingingDoorConfig) {
        maxError = config.maxError
        maxSilence = ProcessorTime.nanoseconds(config.maxSilence)
        fields = config.fields.map { Set($0) }
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        let maxError = self.maxError
        let maxSilence = self.maxSilence
        let fields = self.fields
        let kept = event.keepingFields { field in
            guard let number = field.value.number, fields?.contains(field.name) ?? true else { return true }
            let series = FieldSeries(event, field: field.name)
            let point = Point(timestamp: event.timestamp, value: field.value, number: number)
            let outcome = Self.feed(point, state: &states[series], maxError: maxError, maxSilence: maxSilence)
            if let archived = outcome.archived {
                output.append(series.event(timestamp: archived.timestamp, value: archived.value))
            }
            if outcome.discarded {
                drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
            }
            return outcome.passes
        }
        if let kept { output.append(kept) }
    }

    mutating func flush(into output: inout [Event]) {
        var held: [(series: FieldSeries, point: Point)] = []
        for (series, state) in states {
            if let point = state.held { held.append((series, point)) }
        }
        held.sort { FieldSeries.emitsBefore(($0.point.timestamp, $0.series), ($1.point.timestamp, $1.series)) }
        for (series, point) in held {
            states[series] = State(archiving: point.timestamp, point.number)
            output.append(series.event(timestamp: point.timestamp, value: point.value))
        }
    }

    /// Feeds one point to its series' door.
    static func feed(_ point: Point, state: inout State?, maxError: Double, maxSilence: Int64) -> Outcome {
        let pass = Outcome(passes: true, archived: nil, discarded: false)
        guard var door = state else {
            state = State(archiving: point.timestamp, point.number)
            return pass
        }
        let latest = door.held?.timestamp ?? door.archivedTimestamp
        guard point.number.isFinite, door.archivedNumber.isFinite, point.timestamp > latest else {
            // Restart from this point, after passing the held one: the bound holds on both sides.
            state = State(archiving: point.timestamp, point.number)
            return Outcome(passes: true, archived: door.held, discarded: false)
        }

        var archived: Point?
        if ProcessorTime.elapsed(from: door.archivedTimestamp, to: point.timestamp) >= maxSilence {
            if let held = door.held {
                archived = held
                door = State(archiving: held.timestamp, held.number)
            }
            if ProcessorTime.elapsed(from: door.archivedTimestamp, to: point.timestamp) >= maxSilence {
                state = State(archiving: point.timestamp, point.number)
                return Outcome(passes: true, archived: archived, discarded: false)
            }
        }

        let span = Double(ProcessorTime.elapsed(from: door.archivedTimestamp, to: point.timestamp))
        let slope = (point.number - door.archivedNumber) / span
        if slope >= door.lower, slope <= door.upper {
            // The segment to this point covers every point since the archived one: hold it.
            let discarded = door.held != nil
            door.held = point
            door.lower = Swift.max(door.lower, (point.number - maxError - door.archivedNumber) / span)
            door.upper = Swift.min(door.upper, (point.number + maxError - door.archivedNumber) / span)
            state = door
            return Outcome(passes: false, archived: archived, discarded: discarded)
        }

        // The door closed: pass the held point and restart the door from it, holding this point.
        guard let held = door.held else {
            // Only a degenerate slope (overflow) gets here without a held point: pass the point itself.
            state = State(archiving: point.timestamp, point.number)
            return Outcome(passes: true, archived: archived, discarded: false)
        }
        var restarted = State(archiving: held.timestamp, held.number)
        let restartSpan = Double(ProcessorTime.elapsed(from: held.timestamp, to: point.timestamp))
        restarted.held = point
        restarted.lower = (point.number - maxError - held.number) / restartSpan
        restarted.upper = (point.number + maxError - held.number) / restartSpan
        state = restarted
        return Outcome(passes: false, archived: held, discarded: false)
    }
}
