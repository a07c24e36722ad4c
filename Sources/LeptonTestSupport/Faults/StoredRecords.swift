import LeptonCollector
import LeptonCore

/// Reads back what a collector stored, straight from its SQLite file (a second reader; WAL allows it).
public enum StoredRecords {
    /// The text values of one stream, in store order (time, then arrival).
    public static func texts(database: String, agent: String, stream: String) async throws -> [String] {
        try await records(database: database, agent: agent, stream: stream).compactMap {
            if case .text(let text) = $0.value { return text }
            return nil
        }
    }

    /// Every record of one stream, in store order.
    public static func records(database: String, agent: String, stream: String) async throws -> [Record] {
        let sink = try SQLiteSink(path: database)
        return try await sink.query(agent: agent, stream: stream, from: nil, to: nil, limit: Int.max)
    }

    /// The stream names stored for `agent`.
    public static func streams(database: String, agent: String) async throws -> [String] {
        let sink = try SQLiteSink(path: database)
        return try await sink.streams().filter { $0.agent == agent }.map(\.stream)
    }
}
