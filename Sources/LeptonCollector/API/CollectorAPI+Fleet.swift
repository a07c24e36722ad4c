import Hummingbird
import LeptonCore
import LeptonRuntime

extension CollectorAPI {
    /// How `fleet` groups the series of a stream.
    enum FleetGrouping: Hashable {
        /// One group.
        case none
        /// One group per agent.
        case agent
        /// One group per value of this tag (series without it form the group `""`).
        case tag(String)

        init?(_ text: String) {
            switch text {
            case "none": self = .none
            case "agent": self = .agent
            default:
                guard text.hasPrefix("tag:"), text.count > 4 else { return nil }
                self = .tag(String(text.dropFirst(4)))
            }
        }

        func group(agent: String, series: SeriesKey) -> String {
            switch self {
            case .none: return ""
            case .agent: return agent
            case .tag(let key): return series.tags[key] ?? ""
            }
        }
    }

    /// `fleet?stream=&group_by=&agg=&step=`: the stream across agents, its series grouped by agent or by a tag,
    /// each group's numbers summarised per interval (e.g. the mean temperature per site, per minute).
    func fleet(_ parameters: Parameters) async throws -> Response {
        guard let stream = parameters.get("stream"), !stream.isEmpty else {
            throw HTTPError(.badRequest, message: "fleet needs stream=")
        }
        let groupText = parameters.get("group_by") ?? "none"
        guard let grouping = FleetGrouping(groupText) else {
            throw HTTPError(.badRequest, message: "group_by must be none, agent or tag:KEY")
        }
        let window = try Self.window(parameters)
        var groups: [String: [Int64: SeriesPoint]] = [:]
        var sources: Set<String> = []
        var seriesCount = 0
        for stored in try await sink.streams() {
            guard let series = try? SeriesKey(parsing: stored.stream), series.stream == stream else { continue }
            seriesCount += 1
            let points = try await sink.series(
                agent: stored.agent,
                stream: stored.stream,
                from: window.from,
                to: window.to,
                step: window.step
            )
            sources.insert(points.resolution.map { Duration.nanoseconds($0).configString } ?? "raw")
            let group = grouping.group(agent: stored.agent, series: series)
            for point in points.points {
                if groups[group]?[point.time] == nil {
                    groups[group, default: [:]][point.time] = point
                } else {
                    groups[group]![point.time]!.merge(point)
                }
            }
        }
        let body = FleetJSON(
            stream: stream,
            group_by: groupText,
            step: window.stepText,
            agg: window.statistic,
            series: seriesCount,
            source: sources.sorted().joined(separator: ","),
            groups: groups.keys.sorted().map { key in
                FleetJSON.Group(
                    group: key,
                    points: groups[key]!.values.sorted { $0.time < $1.time }.map {
                        SeriesJSON.Point($0, statistic: window.statistic)
                    }
                )
            }
        )
        return try AdminServer.json(body)
    }
}

/// `{"stream", "group_by", "step", "agg", "series", "source", "groups": [{"group", "points": [...]}]}`.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct FleetJSON: Encodable {
    struct Group: Encodable {
        var group: String
        var points: [SeriesJSON.Point]
    }

    var stream: String
    var group_by: String
    var step: String
    var agg: SeriesJSON.Statistic
    /// Series of the stream found (over all agents and tag values).
    var series: Int
    /// What the points were computed from: rollup resolutions and/or `raw`.
    var source: String
    var groups: [Group]
}
