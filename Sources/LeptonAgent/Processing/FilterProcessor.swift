import LeptonCore

/// Keeps or drops whole events by a condition (`filter`); every field of a dropped event counts as `filtered`.
///
/// `==`, `!=`, `in` and `not_in` compare numerically when the configured value is a number and the subject reads
/// as one (a number or boolean field, or text such as a tag `30`), else as text (numbers written as `30` or
/// `21.5`, booleans as `true` and `false`). The ordering operators are false for a subject that is not a number;
/// `matches` searches the subject's text.
struct FilterProcessor: Processor {
    static let reason = "filtered"

    /// ``FilterCondition`` with its regular expressions compiled.
    enum Condition {
        case compare(FilterSubject, FilterOperation, Regex<AnyRegexOutput>?)
        case all([Condition])
        case any([Condition])
        indirect case not(Condition)

        init(_ condition: FilterCondition) {
            switch condition {
            case .compare(let subject, let operation):
                var regex: Regex<AnyRegexOutput>?
                if case .matches(let pattern) = operation { regex = pattern.compiled() }
                self = .compare(subject, operation, regex)
            case .all(let conditions): self = .all(conditions.map { Condition($0) })
            case .any(let conditions): self = .any(conditions.map { Condition($0) })
            case .not(let condition): self = .not(Condition(condition))
            }
        }
    }

    let action: FilterConfig.Action
    let condition: Condition

    init(_ config: FilterConfig) {
        action = config.action
        condition = Condition(config.condition)
    }

    func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        if Self.holds(condition, for: event) == (action == .keep) {
            output.append(event)
            return
        }
        for field in event.fields {
            drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
        }
    }

    /// Whether `condition` holds for `event`.
    static func holds(_ condition: Condition, for event: Event) -> Bool {
        switch condition {
        case .compare(let subject, let operation, let regex):
            let value: FieldValue?
            switch subject {
            case .field(let name): value = event[field: name]
            case .tag(let key): value = event.tags[key].map { FieldValue.text($0) }
            case .name: value = .text(event.name)
            }
            guard let value else { return operation.holdsWhenMissing }
            return compare(value, operation, regex)
        case .all(let conditions):
            return conditions.allSatisfy { holds($0, for: event) }
        case .any(let conditions):
            return conditions.contains { holds($0, for: event) }
        case .not(let inner):
            return !holds(inner, for: event)
        }
    }

    static func compare(_ value: FieldValue, _ operation: FilterOperation, _ regex: Regex<AnyRegexOutput>?) -> Bool {
        switch operation {
        case .equal(let expected): return equals(value, expected)
        case .notEqual(let expected): return !equals(value, expected)
        case .less(let bound): return number(value).map { $0 < bound } ?? false
        case .lessOrEqual(let bound): return number(value).map { $0 <= bound } ?? false
        case .greater(let bound): return number(value).map { $0 > bound } ?? false
        case .greaterOrEqual(let bound): return number(value).map { $0 >= bound } ?? false
        case .oneOf(let values): return values.contains { equals(value, $0) }
        case .noneOf(let values): return !values.contains { equals(value, $0) }
        case .matches:
            guard let regex else { return false }
            return (try? regex.firstMatch(in: value.formattedText)) != nil
        case .exists: return true
        }
    }

    /// `==`: numerically when the configured value is a number and the subject reads as one, else as text.
    static func equals(_ value: FieldValue, _ expected: FilterValue) -> Bool {
        switch expected {
        case .number(let bound):
            guard let subject = number(value) else { return false }
            return subject == bound
        case .text(let text):
            return value.formattedText == text
        }
    }

    /// The subject as a number: numbers, booleans as 0 or 1, text that reads as a number.
    static func number(_ value: FieldValue) -> Double? {
        if case .text(let text) = value { return Double(text) }
        return value.number
    }
}
