/// Values read from a Prometheus text exposition.
public struct PrometheusText: Sendable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    /// The value of the series named exactly `series` (name and labels), e.g. `lepton_agent_connected`.
    public func value(_ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The sum over every series of `name` whose labels include all of `labels` (e.g. every drop reason of
    /// one source); 0 when none.
    public func sum(_ name: String, where labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) { total += value }
        }
        return total
    }
}
