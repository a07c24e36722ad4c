import Foundation
import LeptonRuntime
import Logging

/// A logger for tests: silent unless `LEPTON_TEST_LOG` is set (to a level such as `debug`).
public func testLogger(_ label: String) -> Logger {
    guard let level = ProcessInfo.processInfo.environment["LEPTON_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
    else {
        return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
    return Logger(label: label, factory: { LogfmtLogHandler(label: $0, level: level) })
}

/// Polls `condition` every `interval` until it holds; returns false if `timeout` passed first.
public func eventually(
    timeout: Duration = .seconds(30),
    interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
