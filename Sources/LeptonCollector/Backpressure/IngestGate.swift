import HeapModule
import Synchronization

/// The door between received batches and the store: at most `maxConcurrent` batches, and `limit` bytes, are decoded
/// and committed at once (`backpressure.max_concurrent_commits`, `backpressure.max_queued_bytes`); the others wait
/// here (in a heap), and their connections are not read meanwhile, so TCP holds the agents back instead of the collector's
/// memory. One batch alone always enters, so nothing waits forever.
///
/// Waiting batches enter in weighted fair order (start-time fair queuing): each session's batch gets a start tag,
/// `max(virtual time, the session's last finish tag)`, and a finish tag, `start + bytes / weight`; the smallest start
/// tag enters first, and the virtual time moves to it. A saturated store therefore serves sessions in proportion to
/// their weights whatever credit they hold, and a session that sends a burst waits behind those that sent less.
final class IngestGate: Sendable {
    /// Ordered by start tag, then arrival: the heap's minimum is the next to enter.
    private struct Waiter: Comparable {
        var session: UInt64
        var bytes: Int
        var start: Double
        /// Arrival order, to break ties between equal start tags; unique.
        var order: UInt64
        var continuation: CheckedContinuation<Void, Never>

        static func < (lhs: Waiter, rhs: Waiter) -> Bool {
            (lhs.start, lhs.order) < (rhs.start, rhs.order)
        }

        static func == (lhs: Waiter, rhs: Waiter) -> Bool {
            lhs.order == rhs.order
        }
    }

    private struct State {
        var inside = 0
        var insideBytes = 0
        var waiting = Heap<Waiter>()
        var waitingBytes = 0
        var virtualTime = 0.0
        var finishTags: [UInt64: Double] = [:]
        var arrivals: UInt64 = 0
    }

    let limit: Int
    let maxConcurrent: Int
    private let state = Mutex(State())

    init(limit: Int, maxConcurrent: Int = 8) {
        self.limit = limit
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Bytes inside (being decoded and committed) plus bytes waiting to enter.
    var queuedBytes: Int { state.withLock { $0.insideBytes + $0.waitingBytes } }

    /// Waits for the turn of a batch of `bytes` from `session` (of `weight`), then takes its room; give it back
    /// with ``leave(_:)``.
    func enter(_ bytes: Int, session: UInt64, weight: Double) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state in
                let start = max(state.virtualTime, state.finishTags[session] ?? 0)
                state.finishTags[session] = start + Double(bytes) / max(weight, 1e-9)
                if state.waiting.isEmpty && fits(bytes, state) {
                    state.inside += 1
                    state.insideBytes += bytes
                    state.virtualTime = start
                    return true
                }
                state.arrivals += 1
                state.waiting.insert(
                    Waiter(
                        session: session,
                        bytes: bytes,
                        start: start,
                        order: state.arrivals,
                        continuation: continuation
                    )
                )
                state.waitingBytes += bytes
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func fits(_ bytes: Int, _ state: State) -> Bool {
        state.inside == 0 || (state.inside < maxConcurrent && state.insideBytes + bytes <= limit)
    }

    /// Gives back what ``enter(_:session:weight:)`` took, and lets in the waiters whose turn it is and that fit.
    func leave(_ bytes: Int) {
        let admitted = state.withLock { state in
            state.inside -= 1
            state.insideBytes -= bytes
            var admitted: [CheckedContinuation<Void, Never>] = []
            while let next = state.waiting.min, fits(next.bytes, state) {
                let waiter = state.waiting.removeMin()
                state.waitingBytes -= waiter.bytes
                state.inside += 1
                state.insideBytes += waiter.bytes
                state.virtualTime = waiter.start
                admitted.append(waiter.continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }

    /// The session ended: forget its finish tag.
    func forget(session: UInt64) {
        _ = state.withLock { $0.finishTags.removeValue(forKey: session) }
    }
}
