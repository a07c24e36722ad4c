import Glibc
import LeptonCore
import Logging
import PostgresNIO
import Synchronization

/// The throwaway PostgreSQL server that `scripts/with-postgres.sh` starts around the tests (`make test` runs them
/// under it): its superuser URL is in `LEPTON_TEST_POSTGRES_URL`. Tests that need it are enabled only when it is set.
public enum TestPostgres {
    /// The server's superuser URL; nil when the tests run without the script.
    public static let url: String? = getenv("LEPTON_TEST_POSTGRES_URL").map { String(cString: $0) }

    /// Whether the tests run beside a server.
    public static var isAvailable: Bool { url != nil }

    private static let created = Atomic<Int>(0)

    /// Creates an empty database on the server for one test and returns where it is, with TLS off (loopback). The
    /// databases go with the server when the script ends.
    public static func makeDatabase(logger: Logger = testLogger("postgres")) async throws -> PostgresStorage {
        guard let url else { throw TestPostgresError.notRunning }
        var storage = try PostgresStorage(url: url)
        let name = "lepton_\(getpid())_\(created.add(1, ordering: .relaxed).newValue)"
        let connection = try await connect(to: storage, logger: logger)
        do {
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        storage.database = name
        storage.tls = .disable
        return storage
    }
}

extension TestPostgres {
    /// A connection of the test's own to a database of the server (close it when done).
    public static func connect(
        to storage: PostgresStorage,
        logger: Logger = testLogger("postgres")
    ) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: .init(
                host: storage.host,
                port: storage.port,
                username: storage.user,
                password: storage.password,
                database: storage.database,
                tls: .disable
            ),
            id: 1,
            logger: logger
        )
    }
}

public enum TestPostgresError: Error {
    /// LEPTON_TEST_POSTGRES_URL is not set: run the tests through scripts/with-postgres.sh (make test does).
    case notRunning
}

extension PostgresStorage {
    /// The URL to write in a collector's configuration file (no password: the test server trusts loopback).
    public var configURL: String {
        "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
