import AsyncAlgorithms
import LeptonCore

/// Something that produces records: a tailed file, sampled sensor files, stdin.
protocol Source: Sendable {
    var name: String { get }
    /// Produces records until the input ends (stdin EOF) or the task is cancelled.
    func run(into output: RecordOutput) async throws
}

/// Where a source hands its records: a channel with no buffer, so a slow downstream (a full spool with the
/// `block` policy) slows the source.
struct RecordOutput: Sendable {
    let channel: AsyncChannel<SourceEvent>

    /// Hands over records; `positions` gives each record's end offset when they were read from a file.
    func emit(_ records: [Record], positions: FilePositions? = nil) async {
        guard !records.isEmpty else { return }
        // Sources are cancelled to stop them; a cancelled `send` would silently give up records already read
        // and counted, so the hand-over runs in a task of its own: the batcher takes it before it stops.
        let channel = channel
        await Task { await channel.send(.records(records, positions)) }.value
    }
}

/// What flows from one source to its batcher.
enum SourceEvent: Sendable {
    case records([Record], FilePositions?)
    case tick
    case finished
}
