import Testing

@testable import LeptonCore

/// `storage.rollups` and `storage.retention`.
@Suite struct StorageConfigTests {
    static func collector(storage: String) -> String {
        ConfigFixtures.minimalCollector.replacing(
            "storage: { type: sqlite, path: /var/lib/lepton-collector/lepton.db }",
            with: "storage: { type: sqlite, path: /var/lib/lepton-collector/lepton.db, \(storage) }"
        )
    }

    @Test func defaultsKeepRawSevenDaysMinutesNinetyAndHoursForever() throws {
        let config = try ConfigFixtures.collector(ConfigFixtures.minimalCollector)
        #expect(config.storage.rollups == [.seconds(60), .seconds(3_600)])
        #expect(config.storage.rawRetention == .seconds(7 * 86_400))
        #expect(config.storage.rollupRetention == [.seconds(60): .seconds(90 * 86_400)])
    }

    @Test func rollupsAndRetentionAreRead() throws {
        let yaml = Self.collector(storage: "rollups: [10s, 5m, 1d], retention: { raw: forever, 10s: 2d, 1d: 3650d }")
        let storage = try ConfigFixtures.collector(yaml).storage
        #expect(storage.rollups == [.seconds(10), .seconds(300), .seconds(86_400)])
        #expect(storage.rawRetention == nil)
        #expect(
            storage.rollupRetention == [.seconds(10): .seconds(2 * 86_400), .seconds(86_400): .seconds(3_650 * 86_400)]
        )
    }

    @Test(arguments: [
        ("rollups: [1h, 1m]", "must be listed in increasing order"),
        ("rollups: [1m, 90s]", "must be a multiple of the one before it"),
        ("rollups: [500ms]", "whole number of seconds"),
        ("retention: { 5m: 1d }", "'5m' is not a kept resolution; expected one of: raw, 1m, 1h"),
        ("retention: { raw: sometimes }", "'sometimes' is not a duration"),
    ])
    func mistakesAreNamed(storage: String, message: String) throws {
        let error = try ConfigFixtures.collectorError(Self.collector(storage: storage))
        #expect(error.message.contains(message), "\(error)")
        #expect(error.keyPath.hasPrefix("storage."), "\(error)")
        #expect(error.line == 4)
    }
}
