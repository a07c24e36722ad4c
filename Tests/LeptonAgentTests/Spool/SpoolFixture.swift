import Foundation
import LeptonCore
import LeptonTestSupport

@testable import LeptonAgent

/// A spool in a temporary directory of its own (state in `path`, segments under `path/spool`), opened again as a
/// restarted agent would open it, with the file surgery the damage tests need.
struct SpoolFixture {
    let directory: TemporaryDirectory
    var maxBytes: Int
    /// Small values are allowed here (the configuration's minimum does not apply to the actor): 1 puts every batch
    /// in a segment of its own.
    var segmentBytes: Int
    var fsync: FsyncPolicy
    var policies: [String: SpoolPolicy]

    init(
        maxBytes: Int = 1 << 20,
        segmentBytes: Int = 1 << 20,
        fsync: FsyncPolicy = .never,
        policies: [String: SpoolPolicy] = [:]
    ) throws {
        directory = try TemporaryDirectory(prefix: "lepton-spool")
        self.maxBytes = maxBytes
        self.segmentBytes = segmentBytes
        self.fsync = fsync
        self.policies = policies
    }

    /// Opens the spool, recovering whatever is on disk (a restart when a previous one was closed).
    func makeSpool(metrics: AgentMetrics = AgentMetrics()) throws -> Spool {
        try Spool(
            configuration: .init(
                directory: directory.file("spool"),
                maxBytes: maxBytes,
                segmentBytes: segmentBytes,
                fsync: fsync
            ),
            stateDirectory: directory.path,
            policies: policies,
            metrics: metrics,
            logger: testLogger("spool")
        )
    }

    func remove() {
        directory.remove()
    }

    /// The segment files of `source`, oldest first.
    func segmentFiles(of source: String = "app") -> [String] {
        let folder = directory.file("spool/source-\(source)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".seg") }.sorted().map { folder + "/" + $0 }
    }

    /// The intact batches of a segment file, where the scanner finds them.
    static func batches(in path: String) throws -> [SpoolRecordFormat.Found] {
        let bytes = try contents(of: path)
        return bytes.withUnsafeBytes { SpoolRecordFormat.scan($0, maxPayload: Spool.maxPayload).found }
    }

    static func contents(of path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw AgentError("cannot read \(path)") }
        return [UInt8](data)
    }

    /// Inverts every bit of the byte at `offset`, through a descriptor of its own (as a bad disk would).
    static func flipByte(at offset: Int, in path: String) throws {
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path)") }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        guard pread(descriptor, &byte, 1, off_t(offset)) == 1 else { throw AgentError("cannot read \(path)") }
        byte ^= 0xFF
        guard pwrite(descriptor, &byte, 1, off_t(offset)) == 1 else { throw AgentError("cannot write \(path)") }
    }

    /// Cuts the file to `size` bytes, as a crash in the middle of a write leaves it.
    static func cut(_ path: String, to size: Int) throws {
        guard truncate(path, off_t(size)) == 0 else { throw AgentError("cannot truncate \(path)") }
    }

    static func fileSize(_ path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int(status.st_size)
    }
}

extension Spool {
    /// `append` with the arguments most tests use.
    func add(
        _ frame: Message.BatchFrame,
        source: String = "app",
        policy: SpoolPolicy = .block,
        priority: Int = 0,
        checkpoint: TailCheckpoint? = nil
    ) async throws -> AppendOutcome {
        try await append(
            frame,
            source: source,
            policy: policy,
            priority: priority,
            checkpoints: checkpoint.map { [$0] } ?? []
        )
    }
}

extension Spool.AppendOutcome {
    /// The id the batch was spooled under, nil if it was dropped.
    var id: UInt64? {
        guard case .spooled(let id) = self else { return nil }
        return id
    }
}

extension Spool {
    /// Batch `id` as handed to a connection, with its id in place of its sequence number (tests of what is stored).
    func content(id: UInt64) throws -> Message.BatchFrame? {
        guard var frame = try handOff(id: id) else { return nil }
        frame.sequence = id
        return frame
    }

    /// Hands every batch held with an id up to `id` to a connection, in id order, then acknowledges every sequence
    /// number handed out so far: what sending them and an ACK do.
    @discardableResult
    func acknowledge(upTo id: UInt64) throws -> (batches: Int, records: Int) {
        var highest: UInt64 = 0
        for entry in queues.joined().sorted(by: { $0.id < $1.id }) where entry.id <= id {
            if let frame = try handOff(id: entry.id) { highest = max(highest, frame.sequence) }
        }
        return release(upTo: highest)
    }
}

/// The result of `task`, or nil if it has not finished within `limit`: a bug fails the test instead of hanging it.
func outcome<Success: Sendable>(
    of task: Task<Success, any Error>,
    within limit: Duration = .seconds(5)
) async -> Result<Success, any Error>? {
    let (results, continuation) = AsyncStream<Result<Success, any Error>?>.makeStream()
    let waiter = Task { continuation.yield(await task.result) }
    let timer = Task {
        try? await Task.sleep(for: limit)
        continuation.yield(nil)
    }
    defer {
        waiter.cancel()
        timer.cancel()
    }
    for await first in results {
        return first
    }
    return nil
}
