import Testing

@testable import LeptonCollector

@Suite struct CapacityEstimatorTests {
    /// One second in which `committed` bytes were committed.
    static func period(
        committed: Int,
        slowestCommit: Duration = .milliseconds(10),
        queued: Int = 0,
        wantMore: Bool = false
    ) -> CapacityEstimator.Observation {
        CapacityEstimator.Observation(
            elapsed: .seconds(1),
            committedBytes: committed,
            slowestCommit: slowestCommit,
            queuedBytes: queued,
            demandExceededBudget: wantMore
        )
    }

    @Test func probingMultipliesTheBudgetEachPeriodUpToTheCeiling() {
        var settings = CapacityEstimator.Settings()
        settings.ceiling = 200_000
        var estimator = CapacityEstimator(settings: settings, initialBudget: 100_000)
        var budgets: [Double] = []
        for _ in 0..<5 {
            estimator.observe(Self.period(committed: 100_000, wantMore: true))
            budgets.append(estimator.budget)
            #expect(!estimator.isSaturated)
        }
        #expect(budgets == [125_000, 156_250, 195_312.5, 200_000, 200_000])
    }

    @Test func aSlowCommitCutsTheBudgetToTheMeasuredThroughputWithHeadroom() {
        var estimator = CapacityEstimator(initialBudget: 2_000_000)
        // At the target exactly, the store still keeps up.
        estimator.observe(Self.period(committed: 1_000_000, slowestCommit: .milliseconds(250)))
        #expect(!estimator.isSaturated)
        #expect(estimator.budget == 2_000_000)

        estimator = CapacityEstimator(initialBudget: 2_000_000)
        estimator.observe(Self.period(committed: 1_000_000, slowestCommit: .milliseconds(251), wantMore: true))
        #expect(estimator.isSaturated)
        #expect(estimator.throughput == 1_000_000)
        #expect(estimator.budget == 900_000)
    }

    @Test func aQueueOverItsBoundCutsTheBudgetToo() {
        let bound = CapacityEstimator.Settings().maxQueuedBytes
        var estimator = CapacityEstimator(initialBudget: 2_000_000)
        estimator.observe(Self.period(committed: 1_000_000, queued: bound))
        #expect(!estimator.isSaturated)
        #expect(estimator.budget == 2_000_000)

        estimator = CapacityEstimator(initialBudget: 2_000_000)
        estimator.observe(Self.period(committed: 1_000_000, queued: bound + 1))
        #expect(estimator.isSaturated)
        #expect(estimator.budget == 900_000)
    }

    /// While saturated the budget follows what the store absorbs, also upwards: a store whose queue never empties
    /// (every agent has a batch waiting) must not keep the budget at the first, lowest measurement.
    @Test func whileSaturatedTheBudgetFollowsTheMeasuredThroughput() {
        var estimator = CapacityEstimator(initialBudget: 500_000)
        estimator.observe(Self.period(committed: 1_000_000, slowestCommit: .seconds(1), wantMore: true))
        #expect(estimator.isSaturated)
        #expect(estimator.budget == 900_000)
    }

    @Test func theBudgetNeverFallsBelowTheMinimum() {
        let minimum = CapacityEstimator.Settings().minimumBudget
        var estimator = CapacityEstimator(initialBudget: 1_000_000)
        estimator.observe(Self.period(committed: 1_000, slowestCommit: .seconds(2)))
        #expect(estimator.isSaturated)
        #expect(estimator.budget == minimum)
        estimator.observe(Self.period(committed: 0, slowestCommit: .seconds(2)))
        #expect(estimator.budget == minimum)

        #expect(CapacityEstimator(initialBudget: 10).budget == minimum)
        var settings = CapacityEstimator.Settings()
        settings.ceiling = minimum / 2
        #expect(CapacityEstimator(settings: settings, initialBudget: 1_000_000).budget == minimum)
    }

    @Test func withoutDemandPressureTheBudgetStays() {
        var estimator = CapacityEstimator(initialBudget: 1_000_000)
        for committed in [10_000, 900_000, 0, 2_000_000] {
            estimator.observe(Self.period(committed: committed))
            #expect(!estimator.isSaturated)
            #expect(estimator.budget == 1_000_000)
        }
    }

    @Test func probingResumesFromTheCutOnceTheStoreKeepsUpAgain() {
        var estimator = CapacityEstimator(initialBudget: 2_000_000)
        estimator.observe(Self.period(committed: 1_000_000, slowestCommit: .seconds(1), wantMore: true))
        #expect(estimator.budget == 900_000)
        estimator.observe(Self.period(committed: 1_000_000, wantMore: true))
        #expect(!estimator.isSaturated)
        #expect(estimator.budget == 1_125_000)
    }

    @Test func throughputIsAnExponentiallyWeightedMeanStartingFromTheFirstPeriod() {
        var estimator = CapacityEstimator(initialBudget: 1_000_000)
        #expect(estimator.throughput == 0)
        estimator.observe(
            CapacityEstimator.Observation(elapsed: .seconds(2), committedBytes: 2_000)
        )
        #expect(estimator.throughput == 1_000)
        estimator.observe(Self.period(committed: 2_000))
        #expect(estimator.throughput == 0.3 * 2_000 + 0.7 * 1_000)
        #expect(estimator.throughput == 1_300)
    }

    @Test func aPeriodOfNoLengthIsIgnored() {
        var estimator = CapacityEstimator(initialBudget: 1_000_000)
        estimator.observe(
            CapacityEstimator.Observation(
                elapsed: .zero,
                committedBytes: 5_000,
                slowestCommit: .seconds(5),
                demandExceededBudget: true
            )
        )
        #expect(estimator.throughput == 0)
        #expect(!estimator.isSaturated)
        #expect(estimator.budget == 1_000_000)
    }
}
