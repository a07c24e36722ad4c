import DequeModule
import Synchronization

/// Bounds the bytes of batches received and not yet committed (`backpressure.max_queued_bytes`): a batch enters
/// once there is room, in arrival order, and its connection is not read meanwhile, so TCP holds the agent back
/// instead of the collector's memory. One batch larger than the bound enters alone, so nothing waits forever.
final class IngestGate: Sendable {
    private struct Waiter {
        var bytes: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var inside = 0
        var waiting: Deque<Waiter> = []
        var waitingBytes = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes inside (being decoded and committed) plus bytes waiting to enter.
    var queuedBytes: Int { state.withLock { $0.inside + $0.waitingBytes } }

    /// Waits until `bytes` fit, then takes them; give them back with ``leave(_:)``.
    func enter(_ bytes: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state in
                if state.waiting.isEmpty && (state.inside == 0 || state.inside + bytes <= limit) {
                    state.inside += bytes
                    return true
                }
                state.waiting.append(Waiter(bytes: bytes, continuation: continuation))
                state.waitingBytes += bytes
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    /// Gives back what ``enter(_:)`` took, and lets in the waiters that now fit.
    func leave(_ bytes: Int) {
        let admitted = state.withLock { state in
            state.inside -= bytes
            var admitted: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiting.first, state.inside == 0 || state.inside + first.bytes <= limit {
                state.waiting.removeFirst()
                state.waitingBytes -= first.bytes
                state.inside += first.bytes
                admitted.append(first.continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }
}
