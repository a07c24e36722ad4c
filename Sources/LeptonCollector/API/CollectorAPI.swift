import Foundation
import Hummingbird
import LeptonCore
import LeptonRuntime

/// The JSON API under `/api/v1` (documented in `docs/api.md`).
public struct CollectorAPI: Sendable {
    let sink: any RecordSink
    let sessions: SessionRegistry
    let reports: AgentReports
    let tail: TailHub
    let status: StatusPage?
    /// The credit scheduler, whose shares `/api/v1/agents` and `/api/v1/backpressure` show.
    let scheduler: CreditScheduler?
    /// Upper bound of `limit` on `/api/v1/query`.
    public static let maxQueryLimit = 100_000

    public init(
        sink: any RecordSink,
        sessions: SessionRegistry,
        reports: AgentReports,
        tail: TailHub = TailHub(),
        status: StatusPage? = nil,
        scheduler: CreditScheduler? = nil
    ) {
        self.sink = sink
        self.sessions = sessions
        self.reports = reports
        self.tail = tail
        self.status = status
        self.scheduler = scheduler
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        if let status {
            router.get("/") { request, _ in
                let html = try await status.render(selected: request.uri.queryParameters.getAll("stream"))
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: html))
                )
            }
        }
        let api = router.group("api/v1")
        api.get("agents") { _, _ in try await self.agents() }
        api.get("backpressure") { _, _ in try self.backpressure() }
        api.get("streams") { _, _ in try await self.streams() }
        api.get("query") { request, _ in try await self.query(request.uri.queryParameters) }
        api.get("latest") { request, _ in try await self.latest(request.uri.queryParameters) }
        api.get("fleet") { request, _ in try await self.fleet(request.uri.queryParameters) }
        api.get("tail") { request, _ in self.tail(request.uri.queryParameters) }
    }

    func agents() async throws -> Response {
        try AdminServer.json(try await agentList())
    }

    /// The stored agents merged with the live sessions and the latest reports, sorted by id.
    func agentList() async throws -> [AgentJSON] {
        let stored = try await sink.agents()
        let live = sessions.entries
        let reported = reports.latest
        var byID: [String: AgentJSON] = [:]
        for agent in stored {
            byID[agent.id] = AgentJSON(agent)
        }
        for entry in live {
            var json = byID[entry.agent] ?? AgentJSON(agent: entry.agent)
            json.connected = true
            json.address = json.address ?? entry.address
            let seen = Int64(entry.lastSeen.timeIntervalSince1970 * 1e9)
            json.last_seen = max(json.last_seen ?? seen, seen)
            byID[entry.agent] = json
        }
        // The newest session of an agent connected twice.
        let shares = Dictionary(
            (scheduler?.snapshot().sessions ?? []).map { ($0.agent, $0) },
            uniquingKeysWith: { $0.session > $1.session ? $0 : $1 }
        )
        for (agent, share) in shares {
            byID[agent]?.credit = CreditJSON(share)
        }
        for (agent, report) in reported {
            var json = byID[agent] ?? AgentJSON(agent: agent)
            json.reported = ReportedJSON(report)
            json.last_seen = max(json.last_seen ?? report.receivedAt, report.receivedAt)
            byID[agent] = json
        }
        return byID.values.sorted { $0.agent < $1.agent }
    }

    /// `GET /api/v1/backpressure`: the shared budget, what the store absorbs, and whether it is saturated.
    func backpressure() throws -> Response {
        guard let snapshot = scheduler?.snapshot() else { throw HTTPError(.notFound) }
        return try AdminServer.json(BackpressureJSON(snapshot))
    }

    func streams() async throws -> Response {
        let streams = try await sink.streams().map {
            StreamJSON(agent: $0.agent, stream: $0.stream, records: $0.records, first: $0.first, last: $0.last)
        }
        return try AdminServer.json(streams)
    }

    func query(_ parameters: Parameters) async throws -> Response {
        guard let agent = parameters.get("agent"), let stream = parameters.get("stream") else {
            throw HTTPError(.badRequest, message: "query needs agent= and stream=")
        }
        if parameters.get("step") != nil {
            return try await series(agent: agent, stream: stream, parameters)
        }
        let from = try Self.integer(parameters, "from")
        let to = try Self.integer(parameters, "to")
        let limit = try Self.integer(parameters, "limit").map { Int($0) } ?? 1000
        guard (1...Self.maxQueryLimit).contains(limit) else {
            throw HTTPError(.badRequest, message: "limit must be between 1 and \(Self.maxQueryLimit)")
        }
        let records = try await sink.query(agent: agent, stream: stream, from: from, to: to, limit: limit)
        return try AdminServer.json(QueryJSON(agent: agent, stream: stream, records: records.map(PointJSON.init)))
    }

    /// Most intervals one `step=` query may return.
    static let maxSeriesPoints: Int64 = 100_000

    /// The intervals of a `step=` request: `step`, `agg`, and `from`/`to` (default: the 1000 steps up to now).
    struct Window {
        var from: Int64
        var to: Int64
        var step: Int64
        var stepText: String
        var statistic: SeriesJSON.Statistic
    }

    static func window(_ parameters: Parameters) throws -> Window {
        let text = parameters.get("step") ?? ""
        guard let step = try? Duration(configString: text), step > .zero else {
            throw HTTPError(.badRequest, message: "step must be a duration like 1m or 10s")
        }
        let stepNanoseconds = step.components.seconds * 1_000_000_000 + step.components.attoseconds / 1_000_000_000
        let agg = parameters.get("agg") ?? "mean"
        guard let statistic = SeriesJSON.Statistic(rawValue: agg) else {
            let known = SeriesJSON.Statistic.allCases.map(\.rawValue).joined(separator: ", ")
            throw HTTPError(.badRequest, message: "agg must be one of: \(known)")
        }
        let end = try integer(parameters, "to") ?? wallClockNanoseconds()
        let start = try integer(parameters, "from") ?? end - stepNanoseconds * 999
        guard start <= end else { throw HTTPError(.badRequest, message: "from must not be after to") }
        guard (end - start) / stepNanoseconds < maxSeriesPoints else {
            throw HTTPError(.badRequest, message: "at most \(maxSeriesPoints) intervals: use a larger step")
        }
        return Window(from: start, to: end, step: stepNanoseconds, stepText: step.configString, statistic: statistic)
    }

    /// `query` with `step=`: one point per interval, the statistic `agg=` of its numbers (default `mean`).
    func series(agent: String, stream: String, _ parameters: Parameters) async throws -> Response {
        let window = try Self.window(parameters)
        let series = try await sink.series(
            agent: agent,
            stream: stream,
            from: window.from,
            to: window.to,
            step: window.step
        )
        return try AdminServer.json(
            SeriesJSON(agent: agent, stream: stream, step: window.stepText, agg: window.statistic, series: series)
        )
    }

    /// `tail?agent=&stream=`: server-sent events, one `record` event per stored record that matches, as it is
    /// stored; ends with a `dropped` event if the reader falls more than `TailHub.maxPendingBytes` behind.
    func tail(_ parameters: Parameters) -> Response {
        let events = tail.subscribe(TailHub.Filter(agent: parameters.get("agent"), stream: parameters.get("stream")))
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody(asyncSequence: events)
        )
    }

    /// `latest?stream=`: the newest record of that stream (any tags) from every agent.
    func latest(_ parameters: Parameters) async throws -> Response {
        guard let stream = parameters.get("stream"), !stream.isEmpty else {
            throw HTTPError(.badRequest, message: "latest needs stream=")
        }
        let latest = try await sink.latest(stream: stream).map {
            LatestJSON(agent: $0.agent, stream: $0.stream, point: PointJSON($0.record))
        }
        return try AdminServer.json(latest)
    }

    static func integer(_ parameters: Parameters, _ name: String) throws -> Int64? {
        guard let text = parameters.get(name) else { return nil }
        guard let value = Int64(text) else { throw HTTPError(.badRequest, message: "\(name) must be an integer") }
        return value
    }
}

// Field names are the API's JSON keys.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct AgentJSON: Encodable {
    var agent: String
    var connected = false
    var address: String?
    var last_seen: Int64?
    var high_water_seq: UInt64 = 0
    var batches: Int64 = 0
    var records: Int64 = 0
    var duplicates: Int64 = 0
    var gaps: Int64 = 0
    var gap_sequences: Int64 = 0
    /// The agent's latest STATS report; `null` (not omitted) when it has not reported.
    var reported = ReportedJSON(report: nil)
    /// Its share of the store while connected; `null` when not connected.
    var credit: CreditJSON?

    /// An agent with a live session or a report, and nothing in the store yet.
    init(agent: String) {
        self.agent = agent
    }

    /// An agent as stored, not (yet) known to be connected.
    init(_ stored: StoredAgent) {
        agent = stored.id
        last_seen = stored.lastCommit
        high_water_seq = stored.highWaterSequence
        batches = stored.batches
        records = stored.records
        duplicates = stored.duplicates
        gaps = stored.gaps
        gap_sequences = stored.gapSequences
    }
}

/// `"credit"` of a connected agent: its weight, the rate it earns credit at, what it used, the rate advised to it.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct CreditJSON: Encodable {
    var weight: Double
    var granted_bytes_per_second: Int64
    var used_bytes_per_second: Int64
    var advised_bytes_per_second: Int64
    var held_bytes: Int64
    var backlogged: Bool

    init(_ share: CreditScheduler.SessionShare) {
        weight = share.weight
        granted_bytes_per_second = Int64(clamping: Int(share.grantedBytesPerSecond.rounded()))
        used_bytes_per_second = Int64(clamping: Int(share.usedBytesPerSecond.rounded()))
        advised_bytes_per_second = Int64(clamping: Int(min(share.advisedBytesPerSecond, 9e18).rounded()))
        held_bytes = Int64(clamping: Int(share.heldCredit.rounded()))
        backlogged = share.backlogged
    }
}

/// `GET /api/v1/backpressure`.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct BackpressureJSON: Encodable {
    var budget_bytes_per_second: Int64
    var store_throughput_bytes_per_second: Int64
    var saturated: Bool
    var queued_bytes: Int
    var sessions: Int
    var backlogged_sessions: Int

    init(_ snapshot: CreditScheduler.Snapshot) {
        budget_bytes_per_second = Int64(min(snapshot.budgetBytesPerSecond, 9e18).rounded())
        store_throughput_bytes_per_second = Int64(snapshot.throughputBytesPerSecond.rounded())
        saturated = snapshot.saturated
        queued_bytes = snapshot.queuedBytes
        sessions = snapshot.sessions.count
        backlogged_sessions = snapshot.sessions.filter(\.backlogged).count
    }
}

struct StreamJSON: Encodable {
    var agent: String
    var stream: String
    var records: Int64
    var first: Int64?
    var last: Int64?
}

/// A `query` with `step=`: `{"agent", "stream", "step", "agg", "source": "1m" | "raw", "points": [{"time",
/// "value", "count"}]}`, `time` being each interval's start.
struct SeriesJSON: Encodable {
    enum Statistic: String, CaseIterable, Encodable {
        case count, min, max, sum, mean, last
    }

    struct Point: Encodable {
        var time: Int64
        var value: Double
        var count: Int64

        init(_ point: SeriesPoint, statistic: Statistic) {
            time = point.time
            count = point.count
            switch statistic {
            case .count: value = Double(point.count)
            case .min: value = point.min
            case .max: value = point.max
            case .sum: value = point.sum
            case .mean: value = point.mean
            case .last: value = point.last
            }
        }
    }

    var agent: String
    var stream: String
    var step: String
    var agg: Statistic
    var source: String
    var points: [Point]

    init(agent: String, stream: String, step: String, agg: Statistic, series: StoredSeries) {
        self.agent = agent
        self.stream = stream
        self.step = step
        self.agg = agg
        source = series.resolution.map { Duration.nanoseconds($0).configString } ?? "raw"
        points = series.points.map { Point($0, statistic: agg) }
    }
}

/// One agent's newest record of a stream: `{"agent", "stream", "time", "value" | "text"}`.
struct LatestJSON: Encodable {
    var agent: String
    var stream: String
    var point: PointJSON

    enum CodingKeys: String, CodingKey { case agent, stream }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agent, forKey: .agent)
        try container.encode(stream, forKey: .stream)
        try point.encode(to: encoder)
    }
}

struct QueryJSON: Encodable {
    var agent: String
    var stream: String
    var records: [PointJSON]
}

/// `{"time": NS, "value": X}` or `{"time": NS, "text": "…"}`; NaN and infinities as the strings
/// `"NaN"`, `"+Inf"`, `"-Inf"` (JSON has no literal for them).
struct PointJSON: Encodable {
    var record: Record

    init(_ record: Record) { self.record = record }

    enum CodingKeys: String, CodingKey { case time, value, text }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.timestamp, forKey: .time)
        switch record.value {
        case .number(let value) where value.isNaN: try container.encode("NaN", forKey: .value)
        case .number(let value) where value.isInfinite:
            try container.encode(value > 0 ? "+Inf" : "-Inf", forKey: .value)
        case .number(let value): try container.encode(value, forKey: .value)
        case .text(let text): try container.encode(text, forKey: .text)
        }
    }
}
