import Foundation
import Hummingbird
import LeptonCore

/// The JSON API under `/api/v1` (documented in `docs/api.md`).
public struct CollectorAPI: Sendable {
    let sink: any RecordSink
    let sessions: SessionRegistry
    let reports: AgentReports
    /// Upper bound of `limit` on `/api/v1/query`.
    public static let maxQueryLimit = 100_000

    public init(sink: any RecordSink, sessions: SessionRegistry, reports: AgentReports) {
        self.sink = sink
        self.sessions = sessions
        self.reports = reports
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        let api = router.group("api/v1")
        api.get("agents") { _, _ in try await self.agents() }
        api.get("streams") { _, _ in try await self.streams() }
        api.get("query") { request, _ in try await self.query(request.uri.queryParameters) }
    }

    func agents() async throws -> Response {
        try Self.json(try await agentList())
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
        for (agent, report) in reported {
            var json = byID[agent] ?? AgentJSON(agent: agent)
            json.reported = ReportedJSON(report)
            json.last_seen = max(json.last_seen ?? report.receivedAt, report.receivedAt)
            byID[agent] = json
        }
        return byID.values.sorted { $0.agent < $1.agent }
    }

    func streams() async throws -> Response {
        let streams = try await sink.streams().map {
            StreamJSON(agent: $0.agent, stream: $0.stream, records: $0.records, first: $0.first, last: $0.last)
        }
        return try Self.json(streams)
    }

    func query(_ parameters: Parameters) async throws -> Response {
        guard let agent = parameters.get("agent"), let stream = parameters.get("stream") else {
            throw HTTPError(.badRequest, message: "query needs agent= and stream=")
        }
        let from = try Self.integer(parameters, "from")
        let to = try Self.integer(parameters, "to")
        let limit = try Self.integer(parameters, "limit").map { Int($0) } ?? 1000
        guard (1...Self.maxQueryLimit).contains(limit) else {
            throw HTTPError(.badRequest, message: "limit must be between 1 and \(Self.maxQueryLimit)")
        }
        let records = try await sink.query(agent: agent, stream: stream, from: from, to: to, limit: limit)
        return try Self.json(QueryJSON(agent: agent, stream: stream, records: records.map(PointJSON.init)))
    }

    private static func integer(_ parameters: Parameters, _ name: String) throws -> Int64? {
        guard let text = parameters.get(name) else { return nil }
        guard let value = Int64(text) else { throw HTTPError(.badRequest, message: "\(name) must be an integer") }
        return value
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
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

/// `"reported"` of an agent: its latest record counts, or `null`.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct ReportedJSON: Encodable {
    struct Report: Encodable, Equatable {
        var at_ns: Int64
        var started_at_ns: UInt64
        var sources: [Source]
    }

    struct Source: Encodable, Equatable {
        var source: String
        var produced: UInt64
        var acknowledged: UInt64
        var pending: UInt64
        /// Records dropped, by reason.
        var dropped: [String: UInt64]
    }

    var report: Report?

    init(report: Report?) {
        self.report = report
    }

    init(_ report: AgentReports.Report) {
        let sources = report.stats.sources.map { source -> Source in
            // A reason repeated in the frame is summed.
            let dropped = Dictionary(source.dropped.map { ($0.reason, $0.count) }, uniquingKeysWith: { $0 &+ $1 })
            return Source(
                source: source.source,
                produced: source.produced,
                acknowledged: source.acknowledged,
                pending: source.pending,
                dropped: dropped
            )
        }
        self.report = Report(at_ns: report.receivedAt, started_at_ns: report.stats.startedAt, sources: sources)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let report {
            try container.encode(report)
        } else {
            try container.encodeNil()
        }
    }
}

struct StreamJSON: Encodable {
    var agent: String
    var stream: String
    var records: Int64
    var first: Int64?
    var last: Int64?
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
