import LeptonCore

extension Event {
    /// The event with only the fields `keep` accepts: the event itself when it keeps them all, nil when it keeps
    /// none (an event without fields is not passed on).
    func keepingFields(_ keep: (Field) -> Bool) -> Event? {
        var kept: [Field] = []
        var removedAny = false
        for index in fields.indices {
            let field = fields[index]
            if keep(field) {
                if removedAny { kept.append(field) }
            } else if !removedAny {
                removedAny = true
                kept.reserveCapacity(fields.count - 1)
                kept.append(contentsOf: fields[..<index])
            }
        }
        guard removedAny else { return self }
        guard !kept.isEmpty else { return nil }
        var event = self
        event.fields = kept
        return event
    }
}

extension FieldValue {
    /// The value as text, for text comparisons and tags: whole numbers without a decimal point (`30`), other
    /// numbers in Swift's shortest form (`21.5`), booleans as `true` and `false`.
    var formattedText: String {
        switch self {
        case .text(let text):
            return text
        case .bool(let value):
            return value ? "true" : "false"
        case .number(let value):
            return value.shortText
        }
    }
}

/// Nanosecond arithmetic that saturates instead of trapping on timestamps a parser got wrong.
enum ProcessorTime {
    /// `to - from`, clamped to the range of `Int64`.
    static func elapsed(from: Int64, to: Int64) -> Int64 {
        let (difference, overflow) = to.subtractingReportingOverflow(from)
        guard overflow else { return difference }
        return to > from ? .max : .min
    }

    /// `time + duration`, clamped to the range of `Int64`.
    static func adding(_ duration: Int64, to time: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(duration)
        guard overflow else { return sum }
        return duration > 0 ? .max : .min
    }

    /// Whole nanoseconds of `duration`, saturating.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return adding(attoseconds / 1_000_000_000, to: scaled)
    }
}
