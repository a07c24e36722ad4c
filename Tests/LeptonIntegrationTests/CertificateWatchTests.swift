import Foundation
import LeptonCollector
import LeptonRuntime
import LeptonTestSupport
import Logging
import Prometheus
import Testing

/// Warnings and metrics ahead of certificate expiry.
@Suite struct CertificateWatchTests {
    @Test func aCertificateNearItsEndIsFlaggedAheadAndAnExpiredOneAsExpired() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["long"])
        let soon = try CertificateAuthority.issueAgent(directory: directory.file("pki"), agent: "soon", validityDays: 3)
        let watch = CertificateWatch(
            files: [
                ("long", pki.agentTLS("long").cert), ("soon", soon.certificate),
                ("missing", directory.file("nope.pem")),
            ],
            registry: PrometheusCollectorRegistry(),
            metricPrefix: "lepton_test",
            logger: Logger(label: "test")
        )
        let now = Int64(Date().timeIntervalSince1970)
        let statuses = watch.check(now: now)
        #expect(statuses.map(\.level) == [.fine, .expiresSoon, .unreadable])
        let soonEnd = try #require(statuses[1].notValidAfter)
        #expect(abs(soonEnd - (now + 3 * 86_400)) < 600, "3 days from now")
        // Four days later the short one has expired.
        #expect(watch.check(now: now + 4 * 86_400)[1].level == .expired)
    }

    @Test func theCollectorExposesItsCertificateExpiry() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let ready = await eventually(timeout: .seconds(10)) {
            (try? await collector.metric("lepton_collector_certificate_expiry_timestamp_seconds{file=\"cert\"}")) != nil
        }
        let expiry = try await collector.metric("lepton_collector_certificate_expiry_timestamp_seconds{file=\"cert\"}")
        try await collector.stop()
        #expect(ready)
        #expect((expiry ?? 0) > Date().timeIntervalSince1970 + 86_400 * 300)
    }
}
