import Foundation

/// A built executable of this package run as a real process (stdout and stderr captured to files).
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `Process` is not Sendable; this wrapper only reads its pid and status after launch.
    public let process: Process
    public let standardError: String
    public let standardOutput: String

    /// The folder holding this package's built executables (next to the test bundle).
    public static var buildDirectory: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        // The test binary may sit inside `X.xctest/` on some platforms.
        while directory.hasSuffix(".xctest") || directory.contains(".xctest/") {
            directory = (directory as NSString).deletingLastPathComponent
        }
        return directory
    }

    /// Starts `name` (e.g. `lepton-collector`) with `arguments`; stdin from `input` if given, else /dev/null. The
    /// environment is this process's, without systemd's notification variables, plus `environment`.
    public init(
        _ name: String,
        _ arguments: [String],
        directory: String,
        input: FileHandle? = nil,
        environment: [String: String] = [:]
    ) throws {
        let process = Process()
        var inherited = ProcessInfo.processInfo.environment
        for systemd in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { inherited[systemd] = nil }
        process.environment = inherited.merging(environment) { $1 }
        process.executableURL = URL(fileURLWithPath: (Self.buildDirectory as NSString).appendingPathComponent(name))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stamp = UUID().uuidString.prefix(6)
        standardOutput = (directory as NSString).appendingPathComponent("\(name)-\(stamp).out")
        standardError = (directory as NSString).appendingPathComponent("\(name)-\(stamp).err")
        _ = FileManager.default.createFile(atPath: standardOutput, contents: nil)
        _ = FileManager.default.createFile(atPath: standardError, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: standardOutput))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: standardError))
        process.standardInput = input ?? FileHandle(forReadingAtPath: "/dev/null")
        try process.run()
        self.process = process
    }

    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` to the process (by PID).
    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the exit status; SIGKILLs the process and returns nil after `timeout`.
    public func wait(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    public var errorOutput: String { (try? String(contentsOfFile: standardError, encoding: .utf8)) ?? "" }
    public var output: String { (try? String(contentsOfFile: standardOutput, encoding: .utf8)) ?? "" }

    /// Runs to completion and returns the exit status.
    public static func run(
        _ name: String,
        _ arguments: [String],
        directory: String
    ) async throws -> (status: Int32?, process: ChildProcess) {
        let child = try ChildProcess(name, arguments, directory: directory)
        return (await child.wait(), child)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
