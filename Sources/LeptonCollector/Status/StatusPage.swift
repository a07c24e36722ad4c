import Foundation
import LeptonCore

/// `GET /`: the page an operator keeps open. Server-rendered HTML with inline SVG charts and inline CSS (nothing
/// loaded from elsewhere, so it works in an air-gapped network), refreshing itself every 10 seconds: the fleet
/// in numbers, edge-produced against stored records over time, a row per agent, and a chart per selected stream.
public struct StatusPage: Sendable {
    let sink: any RecordSink
    let sessions: SessionRegistry
    let reports: AgentReports
    let history: StatusHistory
    let ingest: IngestTotals
    /// Each agent's share of the store, and the store's budget.
    let scheduler: CreditScheduler

    /// Streams charted when none is chosen with `?stream=AGENT/SERIES`.
    static let defaultCharts = 4

    /// The page; `selected` are `AGENT/SERIES` values of `stream=` parameters.
    func render(selected: [String], now: Int64 = wallClockNanoseconds()) async throws -> String {
        let stored = try await sink.agents()
        let streams = try await sink.streams()
        let live = sessions.entries
        let latest = reports.latest
        let samples = history.samples
        let totals = ingest.current
        let rates = history.agentRates
        let credit = scheduler.snapshot()

        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Lepton collector</title><style>\(Self.style)</style></head><body>
            <h1>Lepton collector</h1>
            """
        let connected = Set(live.map(\.agent))
        let last = samples.last
        let ratio = totals.compressed > 0 ? Double(totals.raw) / Double(totals.compressed) : 0
        html += "<section class=\"summary\">"
        html += Self.card("agents connected", "\(connected.count) of \(Set(stored.map(\.id)).union(connected).count)")
        html += Self.card("records/s in", Self.rate(last?.ingested))
        html += Self.card("records/s produced at the edge", Self.rate(last?.produced))
        html += Self.card("bytes/s in, compressed", Self.rate(last?.compressedBytes))
        html += Self.card("bytes/s in, raw", Self.rate(last?.rawBytes))
        html += Self.card("compression (raw ÷ wire)", ratio > 0 ? String(format: "%.1f×", ratio) : "–")
        html += Self.card("store budget, bytes/s", Self.rate(credit.budgetBytesPerSecond))
        html += Self.card("store", credit.saturated ? "saturated" : "keeping up")
        html += "</section>"

        html += "<h2>Produced at the edge and stored, records/s</h2>"
        html += SVGChart.render(
            [
                SVGChart.Line(name: "produced", color: "#d97706", points: samples.map { ($0.time, $0.produced) }),
                SVGChart.Line(name: "stored", color: "#2563eb", points: samples.map { ($0.time, $0.ingested) }),
            ],
            width: 900,
            height: 200
        )

        html += "<h2>Agents</h2><table class=\"agents\"><thead><tr><th>agent</th><th>state</th><th>address</th>"
        html += "<th>records/s</th><th>records stored</th><th>credit, bytes/s</th><th>reduction level</th><th>lag</th>"
        html += "<th>last seen</th><th>dropped</th><th>pending</th></tr></thead><tbody>"
        let storedByID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Most recent session first: the one shown for an agent connected twice.
        let sessionByAgent = Dictionary(live.map { ($0.agent, $0) }, uniquingKeysWith: { first, _ in first })
        let shareByAgent = Dictionary(
            credit.sessions.map { ($0.agent, $0) },
            uniquingKeysWith: { $0.session > $1.session ? $0 : $1 }
        )
        let ids = Set(storedByID.keys).union(connected).union(latest.keys).sorted()
        for id in ids {
            let agent = storedByID[id]
            let session = sessionByAgent[id]
            let report = latest[id]
            let dropped = report?.stats.sources.reduce(UInt64(0)) { total, source in
                source.dropped.reduce(total) { $0 &+ $1.count }
            }
            let pending = report?.stats.sources.reduce(UInt64(0)) { $0 &+ $1.pending }
            let lastSeen = [
                agent?.lastCommit, session.map { Int64($0.lastSeen.timeIntervalSince1970 * 1e9) }, report?.receivedAt,
            ].compactMap { $0 }.max()
            let records: Int64 = agent?.records ?? 0
            let lag: String = agent?.lastCommit.map { Self.age(now - $0) } ?? "–"
            let seen: String = lastSeen.map { formatRFC3339(nanoseconds: $0) } ?? "–"
            let cells: [String] = [
                id,
                session == nil ? "offline" : "connected",
                session?.address ?? "–",
                Self.rate(rates[id]),
                "\(records)",
                shareByAgent[id].map { Self.rate($0.grantedBytesPerSecond) } ?? "–",
                report?.stats.reductionLevel ?? "–",
                lag,
                seen,
                dropped.map(String.init) ?? "–",
                pending.map(String.init) ?? "–",
            ]
            html += "<tr class=\"\(session == nil ? "offline" : "connected")\">"
            html += cells.map { "<td>\(SVGChart.escape($0))</td>" }.joined() + "</tr>"
        }
        html += "</tbody></table>"

        let chosen =
            selected.isEmpty
            ? streams.sorted { ($0.last ?? 0) > ($1.last ?? 0) }.prefix(Self.defaultCharts).map {
                "\($0.agent)/\($0.stream)"
            }
            : selected
        html += "<h2>Streams, last hour (mean per minute)</h2><div class=\"streams\">"
        let minute: Int64 = 60_000_000_000
        for choice in chosen.prefix(16) {
            guard let slash = choice.firstIndex(of: "/") else { continue }
            let agent = String(choice[..<slash])
            let stream = String(choice[choice.index(after: slash)...])
            let series = try await sink.series(
                agent: agent,
                stream: stream,
                from: now - 60 * minute,
                to: now,
                step: minute
            )
            html += "<figure><figcaption>\(SVGChart.escape(agent)) · \(SVGChart.escape(stream))</figcaption>"
            html += SVGChart.render(
                [SVGChart.Line(name: "mean", color: "#059669", points: series.points.map { ($0.time, $0.mean) })],
                width: 420,
                height: 140
            )
            html += "</figure>"
        }
        html += "</div><p class=\"foot\">Refreshes every 10 s. Choose charts with ?stream=AGENT/SERIES (repeat it). "
        html += "Data: <a href=\"/api/v1/agents\">/api/v1/agents</a>, <a href=\"/api/v1/streams\">/api/v1/streams</a>, "
        html += "<a href=\"/metrics\">/metrics</a>.</p></body></html>\n"
        return html
    }

    static func card(_ label: String, _ value: String) -> String {
        "<div class=\"card\"><div class=\"value\">\(SVGChart.escape(value))</div>"
            + "<div class=\"label\">\(SVGChart.escape(label))</div></div>"
    }

    static func rate(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1fk", value / 1e3) }
        return String(format: "%.1f", value)
    }

    static func bytes(_ value: Int) -> String {
        value >= 1 << 20 ? "\(value >> 20) MiB" : value >= 1 << 10 ? "\(value >> 10) KiB" : "\(value) B"
    }

    static func age(_ nanoseconds: Int64) -> String {
        let seconds = max(0, nanoseconds / 1_000_000_000)
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7_200 { return "\(seconds / 60) min" }
        return "\(seconds / 3_600) h"
    }

    static let style = """
        body{font:14px system-ui,sans-serif;margin:24px;color:#111;background:#fafafa}
        h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        .summary{display:flex;flex-wrap:wrap;gap:12px}
        .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
        .card .value{font-size:22px;font-weight:600}.card .label{color:#555;font-size:12px}
        table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
        tr.offline td{color:#888}
        .chart .plot{fill:#fff;stroke:#ccc}.chart .axis,.chart .legend,.chart .empty{font-size:11px;fill:#555}
        .streams{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px}
        figcaption{font-size:12px;color:#333}.foot{color:#666;font-size:12px;margin-top:24px}
        """
}
