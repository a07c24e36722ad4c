import AsyncAlgorithms
import LeptonCore

/// Something that produces events: tailed files, sampled sensor files, a command's output, stdin.
protocol Source: Sendable {
    var name: String { get }
    /// Produces events until the input ends (stdin EOF) or the task is cancelled.
    func run(into output: EventOutput) async throws
}

/// Where a source hands its events: a channel with no buffer, so a slow downstream (a full spool with the
/// `block` policy) slows the source.
struct EventOutput: Sendable {
    let channel: AsyncChannel<SourceEvent>

    /// Hands over events; `positions` gives each event's end offset when they were read from a file.
    func emit(_ events: [Event], positions: FilePositions? = nil) async {
        guard !events.isEmpty else { return }
        // Sources are cancelled to stop them; a cancelled `send` would silently give up events already read
        // and counted, so the hand-over runs in a task of its own: the batcher takes it before it stops.
        let channel = channel
        await Task { await channel.send(.events(events, positions)) }.value
    }
}

/// What flows from one source to its processors and batcher.
enum SourceEvent: Sendable {
    case events([Event], FilePositions?)
    case tick
    case finished
}
