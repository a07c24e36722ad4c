/// The newest tail position of each path one source follows, with the sequence number of the batch that
/// carried it. Bounded: past ``capacity`` paths the one not written for longest is forgotten (a glob over
/// dated log files would otherwise grow it forever), and its key is reported so its state file can go.
struct CheckpointTable {
    struct Entry {
        var sequence: UInt64
        var checkpoint: TailCheckpoint
    }

    static let capacity = 1024

    private(set) var entries: [TailKey: Entry] = [:]

    var checkpoints: [TailCheckpoint] { entries.values.map(\.checkpoint) }

    /// Records `checkpoint` unless a newer batch already moved its path; returns whether it changed, and the key
    /// forgotten to make room, if any.
    @discardableResult
    mutating func note(_ checkpoint: TailCheckpoint, sequence: UInt64) -> (changed: Bool, evicted: TailKey?) {
        if let current = entries[checkpoint.key] {
            guard sequence >= current.sequence else { return (false, nil) }
            entries[checkpoint.key] = Entry(sequence: sequence, checkpoint: checkpoint)
            return (true, nil)
        }
        var evicted: TailKey?
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.sequence < $1.value.sequence }) {
            entries[oldest.key] = nil
            evicted = oldest.key
        }
        entries[checkpoint.key] = Entry(sequence: sequence, checkpoint: checkpoint)
        return (true, evicted)
    }
}
