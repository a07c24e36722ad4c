import LeptonCore
import NIOCore
import Synchronization

/// Live copies of the records the collector stores, for `GET /api/v1/tail` readers. Each reader has a bounded
/// buffer (`maxPendingBytes` of encoded events): a reader that falls behind is dropped from the tail (its stream
/// ends with a `dropped` event), so a slow reader never slows ingest or grows memory.
public final class TailHub: Sendable {
    /// Which records a reader wants: those of `agent` (all when nil) whose stream is `stream` or one of its tagged
    /// series (all when nil).
    public struct Filter: Sendable {
        public var agent: String?
        public var stream: String?

        public init(agent: String? = nil, stream: String? = nil) {
            self.agent = agent
            self.stream = stream
        }

        func matches(agent: String, record: Record) -> Bool {
            (self.agent == nil || self.agent == agent) && (stream == nil || stream == record.stream)
        }
    }

    private final class Reader: Sendable {
        let filter: Filter
        let continuation: AsyncStream<ByteBuffer>.Continuation
        let pending = Atomic<Int>(0)

        init(filter: Filter, continuation: AsyncStream<ByteBuffer>.Continuation) {
            self.filter = filter
            self.continuation = continuation
        }
    }

    public static let defaultMaxPendingBytes = 1 << 20

    let maxPendingBytes: Int
    private let readers = Mutex<[UInt64: Reader]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let closed = Atomic<Bool>(false)

    public init(maxPendingBytes: Int = TailHub.defaultMaxPendingBytes) {
        self.maxPendingBytes = maxPendingBytes
    }

    public var readerCount: Int { readers.withLock { $0.count } }

    /// A new reader: the server-sent events of matching records from now on, until the reader goes away, falls
    /// too far behind, or the collector stops.
    public func subscribe(_ filter: Filter) -> AsyncMapSequence<AsyncStream<ByteBuffer>, ByteBuffer> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (events, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let reader = Reader(filter: filter, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            _ = self?.readers.withLock { $0.removeValue(forKey: id) }
        }
        if closed.load(ordering: .relaxed) {
            continuation.finish()
        } else {
            readers.withLock { $0[id] = reader }
        }
        // The buffer shrinks as the reader takes events.
        return events.map { event in
            reader.pending.subtract(event.readableBytes, ordering: .relaxed)
            return event
        }
    }

    /// Hands the records of a stored batch to every reader that wants some of them.
    public func publish(agent: String, records: [Record]) {
        let current = readers.withLock { Array($0.values) }
        guard !current.isEmpty else { return }
        for reader in current {
            var text = ""
            for record in records where reader.filter.matches(agent: agent, record: record) {
                text += Self.event(agent: agent, record: record)
            }
            guard !text.isEmpty else { continue }
            let event = ByteBuffer(string: text)
            let pending = reader.pending.add(event.readableBytes, ordering: .relaxed).newValue
            if pending > maxPendingBytes {
                reader.continuation.yield(ByteBuffer(string: "event: dropped\ndata: {\"reason\":\"slow reader\"}\n\n"))
                reader.continuation.finish()
            } else {
                reader.continuation.yield(event)
            }
        }
    }

    /// Ends every reader's stream (the collector is stopping) and refuses new ones.
    public func close() {
        closed.store(true, ordering: .relaxed)
        for reader in readers.withLock({ Array($0.values) }) { reader.continuation.finish() }
    }

    /// `event: record` with the record as JSON: `{"agent", "stream", "time", "value" | "text"}`.
    static func event(agent: String, record: Record) -> String {
        var json = "{\"agent\":\(jsonString(agent)),\"stream\":\(jsonString(record.series.text)),"
        json += "\"time\":\(record.timestamp),"
        switch record.value {
        case .number(let value) where value.isNaN: json += "\"value\":\"NaN\"}"
        case .number(let value) where value.isInfinite: json += "\"value\":\"\(value > 0 ? "+Inf" : "-Inf")\"}"
        case .number(let value): json += "\"value\":\(value)}"
        case .text(let text): json += "\"text\":\(jsonString(text))}"
        }
        return "event: record\ndata: \(json)\n\n"
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
