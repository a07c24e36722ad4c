import Testing

@testable import LeptonCollector

@Suite struct CollectorMetricsTests {
    @Test func sequenceGapsCountJumpsAndSkippedNumbersWithoutAgentLabels() {
        let metrics = CollectorMetrics()
        metrics.sequenceGap(skipped: 4095)
        metrics.sequenceGap(skipped: 0)
        metrics.sequenceGap(skipped: 5)
        let text = metrics.registry.emitToString()
        #expect(text.contains("\nlepton_collector_sequence_gaps_total 2\n"))
        #expect(text.contains("\nlepton_collector_sequence_gap_numbers_total 4100\n"))
    }

    @Test func agentReportsAreCountedWithoutAgentLabels() {
        let metrics = CollectorMetrics()
        #expect(metrics.registry.emitToString().contains("\nlepton_collector_agent_reports_total 0\n"))
        metrics.agentReports.increment()
        metrics.agentReports.increment()
        #expect(metrics.registry.emitToString().contains("\nlepton_collector_agent_reports_total 2\n"))
    }
}
