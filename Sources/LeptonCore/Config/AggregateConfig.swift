/// An `aggregate` processor's settings: the numeric values of each series are replaced, per tumbling window of
/// event time, by one event per statistic.
public struct AggregateConfig: Sendable, Hashable {
    /// A statistic of `stats`.
    public enum Stat: String, Sendable, Hashable, CaseIterable {
        case count
        case min
        case max
        case mean
        case sum
        case last
    }

    /// `window:` the windows' length; windows start at multiples of it since the epoch.
    public var window: Duration
    /// The `window` tag of the events made: the duration as written in the configuration (`10s`).
    public var windowLabel: String
    /// `stats:` the statistics sent, in this order (default: all six).
    public var stats: [Stat]
    /// `grace:` how long after a window's end (and after the last value absorbed) the window waits for late
    /// values before it closes without a newer value (default 2s).
    public var grace: Duration
    /// `fields:` the fields aggregated; nil means every numeric field.
    public var fields: [String]?

    public static let defaultGrace: Duration = .seconds(2)

    /// A nil `windowLabel` writes the window in its shortest configuration form (``Swift/Duration/configString``).
    public init(
        window: Duration,
        stats: [Stat] = Stat.allCases,
        grace: Duration = defaultGrace,
        fields: [String]? = nil,
        windowLabel: String? = nil
    ) {
        self.window = window
        self.windowLabel = windowLabel ?? window.configString
        self.stats = stats
        self.grace = grace
        self.fields = fields
    }

    static let keys: Set<String> = ["window", "stats", "grace", "fields"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        let windowNode = try map.required("window")
        let window = try windowNode.positiveDuration()
        let label = try windowNode.scalarText(expected: "a duration like 10s")
        self.init(window: window, windowLabel: label)
        if let node = map.optional("stats") {
            let items = try node.sequence()
            if items.isEmpty { throw node.error("expected at least one of: count, min, max, mean, sum, last") }
            var stats: [Stat] = []
            for item in items {
                let stat = try item.choice(Stat.self, what: "stat")
                if stats.contains(stat) { throw item.error("stat '\(stat.rawValue)' is listed twice") }
                stats.append(stat)
            }
            self.stats = stats
        }
        if let node = map.optional("grace") { grace = try node.duration() }
        if let node = map.optional("fields") { fields = try node.processorFieldNames() }
    }
}
