import Foundation
import LeptonCore
import LeptonTestSupport

/// A temporary directory with a PKI for one agent, and the config files and processes of a fault run.
struct FaultFixture {
    let directory: TemporaryDirectory
    let pki: TestPKI
    let agentID: String

    init(agent: String) throws {
        directory = try TemporaryDirectory(prefix: "lepton-fault")
        pki = try TestPKI(directory: directory.file("pki"), agents: [agent])
        agentID = agent
    }

    var database: String { directory.file("collector/lepton.db") }
    var stateDirectory: String { directory.file("agent-state") }
    func file(_ name: String) -> String { directory.file(name) }

    /// A collector process on fixed ports (so it can be killed and started again at the same address).
    func collectorDaemon(agentPort: Int, httpPort: Int) throws -> Daemon {
        let tls = pki.collectorTLS
        try """
        listen: 127.0.0.1:\(agentPort)
        tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
        http: { listen: 127.0.0.1:\(httpPort) }
        storage: { type: sqlite, path: \(database) }
        limits: { heartbeat: 1s, shutdown_timeout: 2s }
        log: { level: info }
        """.write(toFile: file("collector.yaml"), atomically: true, encoding: .utf8)
        return Daemon(program: "lepton-collector", configPath: file("collector.yaml"), directory: directory.path)
    }

    /// An agent process with the given `sources:` YAML list items.
    func agentDaemon(
        collectorPort: Int,
        sources: [String],
        spool: String = "{ fsync: interval, fsync_interval: 200ms }"
    ) throws -> Daemon {
        let tls = pki.agentTLS(agentID)
        try """
        agent: { id: \(agentID), state_dir: \(stateDirectory) }
        collector:
          address: 127.0.0.1:\(collectorPort)
          tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
          reconnect: { initial: 50ms, max: 500ms }
          shutdown_timeout: 5s
        sources:
        \(sources.map { "  - \($0)" }.joined(separator: "\n"))
        batch: { max_records: 200, max_bytes: 256KiB, linger: 50ms }
        spool: \(spool)
        log: { level: info }
        """.write(toFile: file("agent.yaml"), atomically: true, encoding: .utf8)
        return Daemon(program: "lepton-agent", configPath: file("agent.yaml"), directory: directory.path)
    }

    /// An in-process agent configuration with short timings.
    func agentConfig(
        collectorPort: Int,
        sources: [SourceConfig],
        spool: SpoolConfig = SpoolConfig(
            maxBytes: 64 << 20,
            segmentBytes: 1 << 20,
            fsync: .interval(.milliseconds(200))
        ),
        maxRecords: Int = 200
    ) -> AgentConfig {
        var config = AgentHarness.config(
            id: agentID,
            pki: pki,
            collectorPort: collectorPort,
            stateDirectory: stateDirectory,
            sources: sources,
            batch: BatchConfig(maxRecords: maxRecords, maxBytes: 256 << 10, linger: .milliseconds(50))
        )
        config.spool = spool
        return config
    }

    /// Distinct, duplicated and missing records of `stream` in the collector's store.
    func delivery(stream: String, produced: Int) async throws -> DeliveryCount {
        DeliveryCount(
            stored: try await StoredRecords.texts(database: database, agent: agentID, stream: stream),
            produced: produced
        )
    }

    func remove() { directory.remove() }
}

/// A pipe whose read end feeds an agent's stdin.
struct StdinPipe {
    let read: Int32
    let write: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw CocoaError(.fileWriteUnknown) }
        read = descriptors[0]
        write = descriptors[1]
        enlargePipe(write)
    }
}

/// Gives a pipe 1 MiB of room instead of 64 KiB, for bursts while the agent is busy or down.
func enlargePipe(_ descriptor: Int32) {
    // F_SETPIPE_SZ (Linux); Glibc's Swift module does not export it (it needs _GNU_SOURCE).
    let setPipeSize: Int32 = 1031
    _ = fcntl(descriptor, setPipeSize, Int32(1 << 20))
}

/// Random milliseconds in `range`, as a duration.
func randomDelay(_ range: ClosedRange<Int>) -> Duration {
    .milliseconds(Int.random(in: range))
}
