import Foundation

/// Writes a line to standard error (for command-line errors, before logging is set up).
public func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
