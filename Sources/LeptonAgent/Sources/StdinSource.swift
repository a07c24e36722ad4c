import LeptonCore
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One record per line (or multi-line record) of standard input; ends at EOF.
struct StdinSource: Source {
    let name: String
    let lines: LineSettings
    let metrics: AgentMetrics
    let logger: Logger
    var descriptor: Int32 = 0

    func run(into output: EventOutput) async throws {
        var reader = lines.reader(source: name, metrics: metrics, logger: logger)
        var offset: Int64 = 0
        while !Task.isCancelled {
            let chunk = try await NIOThreadPool.singleton.runIfActive { [descriptor] in
                try Self.read(descriptor: descriptor, waitingAtMost: 200)
            }
            guard let chunk else {
                await output.emit(reader.expire())
                continue
            }
            if chunk.isEmpty {
                await output.emit(reader.finish(at: offset))
                logger.info("stdin closed", metadata: ["source": "\(name)"])
                return
            }
            let events = chunk.withUnsafeBytes { reader.push($0, at: offset) }
            offset += Int64(chunk.count)
            await output.emit(events)
        }
        // Stopped (shutdown, or a reload that changed this source): a line read in part is kept as it is, since
        // stdin cannot be read again.
        await output.emit(reader.finish(at: offset))
    }

    /// Waits up to `milliseconds` for input (so cancellation is noticed), then reads what is there.
    /// nil: nothing yet; empty: end of input.
    static func read(descriptor: Int32, waitingAtMost milliseconds: Int32) throws -> [UInt8]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, milliseconds)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw AgentError("poll on stdin failed: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw AgentError("reading stdin failed: \(String(cString: strerror(errno)))")
        }
        return Array(buffer.prefix(count))
    }
}
