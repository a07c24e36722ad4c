import AsyncAlgorithms
import LeptonCore
import Logging
import ServiceLifecycle

/// Applies `storage.retention` every `interval` (first one `interval` after start): deletes records and rollups
/// past their period, in small transactions so ingest never waits long behind it.
struct RetentionService: Service {
    let sink: any RecordSink
    let storage: StorageConfig
    let logger: Logger
    var interval: Duration = .seconds(600)

    func run() async throws {
        guard storage.rawRetention != nil || !storage.rollupRetention.isEmpty else { return }
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            do {
                let deleted = try await sink.applyRetention(
                    now: wallClockNanoseconds(),
                    raw: storage.rawRetention,
                    rollups: storage.rollupRetention
                )
                if deleted > 0 { logger.info("retention applied", metadata: ["rows_deleted": "\(deleted)"]) }
            } catch {
                logger.warning("retention failed; trying again later", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Seals older records into compressed blocks every `interval` (first one `interval` after start), one block per
/// transaction so ingest never waits long behind it.
struct BlockSealer: Service {
    let sink: any RecordSink
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            do {
                let moved = try await sink.compact(now: wallClockNanoseconds())
                if moved > 0 { logger.debug("records sealed into blocks", metadata: ["records": "\(moved)"]) }
            } catch {
                logger.warning("sealing blocks failed; trying again later", metadata: ["error": "\(error)"])
            }
        }
    }
}
