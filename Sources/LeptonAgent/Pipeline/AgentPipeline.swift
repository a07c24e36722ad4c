import AsyncAlgorithms
import LeptonCore
import Logging
import ServiceLifecycle

/// Runs the sources and the batcher: records flow from sources through an unbuffered channel into the
/// batcher, sealed batches are compressed and handed to the outbox (which waits when full).
///
/// On graceful shutdown the sources stop and what is pending is sealed. When every source ends by itself
/// (stdin reached EOF), the pipeline also waits until the collector acknowledged everything, then returns.
public struct AgentPipeline: Service {
    let sources: [any Source]
    let batch: BatchConfig
    let outbox: Outbox
    let metrics: AgentMetrics
    let logger: Logger

    init(sources: [any Source], batch: BatchConfig, outbox: Outbox, metrics: AgentMetrics, logger: Logger) {
        self.sources = sources
        self.batch = batch
        self.outbox = outbox
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let channel = AsyncChannel<PipelineEvent>()
        let output = RecordOutput(channel: channel)
        let sources = sources
        let logger = logger
        let tickInterval = max(batch.linger / 4, .milliseconds(10))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await withTaskGroup(of: Void.self) { running in
                        for source in sources {
                            running.addTask {
                                do {
                                    try await source.run(into: output)
                                } catch is CancellationError {
                                } catch {
                                    logger.error("source failed", metadata: ["source": "\(source.name)", "error": "\(error)"])
                                }
                            }
                        }
                    }
                }
                await channel.send(.sourcesFinished)
            }
            let ticks = AsyncTimerSequence(interval: tickInterval, clock: .continuous).map { _ in PipelineEvent.tick }
            var batcher = Batcher(maxRecords: batch.maxRecords, maxBytes: batch.maxBytes, linger: batch.linger)
            loop: for await event in merge(channel, ticks) {
                switch event {
                case .records(let records):
                    for sealed in batcher.add(records, now: .now) { try await seal(sealed) }
                case .tick:
                    if let sealed = batcher.tick(now: .now) { try await seal(sealed) }
                case .sourcesFinished:
                    break loop
                }
            }
            if let rest = batcher.flush() { try await seal(rest) }
            group.cancelAll()
        }
        if Task.isShuttingDownGracefully {
            logger.info("sources stopped, pending records sealed")
        } else {
            logger.info("all sources ended; waiting for the collector to acknowledge everything")
            await outbox.waitUntilEmpty()
            logger.info("everything acknowledged")
        }
    }

    private func seal(_ records: [Record]) async throws {
        let frame = try BatchCodec.encode(records, sequence: 0)
        metrics.batchesSealed.increment()
        try await outbox.append(frame)
    }
}
