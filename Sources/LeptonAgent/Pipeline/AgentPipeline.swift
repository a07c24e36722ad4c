import AsyncAlgorithms
import LeptonCore
import LeptonRuntime
import Logging
import ServiceLifecycle

/// Runs the sources, each feeding its own batcher through an unbuffered channel; sealed batches are
/// compressed and appended to the spool under the source's `when_full` policy (a `block` source waits there,
/// and only that source).
///
/// A reload (`reload(sources:)`) stops the sources that were removed or changed, each sealing what it holds into
/// the spool first, and starts the new and changed ones (a changed file source resumes from the checkpoint its
/// old run spooled last); unchanged sources keep running. Batch settings (`batch`) apply at the next tick.
///
/// On graceful shutdown the sources stop and what is pending is sealed into the spool. When every source ends
/// by itself (stdin reached EOF), the pipeline also waits until the collector acknowledged everything, then
/// returns.
public struct AgentPipeline: Service {
    struct Input: Sendable {
        var source: any Source
        var policy: SpoolPolicy
        var processors: [ProcessorConfig] = []
        var priority = 0
        var fidelity: [FidelityRung] = []
    }

    private enum Event: Sendable {
        case reload([SourceConfig])
        case ended(String)
    }

    /// A source's run, and how to stop it.
    private struct Running {
        var config: SourceConfig
        var stop: AsyncStream<Void>.Continuation
        var stopping = false
    }

    let sources: [SourceConfig]
    let makeInput: @Sendable (SourceConfig) -> Input
    let batch: Reloadable<BatchConfig>
    let spool: Spool
    /// The levels of the sources' `fidelity` ladders, applied at each tick; nil: every source stays raw.
    let fidelity: FidelityAdapter?
    let metrics: AgentMetrics
    let logger: Logger
    let hostname: String
    private let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation

    init(
        sources: [SourceConfig],
        makeInput: @escaping @Sendable (SourceConfig) -> Input,
        batch: BatchConfig,
        spool: Spool,
        fidelity: FidelityAdapter? = nil,
        metrics: AgentMetrics,
        logger: Logger,
        hostname: String
    ) {
        self.sources = sources
        self.fidelity = fidelity
        self.makeInput = makeInput
        self.batch = Reloadable(batch)
        self.hostname = hostname
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream()
    }

    /// Runs `sources` from now on: removed and changed sources stop (sealing what they hold), new and changed ones
    /// start, the others keep running.
    func reload(sources: [SourceConfig]) {
        eventSink.yield(.reload(sources))
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running: [String: Running] = [:]
            /// Sources to start once the old run of the same name has ended.
            var waiting: [String: SourceConfig] = [:]
            var starting = sources
            var pending = events.makeAsyncIterator()
            loop: while true {
                for config in starting {
                    let (stopped, stop) = AsyncStream<Void>.makeStream()
                    running[config.name] = Running(config: config, stop: stop)
                    let input = makeInput(config)
                    group.addTask {
                        try await self.run(input, until: stopped)
                        self.eventSink.yield(.ended(config.name))
                    }
                }
                starting = []
                guard let event = await pending.next() else { break }
                switch event {
                case .ended(let name):
                    running[name] = nil
                    if let next = waiting.removeValue(forKey: name), !Task.isShuttingDownGracefully {
                        starting = [next]
                    } else if running.isEmpty {
                        break loop
                    }
                case .reload(let configs):
                    let wanted = Dictionary(configs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
                    for (name, run) in running where !run.stopping && wanted[name] != run.config {
                        logger.info(
                            wanted[name] == nil ? "source removed, stopping it" : "source changed, restarting it",
                            metadata: ["source": "\(name)"]
                        )
                        running[name]?.stopping = true
                        run.stop.finish()
                    }
                    waiting = [:]
                    for config in configs {
                        guard let run = running[config.name] else {
                            logger.info("source added", metadata: ["source": "\(config.name)"])
                            starting.append(config)
                            continue
                        }
                        if run.stopping { waiting[config.name] = config }
                    }
                }
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

    /// One source, its processors and its batcher, until the source ends, `stopped` finishes (a reload) or the
    /// agent shuts down.
    private func run(_ input: Input, until stopped: AsyncStream<Void>) async throws {
        let channel = AsyncChannel<SourceEvent>()
        let output = EventOutput(channel: channel)
        let source = input.source
        let logger = logger
        var settings = batch.current
        // Ticks often enough for the linger of the moment, and for a shorter one a reload may set.
        let tickInterval = max(min(settings.linger / 4, .milliseconds(250)), .milliseconds(10))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await withTaskGroup(of: Void.self) { running in
                        running.addTask {
                            do {
                                try await source.run(into: output)
                            } catch is CancellationError {
                            } catch {
                                logger.error(
                                    "source failed",
                                    metadata: ["source": "\(source.name)", "error": "\(error)"]
                                )
                            }
                        }
                        running.addTask {
                            for await _ in stopped {}
                        }
                        await running.next()
                        running.cancelAll()
                    }
                }
                await channel.send(.finished)
            }
            let ticks = AsyncTimerSequence(interval: tickInterval, clock: .continuous).map { _ in SourceEvent.tick }
            var batcher = Batcher(maxRecords: settings.maxRecords, maxBytes: settings.maxBytes, linger: settings.linger)
            var stage = RecordStage(
                source: source.name,
                chain: ProcessorChain(
                    source: source.name,
                    processors: input.processors,
                    fidelity: input.fidelity,
                    hostname: hostname,
                    metrics: metrics
                ),
                metrics: metrics
            )
            // A source that starts (or restarts after a reload) under backpressure starts at its ladder's level.
            for sealed in batcher.add(applyFidelity(to: &stage), now: .now) { try await seal(sealed, input) }
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
                    if batch.current != settings {
                        settings = batch.current
                        batcher.maxRecords = settings.maxRecords
                        batcher.maxBytes = settings.maxBytes
                        batcher.linger = settings.linger
                    }
                    for sealed in batcher.add(applyFidelity(to: &stage), now: .now) { try await seal(sealed, input) }
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

    /// Moves the source's ladder to the level the adapter set; returns what the old rung released.
    private func applyFidelity(to stage: inout RecordStage) -> [Record] {
        guard let level = fidelity?.level(of: stage.source), level != stage.fidelityLevel else { return [] }
        return stage.setFidelityLevel(level)
    }

    private func seal(_ batch: Batcher.Batch, _ input: Input) async throws {
        let encoding = BatchEncoding.preferred(for: batch.records)
        let frame = try BatchCodec.encode(batch.records, sequence: 0, encoding: encoding)
        let spool = spool
        let source = input.source.name
        metrics.sealed(frame, records: batch.records.count, source: source, encoding: encoding)
        fidelity?.sealed(bytes: frame.wireSize)
        do {
            // A stop request ends a `block` source's wait for room (an append with room completes as usual).
            _ = try await cancelWhenGracefulShutdown {
                try await spool.append(
                    frame,
                    source: source,
                    policy: input.policy,
                    priority: input.priority,
                    checkpoints: batch.checkpoints
                )
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
