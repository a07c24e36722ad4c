import LeptonCore

// Field names are the endpoint's JSON keys.

/// `GET /api/v1/status` of the agent's admin endpoint: the link to the collector and its advice, the spool, and
/// each source's record counts, priority and fidelity level (docs/api.md §4.0).
struct AgentStatus: Encodable {
    struct Link: Encodable {
        var connected: Bool
        /// The fair rate the collector advised in its last ACK; absent without advice.
        var advised_bytes_per_second: UInt64?
        /// Whether that ACK said the collector is saturated; absent without advice.
        var saturated: Bool?
        /// `bandwidth.max_bytes_per_second` in force (a reload's new cap counts from the next connection); absent
        /// without a cap.
        var max_bytes_per_second: Int?
    }

    struct SpoolUse: Encodable {
        var bytes: Int
        var max_bytes: Int
        var batches: Int
    }

    struct Fidelity: Encodable {
        var level: Int
        var rung: String
        var ladder: [String]
        var ms_at_level: [UInt64]
        var reduced: UInt64
    }

    struct Source: Encodable {
        var name: String
        var priority: Int
        var produced: UInt64
        var acknowledged: UInt64
        var pending: UInt64
        var dropped: [String: UInt64]
        /// Absent for a source without a ladder (always raw).
        var fidelity: Fidelity?
    }

    var agent: String
    var started_at_ns: UInt64
    var collector: Link
    var spool: SpoolUse
    var sources: [Source]

    /// The agent's status at this moment.
    static func now(
        config: AgentConfig,
        metrics: AgentMetrics,
        spool: Spool,
        connection: ConnectionState
    ) async -> AgentStatus {
        make(
            config: config,
            stats: metrics.statsSnapshot(pending: await spool.pendingRecords()),
            advice: connection.advice,
            cap: connection.bandwidthCap,
            connected: connection.isUp,
            spool: SpoolUse(
                bytes: await spool.heldBytes,
                max_bytes: config.spool.maxBytes,
                batches: await spool.heldBatches
            )
        )
    }

    /// The status of `config`'s sources and of every other source with counts (one removed by a reload).
    static func make(
        config: AgentConfig,
        stats: Message.Stats,
        advice: ConnectionState.Advice?,
        cap: Int?,
        connected: Bool,
        spool: SpoolUse
    ) -> AgentStatus {
        let counts = Dictionary(stats.sources.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        let ladders = Dictionary(stats.fidelity.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        let priorities = Dictionary(config.sources.map { ($0.name, $0.priority) }, uniquingKeysWith: { a, _ in a })
        let names = Set(config.sources.map(\.name)).union(counts.keys).sorted()
        let sources = names.map { name -> Source in
            let count = counts[name]
            let fidelity = ladders[name].map { ladder in
                Fidelity(
                    level: Int(ladder.level),
                    rung: ladder.currentRung,
                    ladder: ladder.rungs.map(\.name),
                    ms_at_level: ladder.rungs.map(\.milliseconds),
                    reduced: ladder.reduced
                )
            }
            return Source(
                name: name,
                priority: priorities[name] ?? 0,
                produced: count?.produced ?? 0,
                acknowledged: count?.acknowledged ?? 0,
                pending: count?.pending ?? 0,
                dropped: Dictionary(
                    (count?.dropped ?? []).map { ($0.reason, $0.count) },
                    uniquingKeysWith: { $0 &+ $1 }
                ),
                fidelity: fidelity
            )
        }
        return AgentStatus(
            agent: config.agent.id,
            started_at_ns: stats.startedAt,
            collector: Link(
                connected: connected,
                advised_bytes_per_second: advice?.bytesPerSecond,
                saturated: advice?.saturated,
                max_bytes_per_second: cap
            ),
            spool: spool,
            sources: sources
        )
    }
}
