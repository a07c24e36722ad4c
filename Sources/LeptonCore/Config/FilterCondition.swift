/// A test on one event: a comparison of a field, a tag or the event name, or a combination of conditions.
///
/// A missing field or tag makes every comparison false except `!=` and `not_in`, which are true (`exists` is
/// false).
public enum FilterCondition: Sendable, Hashable {
    /// `{field: temp, op: ">", value: 30}`, `{tag: site, op: ==, value: lyon}`, `{name: ~, op: matches, value: ^cpu}`.
    case compare(FilterSubject, FilterOperation)
    /// `{all: [...]}`: every condition holds (true for none).
    case all([FilterCondition])
    /// `{any: [...]}`: at least one condition holds.
    case any([FilterCondition])
    /// `{not: condition}`.
    indirect case not(FilterCondition)
}

/// What a comparison looks at.
public enum FilterSubject: Sendable, Hashable {
    /// The value of the named field.
    case field(String)
    /// The value of the tag with this key.
    case tag(String)
    /// The event name (the stream prefix).
    case name
}

/// A comparison operator with its configured value.
public enum FilterOperation: Sendable, Hashable {
    /// `==`: numerically when the value is a number and the subject reads as one, else as text.
    case equal(FilterValue)
    /// `!=`: the negation of `==`; true when the subject is missing.
    case notEqual(FilterValue)
    /// `<`; false when the subject is not a number.
    case less(Double)
    /// `<=`.
    case lessOrEqual(Double)
    /// `>`.
    case greater(Double)
    /// `>=`.
    case greaterOrEqual(Double)
    /// `in`: equal (as `==`) to one of the values.
    case oneOf([FilterValue])
    /// `not_in`: equal to none of the values; true when the subject is missing.
    case noneOf([FilterValue])
    /// `matches`: the regular expression matches somewhere in the subject's text (anchor with `^` and `$`).
    case matches(FilterPattern)
    /// `exists`: the field or tag is present.
    case exists

    /// The result of the comparison when the event has no such field or tag.
    public var holdsWhenMissing: Bool {
        switch self {
        case .notEqual, .noneOf: return true
        default: return false
        }
    }
}

/// A configured comparison value: a plain YAML number is a number, anything else (including a quoted `"30"`) text.
public enum FilterValue: Sendable, Hashable {
    case number(Double)
    case text(String)
}

/// A regular expression checked when the configuration is read, kept as its source text.
public struct FilterPattern: Sendable, Hashable {
    /// The expression, in Swift `Regex` syntax (close to PCRE).
    public let pattern: String

    /// Checks that `pattern` compiles.
    public init(_ pattern: String) throws(ConfigValueError) {
        do {
            _ = try Regex<AnyRegexOutput>(pattern)
        } catch {
            throw ConfigValueError("invalid regular expression '\(pattern)': \(error)")
        }
        self.pattern = pattern
    }

    /// The compiled expression; compiled again from ``pattern``, which ``init(_:)`` checked.
    public func compiled() -> Regex<AnyRegexOutput>? {
        try? Regex<AnyRegexOutput>(pattern)
    }
}

extension FilterCondition {
    /// The `op:` names.
    enum Operator: String, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case oneOf = "in"
        case noneOf = "not_in"
        case matches
        case exists
    }

    static let keys = ["field", "tag", "name", "op", "value", "all", "any", "not"]
    /// Keys that say what a condition is; exactly one per condition.
    static let kindKeys: Set<String> = ["field", "tag", "name", "all", "any", "not"]

    /// Reads a condition mapping.
    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let kinds = map.entries.filter { Self.kindKeys.contains($0.key) }
        guard let kind = kinds.first else {
            throw node.error("a condition needs one of: field, tag, name, all, any, not")
        }
        if kinds.count > 1 {
            throw kinds[1].keyNode.error("'\(kinds[1].key)' cannot be combined with '\(kind.key)' in one condition")
        }
        switch kind.key {
        case "all", "any", "not":
            if let extra = map.entries.first(where: { $0.key == "op" || $0.key == "value" }) {
                throw extra.keyNode.error("'\(extra.key)' cannot be combined with '\(kind.key)'")
            }
            if kind.key == "not" {
                self = .not(try FilterCondition(config: kind.value))
                return
            }
            let items = try kind.value.sequence()
            if items.isEmpty { throw kind.value.error("expected at least one condition") }
            var conditions: [FilterCondition] = []
            for item in items {
                conditions.append(try FilterCondition(config: item))
            }
            self = kind.key == "all" ? .all(conditions) : .any(conditions)
        default:
            let subject: FilterSubject
            switch kind.key {
            case "field": subject = .field(try kind.value.string())
            case "tag": subject = .tag(try kind.value.string())
            default:
                guard kind.value.isNull else {
                    throw kind.value.error("the event name takes no argument; write 'name: ~'")
                }
                subject = .name
            }
            self = .compare(subject, try Self.operation(map))
        }
    }

    /// The `op` and `value` of a comparison.
    private static func operation(_ map: ConfigMapping) throws(ConfigError) -> FilterOperation {
        let opNode = try map.required("op")
        if opNode.isNull {
            // `op: !=` unquoted is a YAML tag with an empty value.
            throw opNode.error(
                "expected an operator, found an empty value; quote '!=', '>' and '>=' in YAML (op: \"!=\")"
            )
        }
        let op = try opNode.choice(Operator.self, what: "operator")
        if op == .exists {
            if let entry = map.entries.first(where: { $0.key == "value" }) {
                throw entry.keyNode.error("'exists' takes no value")
            }
            return .exists
        }
        let node = try map.required("value")
        switch op {
        case .equal: return .equal(try value(node))
        case .notEqual: return .notEqual(try value(node))
        case .less: return .less(try number(node, op))
        case .lessOrEqual: return .lessOrEqual(try number(node, op))
        case .greater: return .greater(try number(node, op))
        case .greaterOrEqual: return .greaterOrEqual(try number(node, op))
        case .oneOf: return .oneOf(try values(node))
        case .noneOf: return .noneOf(try values(node))
        case .matches:
            let text = try node.string()
            do {
                return .matches(try FilterPattern(text))
            } catch {
                throw node.error("\(error)")
            }
        case .exists: return .exists
        }
    }

    /// A scalar: a number when written as a plain YAML number, else text.
    private static func value(_ node: ConfigNode) throws(ConfigError) -> FilterValue {
        guard case .scalar(let scalar) = node.node, !node.isNull else {
            throw node.error("expected a number or a string, found \(node.found)")
        }
        if scalar.style == .plain, let number = Double(scalar.string), number.isFinite {
            return .number(number)
        }
        return .text(scalar.string)
    }

    /// The number an ordering operator compares with.
    private static func number(_ node: ConfigNode, _ op: Operator) throws(ConfigError) -> Double {
        if case .scalar(let scalar) = node.node, !node.isNull, let number = Double(scalar.string), number.isFinite {
            return number
        }
        throw node.error("'\(op.rawValue)' compares numbers; expected a number, found \(node.found)")
    }

    /// The non-empty list of `in` and `not_in`.
    private static func values(_ node: ConfigNode) throws(ConfigError) -> [FilterValue] {
        let items = try node.sequence()
        if items.isEmpty { throw node.error("expected at least one value") }
        var values: [FilterValue] = []
        for item in items {
            values.append(try value(item))
        }
        return values
    }
}
