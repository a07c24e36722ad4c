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

    static func postgres(_ storage: String) -> String {
        ConfigFixtures.minimalCollector.replacing(
            "storage: { type: sqlite, path: /var/lib/lepton-collector/lepton.db }",
            with: "storage: { type: postgres, \(storage) }"
        )
    }

    @Test func postgresURLIsRead() throws {
        let yaml = Self.postgres(
            "url: 'postgresql://lep%40ton:s%3Acret@db.example:6432/metrics?sslmode=verify-full&sslrootcert=/etc/ca.pem',"
                + " pool: 4"
        )
        guard case .postgres(let postgres) = try ConfigFixtures.collector(yaml).storage.backend else {
            Issue.record("not a postgres store")
            return
        }
        #expect(postgres.host == "db.example")
        #expect(postgres.port == 6432)
        #expect(postgres.user == "lep@ton")
        #expect(postgres.password == "s:cret")
        #expect(postgres.database == "metrics")
        #expect(postgres.tls == .verifyFull)
        #expect(postgres.rootCertificate == "/etc/ca.pem")
        #expect(postgres.poolSize == 4)
        #expect(postgres.redacted == "postgres://lep@ton@db.example:6432/metrics")
    }

    @Test func postgresDefaults() throws {
        let storage = try PostgresStorage(url: "postgres://lepton@[::1]")
        #expect(storage.host == "::1")
        #expect(storage.port == 5432)
        #expect(storage.database == "lepton", "the user's name, as libpq does")
        #expect(storage.tls == .prefer)
        #expect(storage.poolSize == PostgresStorage.defaultPoolSize)
    }

    @Test(arguments: [
        ("url: 'mysql://a@b/c'", "expected a URL of the form postgres://"),
        ("url: 'postgres://db.example/c'", "names no user"),
        ("url: 'postgres://a@db.example:99999/c'", "bad host or port"),
        ("url: 'postgres://a@b/c?sslmode=sometimes'", "sslmode 'sometimes' is not one of"),
        ("url: 'postgres://a@b/c?sslrootcert=/x.pem'", "sslrootcert needs sslmode=verify-full"),
        ("url: 'postgres://a@b/c?application_name=x'", "unknown URL parameter 'application_name'"),
        ("url: 'postgres://a@b/c', pool: 0", "pool is a number of connections"),
        ("url: 'postgres://a@b/c', path: /x.db", "'path' applies to type: sqlite only"),
        ("pool: 3", "url"),
    ])
    func postgresMistakesAreNamed(storage: String, message: String) throws {
        let error = try ConfigFixtures.collectorError(Self.postgres(storage))
        #expect(error.message.contains(message), "\(error)")
        #expect(error.keyPath.hasPrefix("storage"), "\(error)")
        #expect(error.line == 4)
    }
}
