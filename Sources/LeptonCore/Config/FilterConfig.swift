/// A `filter` processor's settings: events matching ``condition`` are kept (`keep:`) or dropped (`drop:`).
public struct FilterConfig: Sendable, Hashable {
    /// What happens to an event that matches the condition.
    public enum Action: String, Sendable, Hashable, CaseIterable {
        /// Only matching events pass.
        case keep
        /// Matching events are dropped; the others pass.
        case drop
    }

    public var action: Action
    public var condition: FilterCondition

    public init(action: Action, condition: FilterCondition) {
        self.action = action
        self.condition = condition
    }

    static let keys: Set<String> = ["keep", "drop"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        let given = map.entries.filter { Self.keys.contains($0.key) }
        guard let first = given.first else {
            throw map.node.error("a filter needs 'keep' or 'drop' with a condition")
        }
        if given.count > 1 {
            throw given[1].keyNode.error("a filter takes either 'keep' or 'drop', not both")
        }
        let action: Action = first.key == Action.keep.rawValue ? .keep : .drop
        self.init(action: action, condition: try FilterCondition(config: first.value))
    }
}
