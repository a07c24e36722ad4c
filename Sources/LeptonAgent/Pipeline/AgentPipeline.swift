import AsyncAlgorithms
import LeptonCore
import Logging
import ServiceLifecycle

/// Runs the sources, each feeding its own batcher through an unbuffered channel; sealed batches are
/// compressed and appended to the spool under the source's `when_full` policy (a `block` source waits there,
/// and only that source).
///
/// On graceful shutdown the sources stop and what is pending is sealed into the spool. When every source ends
/// by itself (stdin reached EOF), the pipeline also waits until the collector acknowledged everything, then
/// returns.
public struct AgentPipeline: Service {
    struct Input: Sendable {
        var source: any Source
        var policy: SpoolPolicy
        var processors: [ProcessorConfig] = []
    }

    let inputs: [Input]
    let batch: BatchConfig
    let spool: Spool
    let metrics: AgentMetrics
    let logger: Logger
    let hostname: String

    init(inputs: [Input], batch: BatchConfig, spool: Spool, metrics: AgentMetrics, logger: Logger, hostname: String) {
        self.inputs = inputs
        self.hostname = hostname
        self.batch = batch
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for input in inputs {
                group.addTask { try await self.run(input) }
            }
            try await group.waitForAll()
        }
        if Task.isShuttingDownGracefully {
            logger.info("sources stopped, pending records spooled")
        } else {
            logger.info("all sources ended; waiting for the collector to acknowledge everything")
            // A stop request (SIGTERM) ends the wait: what is left stays in the spool for the next start.
            let empty = await cancelWhenGracefulShutdown { await spool.waitUntilEmpty() }
            if empty {
                logger.info("everything acknowledged")
            }
        }
    }

    /// One source, its processors and its batcher, until the source ends or the agent shuts down.
    private func run(_ input: Input) async throws {
        let channel = AsyncChannel<SourceEvent>()
        let output = EventOutput(channel: channel)
        let source = input.source
        let logger = logger
        let tickInterval = max(batch.linger / 4, .milliseconds(10))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    do {
                        try await source.run(into: output)
                    } catch is CancellationError {
                    } catch {
                        logger.error("source failed", metadata: ["source": "\(source.name)", "error": "\(error)"])
                    }
                }
                await channel.send(.finished)
            }
            let ticks = AsyncTimerSequence(interval: tickInterval, clock: .continuous).map { _ in SourceEvent.tick }
            var batcher = Batcher(maxRecords: batch.maxRecords, maxBytes: batch.maxBytes, linger: batch.linger)
            var stage = RecordStage(
                source: source.name,
                chain: ProcessorChain(
                    source: source.name,
                    processors: input.processors,
                    hostname: hostname,
                    metrics: metrics
                ),
                metrics: metrics
            )
            loop: for await event in merge(channel, ticks) {
                switch event {
                case .events(let events, let positions):
                    let now = wallClockNanoseconds()
                    for (index, event) in events.enumerated() {
                        let checkpoint = positions.map {
                            TailCheckpoint(key: $0.key, file: $0.file, offset: $0.endOffsets[index])
                        }
                        for sealed in batcher.add(
                            stage.records(from: event, now: now),
                            checkpoint: checkpoint,
                            now: .now
                        ) {
                            try await seal(sealed, input)
                        }
                    }
                    stage.publish()
                case .tick:
                    let due = stage.advance(to: wallClockNanoseconds())
                    for sealed in batcher.add(due, now: .now) { try await seal(sealed, input) }
                    if let sealed = batcher.tick(now: .now) { try await seal(sealed, input) }
                case .finished:
                    break loop
                }
            }
            for sealed in batcher.add(stage.flush(now: wallClockNanoseconds()), now: .now) {
                try await seal(sealed, input)
            }
            if let rest = batcher.flush() { try await seal(rest, input) }
            group.cancelAll()
        }
    }

    /// Columns for batches that are mostly numbers (sensor samples: a byte or two per sample), rows for text.
    static func encoding(for records: [Record]) -> BatchEncoding {
        var numbers = 0
        for record in records {
            if case .number = record.value { numbers += 1 }
        }
        return numbers * 2 >= records.count ? .columnarV1 : .rowV1
    }

    private func seal(_ batch: Batcher.Batch, _ input: Input) async throws {
        let encoding = Self.encoding(for: batch.records)
        let frame = try BatchCodec.encode(batch.records, sequence: 0, encoding: encoding)
        let spool = spool
        let source = input.source.name
        metrics.sealed(frame, records: batch.records.count, source: source, encoding: encoding)
        do {
            // A stop request ends a `block` source's wait for room (an append with room completes as usual).
            _ = try await cancelWhenGracefulShutdown {
                try await spool.append(frame, source: source, policy: input.policy, checkpoints: batch.checkpoints)
            }
        } catch is CancellationError {
            // Still waiting for room when the agent stops. Lines of a tailed file are read again at the next
            // start (its checkpoint did not move); anything else is lost, and counted.
            if batch.checkpoints.isEmpty {
                metrics.dropped(batch.records.count, source: source, reason: "shutdown")
            }
        }
    }
}
