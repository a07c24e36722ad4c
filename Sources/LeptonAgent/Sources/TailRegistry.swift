import Synchronization

/// What the tails of one `file` source share: which files are open, so that two paths naming the same file
/// (`app.log` and the `app.log.1` it was renamed to, both matched by one glob) never read it twice; where the
/// files let go of during this run were read up to, so whichever tail opens such a file next goes on from
/// there; and the checkpoints the source started from.
final class TailRegistry: Sendable {
    private struct State {
        var held: [FileNode: TailKey] = [:]
        var letGo: [FileNode: TailCheckpoint] = [:]
        var running: Set<String> = []
    }

    private let state = Mutex(State())
    /// The checkpoint of each path as the source started.
    let saved: [TailKey: TailCheckpoint]
    private let savedByNode: [FileNode: [TailCheckpoint]]

    init(saved checkpoints: [TailCheckpoint]) {
        var saved: [TailKey: TailCheckpoint] = [:]
        var byNode: [FileNode: [TailCheckpoint]] = [:]
        for checkpoint in checkpoints {
            saved[checkpoint.key] = checkpoint
            byNode[checkpoint.file.node, default: []].append(checkpoint)
        }
        self.saved = saved
        savedByNode = byNode
    }

    /// Notes a tail starting on `path`; false when one runs there already or `limit` tails run.
    func start(_ path: String, limit: Int) -> Bool {
        state.withLock { state in
            guard state.running.count < limit, !state.running.contains(path) else { return false }
            state.running.insert(path)
            return true
        }
    }

    func ended(_ path: String) {
        _ = state.withLock { $0.running.remove(path) }
    }

    func isRunning(_ path: String) -> Bool {
        state.withLock { $0.running.contains(path) }
    }

    var runningCount: Int { state.withLock { $0.running.count } }

    /// Takes `node` for the tail of `key`; false while another tail of the source has it open.
    func claim(_ node: FileNode, for key: TailKey) -> Bool {
        state.withLock { state in
            if let holder = state.held[node], holder != key { return false }
            state.held[node] = key
            return true
        }
    }

    /// Gives `node` back, noting where it was read up to (nil when it was opened and closed without reading).
    func letGo(_ node: FileNode, at position: TailCheckpoint?) {
        state.withLock { state in
            state.held[node] = nil
            guard let position else { return }
            if state.letGo[position.file.node] == nil, state.letGo.count >= CheckpointTable.capacity {
                state.letGo.remove(at: state.letGo.startIndex)
            }
            state.letGo[position.file.node] = position
        }
    }

    /// Positions known for the file `node`, newest first: where a tail of this run let go of it, then the
    /// checkpoints the source started with. The caller checks the fingerprint.
    func positions(of node: FileNode) -> [TailCheckpoint] {
        let recent = state.withLock { $0.letGo[node] }
        return (recent.map { [$0] } ?? []) + (savedByNode[node] ?? [])
    }
}
