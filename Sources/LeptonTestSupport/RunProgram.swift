import Foundation

/// Runs the program at `path` with `arguments` and stdin from /dev/null, waits for it, and returns its exit
/// status and what it wrote: stdout and stderr together, or stdout alone (stderr discarded) when
/// `includingStandardError` is false.
public func runProgram(
    _ path: String,
    _ arguments: [String],
    includingStandardError: Bool = true
) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = includingStandardError ? pipe : FileHandle(forWritingAtPath: "/dev/null")
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
