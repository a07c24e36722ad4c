import Foundation
import LeptonCore
import NIOPosix

/// Writes the numbered lines "1\n" … "N\n" (each optionally followed by a space and random letters, which
/// zlib cannot shrink much) at a steady pace, to a file (appending, as a logger does) or to a
/// descriptor (a pipe feeding an agent's stdin). Runs until `count` lines are written or it is stopped.
public final class NumberedLines: Sendable {
    private let task: Task<Int, any Error>

    /// Appends to the file at `path` (created if needed).
    public convenience init(
        appendingTo path: String,
        count: Int,
        perSecond: Int,
        payloadBytes: Int = 0,
        startingAt first: Int = 1
    ) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        self.init(
            descriptor: descriptor,
            closing: true,
            count: count,
            perSecond: perSecond,
            payloadBytes: payloadBytes,
            startingAt: first
        )
    }

    /// Writes to `descriptor` (blocking writes on the NIO thread pool, so a full pipe only slows the writer).
    public init(
        descriptor: Int32,
        closing: Bool = false,
        count: Int,
        perSecond: Int,
        payloadBytes: Int = 0,
        startingAt first: Int = 1
    ) {
        task = Task {
            defer { if closing { close(descriptor) } }
            let started = ContinuousClock.now
            var next = first
            let last = first + count - 1
            // Small slices of 20 ms keep the pace smooth and the writer responsive to cancellation.
            while next <= last && !Task.isCancelled {
                let due = Int(Double(perSecond) * (ContinuousClock.now - started).inSeconds) + first - 1
                let upTo = min(last, max(due, next))
                let bytes = Array((next...upTo).map { "\($0)\(Self.payload(payloadBytes))\n" }.joined().utf8)
                try await NIOThreadPool.singleton.runIfActive { try Self.writeAll(bytes, to: descriptor) }
                next = upTo + 1
                try? await Task.sleep(for: .milliseconds(20))
            }
            return next - first
        }
    }

    /// Waits until every line is written; returns how many were.
    public func finished() async throws -> Int {
        try await task.value
    }

    /// Stops writing; returns how many lines were written.
    public func stop() async -> Int {
        task.cancel()
        return (try? await task.value) ?? 0
    }

    private static func payload(_ count: Int) -> String {
        guard count > 0 else { return "" }
        return " " + String((0..<count).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122))) })
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CocoaError(.fileWriteUnknown)
            }
            done += written
        }
    }
}
