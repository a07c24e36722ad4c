import AsyncAlgorithms
import LeptonCore
import Logging
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Watches when the program's own certificates expire: exposes each as a gauge
/// (`PREFIX_certificate_expiry_timestamp_seconds{file=…}`), warns in the log from `warnBefore` ahead (default 14
/// days, then once a check), and logs an error once one has expired. Checks at start, every `interval`, and when
/// a reload hands it the files anew (`watch(_:)`).
public struct CertificateWatch: Service {
    public struct Status: Hashable, Sendable {
        public enum Level: Hashable, Sendable {
            case fine
            case expiresSoon
            case expired
            case unreadable
        }
        public var label: String
        public var path: String
        public var notValidAfter: Int64?
        public var level: Level
    }

    private let files: Reloadable<[(label: String, path: String)]>
    let registry: PrometheusCollectorRegistry
    let metricPrefix: String
    let warnBefore: Duration
    let interval: Duration
    let logger: Logger

    /// - Parameters:
    ///   - files: what to watch, e.g. `[("cert", tls.cert), ("ca", tls.ca)]`.
    ///   - metricPrefix: `lepton_agent` or `lepton_collector`.
    public init(
        files: [(label: String, path: String)],
        registry: PrometheusCollectorRegistry,
        metricPrefix: String,
        warnBefore: Duration = .seconds(14 * 86_400),
        interval: Duration = .seconds(6 * 3_600),
        logger: Logger
    ) {
        self.files = Reloadable(files)
        self.registry = registry
        self.metricPrefix = metricPrefix
        self.warnBefore = warnBefore
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        report(check(now: Int64(time(nil))))
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            report(check(now: Int64(time(nil))))
        }
    }

    /// Watches `files` from now on (a reload may name others, or the same ones renewed) and checks them at once.
    public func watch(_ files: [(label: String, path: String)]) {
        self.files.replace(files)
        report(check(now: Int64(time(nil))))
    }

    /// Each watched file's expiry and level at `now` (seconds since the epoch).
    public func check(now: Int64) -> [Status] {
        files.current.map { file in
            guard let expiry = try? LeptonTLS.notValidAfter(certificateAt: file.path) else {
                return Status(label: file.label, path: file.path, notValidAfter: nil, level: .unreadable)
            }
            let level: Status.Level =
                expiry <= now ? .expired : (expiry - now <= warnBefore.components.seconds ? .expiresSoon : .fine)
            return Status(label: file.label, path: file.path, notValidAfter: expiry, level: level)
        }
    }

    private func report(_ statuses: [Status]) {
        for status in statuses {
            if let expiry = status.notValidAfter {
                registry.gauge(
                    "\(metricPrefix)_certificate_expiry_timestamp_seconds",
                    help: "When the certificate expires, in seconds since the epoch.",
                    labels: [("file", status.label)]
                ).set(expiry)
            }
            let metadata: Logger.Metadata = [
                "file": "\(status.label)", "path": "\(status.path)",
                "not_valid_after": "\(status.notValidAfter.map(String.init) ?? "unknown")",
            ]
            switch status.level {
            case .fine: break
            case .expiresSoon:
                logger.warning("certificate expires soon: issue a new one and reload (SIGHUP)", metadata: metadata)
            case .expired: logger.error("certificate expired: connections will fail", metadata: metadata)
            case .unreadable: logger.warning("cannot read certificate to check its expiry", metadata: metadata)
            }
        }
    }
}
