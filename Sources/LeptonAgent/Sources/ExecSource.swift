import Glibc
import LeptonCore
import Logging
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs a command every `interval` (`sensors -j`, a vendor CLI) and parses its standard output into events.
///
/// A run that cannot start, exits non-zero or outlives `timeout` (then it is killed) is counted by reason and
/// logged when the command starts and stops failing; its output is not used. Output beyond
/// ``maxOutputBytes`` is a failure too: the agent's memory stays bounded whatever the command prints.
struct ExecSource: Source {
    let name: String
    let config: ExecConfig
    let metrics: AgentMetrics
    let logger: Logger
    /// False for one run only (`preview --input`).
    var repeats = true
    static let maxOutputBytes = 4 << 20

    /// The same source, run once.
    func once() -> ExecSource {
        var copy = self
        copy.repeats = false
        return copy
    }

    /// How one run ended.
    enum Run: Sendable, Equatable {
        case output(String)
        case failed(reason: String, detail: String)
    }

    func run(into output: EventOutput) async throws {
        let clock = ContinuousClock()
        var deadline = clock.now
        var parser = EventParser(config: config.parser, name: name)
        var errors = ParseErrorLog()
        var failing = false
        metrics.dropped(0, source: name, reason: "parse_error")
        for reason in ["start", "exit", "timeout", "output"] {
            _ = metrics.commandFailures(source: name, reason: reason)
        }
        while !Task.isCancelled {
            let now = wallClockNanoseconds()
            let run = try await NIOThreadPool.singleton.runIfActive { [config] in
                Self.execute(config.command, timeout: config.timeout)
            }
            switch run {
            case .output(let text):
                if failing {
                    failing = false
                    logger.info("command succeeds again", metadata: ["source": "\(name)"])
                }
                let (events, parseErrors) = parser.parse(document: text, readTime: now)
                for error in parseErrors { errors.record(error, line: text, source: name, logger: logger) }
                if !parseErrors.isEmpty {
                    metrics.produced(parseErrors.count, source: name)
                    metrics.dropped(parseErrors.count, source: name, reason: "parse_error")
                }
                await output.emit(events)
            case .failed(let reason, let detail):
                metrics.commandFailures(source: name, reason: reason).increment()
                if !failing {
                    failing = true
                    logger.warning(
                        "command failed",
                        metadata: [
                            "source": "\(name)", "command": "\(config.command.joined(separator: " "))",
                            "reason": "\(reason)", "detail": "\(detail)",
                        ]
                    )
                }
            }
            if !repeats { return }
            deadline = deadline.advanced(by: config.interval)
            if deadline < clock.now { deadline = clock.now }
            try await Task.sleep(until: deadline, clock: clock)
        }
    }

    /// Runs `command` to its end (blocking: call it on a thread pool), killing it after `timeout`.
    ///
    /// The command runs in a process group of its own, so a kill also reaches what it started (`sh -c 'a | b'`).
    static func execute(_ command: [String], timeout: Duration) -> Run {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else {
            return .failed(reason: "start", detail: "pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (pipe[0], pipe[1])
        // Not inherited by other children the agent starts; the command gets the write end as its stdout.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { close(readEnd) }
        let spawned = spawn(command, stdout: writeEnd)
        close(writeEnd)
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error): return .failed(reason: "start", detail: error.description)
        }

        let deadline = ContinuousClock.now.advanced(by: timeout)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var failure: Run?
        while true {
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                failure = .failed(reason: "timeout", detail: "still running after \(timeout)")
                break
            }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(max(left.inSeconds * 1000, 1), 1000)))
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer.prefix(count))
            if bytes.count > maxOutputBytes {
                failure = .failed(reason: "output", detail: "more than \(maxOutputBytes) bytes of output")
                break
            }
        }
        if failure != nil { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if let failure { return failure }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        guard signal == 0, (status >> 8) & 0xff == 0 else {
            return .failed(
                reason: "exit",
                detail: signal == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
            )
        }
        return .output(String(decoding: bytes, as: UTF8.self))
    }

    /// A spawn failure, with the reason in words.
    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `command` in a new process group with stdout on `stdout`, stdin and stderr on /dev/null.
    private static func spawn(_ command: [String], stdout: Int32) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let program = resolve(command[0])
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, &arguments, environ)
        guard result == 0 else {
            return .failure(SpawnError(description: "\(program): \(String(cString: strerror(result)))"))
        }
        return .success(pid)
    }

    /// A bare program name looked up in `PATH`, like a shell would; a path is used as it is.
    static func resolve(_ program: String) -> String {
        guard !program.contains("/") else { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return program
    }
}
