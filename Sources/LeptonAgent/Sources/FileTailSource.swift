import LeptonCore
import Logging

/// A `file` source: follows every file its paths name or its globs match (less the excluded ones), each with its
/// own tail and checkpoint. Globs are matched again every `scanInterval`, so files that appear later are
/// followed from their beginning; the tail of a matched file ends once the file is gone and read to its end.
/// A path named without wildcards is followed even before it exists, and waited for when it goes.
struct FileTailSource: Source {
    let name: String
    let config: FileSourceConfig
    /// The checkpoints to resume from (the spool's newest for this source, one per path).
    let resume: @Sendable () async -> [TailCheckpoint]
    let metrics: AgentMetrics
    let logger: Logger
    var pollInterval: Duration = .milliseconds(200)
    var scanInterval: Duration = .seconds(1)
    var chunkBytes = 256 * 1024

    /// Files one source follows at once (as many as the spool keeps checkpoints for).
    static let maxFiles = CheckpointTable.capacity

    func run(into output: EventOutput) async throws {
        let registry = TailRegistry(saved: await resume())
        let lines = LineSettings(config.lines)
        let followed = metrics.filesFollowed(source: name)
        let overLimit = metrics.filesOverLimit(source: name)
        var startAt = config.startAt
        var unmatched: Set<String> = []
        var limitLogged = false
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let (paths, empty) = matches()
                for pattern in empty.subtracting(unmatched) {
                    logger.warning("no file matches", metadata: ["source": "\(name)", "pattern": "\(pattern)"])
                }
                unmatched = empty
                var skipped = 0
                for (path, literal) in paths where !registry.isRunning(path) {
                    guard registry.start(path, limit: Self.maxFiles) else {
                        skipped += 1
                        continue
                    }
                    if !literal {
                        logger.info("following file", metadata: ["source": "\(name)", "path": "\(path)"])
                    }
                    let tailer = FileTailer(
                        source: name,
                        path: path,
                        lines: lines,
                        startAt: startAt,
                        endsWhenGone: !literal,
                        registry: registry,
                        metrics: metrics,
                        logger: logger,
                        pollInterval: pollInterval,
                        chunkBytes: chunkBytes
                    )
                    group.addTask {
                        defer { registry.ended(path) }
                        try await tailer.run(into: output)
                    }
                }
                if skipped > 0 && !limitLogged {
                    logger.warning(
                        "too many files; some are not followed",
                        metadata: ["source": "\(name)", "limit": "\(Self.maxFiles)", "not_followed": "\(skipped)"]
                    )
                }
                limitLogged = skipped > 0
                overLimit.set(Int64(skipped))
                followed.set(Int64(registry.runningCount))
                // Files that appear from now on are new: read from their beginning whatever `start_at` says.
                startAt = .beginning
                try await Task.sleep(for: scanInterval)
            }
        }
    }

    /// The paths to follow now, each once and in pattern order: every path named without wildcards, and every
    /// file a glob matches, less the excluded ones; and the globs that match nothing.
    func matches() -> (paths: [(path: String, literal: Bool)], emptyPatterns: Set<String>) {
        var seen: Set<String> = []
        var paths: [(path: String, literal: Bool)] = []
        var empty: Set<String> = []
        for pattern in config.paths {
            let literal = !PathGlob.hasWildcard(pattern)
            let found = literal ? [pattern] : PathGlob.expand(pattern)
            var matched = false
            for path in found where !config.exclude.contains(where: { PathGlob.matches($0, path: path) }) {
                matched = true
                if seen.insert(path).inserted { paths.append((path, literal)) }
            }
            if !literal && !matched { empty.insert(pattern) }
        }
        return (paths, empty)
    }
}
