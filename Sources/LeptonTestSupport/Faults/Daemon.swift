import Foundation
import Synchronization

/// A program of this package run as a real process from its config file, that a test can SIGKILL and start
/// again as often as it likes (stopped by PID, never left behind).
public final class Daemon: Sendable {
    public let program: String
    public let configPath: String
    public let directory: String
    /// The running process, if any; replaced on every start.
    private let current = Mutex<ChildProcess?>(nil)
    /// Every process started, for their logs.
    private let started = Mutex<[ChildProcess]>([])

    public init(program: String, configPath: String, directory: String) {
        self.program = program
        self.configPath = configPath
        self.directory = directory
    }

    /// Starts the program (`run --config FILE`), with stdin from `input` if given.
    public func start(input: FileHandle? = nil) throws {
        let child = try ChildProcess(program, ["run", "--config", configPath], directory: directory, input: input)
        current.withLock { $0 = child }
        started.withLock { $0.append(child) }
    }

    public var pid: Int32? { current.withLock { $0?.pid } }
    public var isRunning: Bool { current.withLock { $0?.process.isRunning ?? false } }

    /// SIGKILL: no chance to flush or say goodbye.
    public func kill() async {
        guard let child = current.withLock({ $0 }) else { return }
        child.signal(SIGKILL)
        _ = await child.wait(timeout: .seconds(10))
        current.withLock { $0 = nil }
    }

    /// SIGTERM, then the exit status (SIGKILL after `timeout`).
    @discardableResult
    public func stop(timeout: Duration = .seconds(30)) async -> Int32? {
        guard let child = current.withLock({ $0 }) else { return nil }
        child.signal(SIGTERM)
        let status = await child.wait(timeout: timeout)
        current.withLock { $0 = nil }
        return status
    }

    /// The stderr of every process started so far (the logs), for failure messages.
    public var logs: String {
        started.withLock { $0.map(\.errorOutput).joined(separator: "\n--- restart ---\n") }
    }
}
