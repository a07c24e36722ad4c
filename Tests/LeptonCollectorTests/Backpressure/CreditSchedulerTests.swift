import LeptonCore
import Synchronization
import Testing

@testable import LeptonCollector

/// The scheduler on exact examples: a fixed budget (the estimator's ceiling), sessions that spend all their credit
/// (backlogged) or none (idle), grants at ACKs and at period ends.
@Suite struct CreditSchedulerTests {
    static let budget = 70_000.0

    static func scheduler(budget: Double = budget) -> CreditScheduler {
        var estimator = CapacityEstimator.Settings()
        estimator.ceiling = budget
        estimator.minimumBudget = 1_000
        return CreditScheduler(
            settings: .init(
                period: .seconds(1),
                estimator: estimator,
                initialBudget: budget,
                minimumWindow: 1_000,
                maximumWindow: 100_000
            )
        )
    }

    /// Collects what a session is granted between ACKs.
    final class Grants: Sendable {
        let received = Mutex<[CreditScheduler.Grant]>([])
        var total: UInt64 { received.withLock { $0.reduce(0) { $0 + $1.credit } } }
        func deliver(_ grant: CreditScheduler.Grant) { received.withLock { $0.append(grant) } }
    }

    /// Runs `periods` one-second periods in which the `backlogged` sessions spend every byte of credit they hold.
    static func run(
        _ scheduler: CreditScheduler,
        periods: Int,
        backlogged: [UInt64],
        start: ContinuousClock.Instant
    ) -> ContinuousClock.Instant {
        var now = start
        for _ in 0..<periods {
            for session in backlogged {
                let held = scheduler.snapshot().sessions.first { $0.session == session }!.heldCredit
                if held >= 1 {
                    scheduler.received(session: session, bytes: Int(held))
                    _ = scheduler.grantWithAck(session: session, now: now)
                }
            }
            now += .seconds(1)
            scheduler.tick(elapsed: .seconds(1), now: now)
        }
        return now
    }

    static func rates(_ scheduler: CreditScheduler) -> [Double] {
        scheduler.snapshot().sessions.map(\.grantedBytesPerSecond)
    }

    @Test func backloggedSessionsShareTheBudgetEqually() {
        let scheduler = Self.scheduler()
        let start = ContinuousClock.now
        for session in UInt64(1)...2 {
            scheduler.register(session: session, agent: "a\(session)", weight: 1, initialCredit: 100_000, now: start) {
                _ in
            }
        }
        _ = Self.run(scheduler, periods: 3, backlogged: [1, 2], start: start)
        #expect(Self.rates(scheduler).map { $0.rounded() } == [35_000, 35_000])
        #expect(scheduler.snapshot().sessions.allSatisfy { $0.backlogged })
    }

    @Test func weightsOneTwoFourGetRatesInProportion() {
        let scheduler = Self.scheduler()
        let start = ContinuousClock.now
        for (session, weight) in [(UInt64(1), 1.0), (2, 2), (3, 4)] {
            scheduler.register(
                session: session,
                agent: "a\(session)",
                weight: weight,
                initialCredit: 100_000,
                now: start
            ) { _ in }
        }
        _ = Self.run(scheduler, periods: 3, backlogged: [1, 2, 3], start: start)
        #expect(Self.rates(scheduler).map { $0.rounded() } == [10_000, 20_000, 40_000])
        // Advice is the fair rate: the same as the grant for a backlogged session.
        #expect(scheduler.snapshot().sessions.map { $0.advisedBytesPerSecond.rounded() } == [10_000, 20_000, 40_000])
    }

    /// An idle session keeps a small share (what it used, with room to grow); the rest goes to the busy one, and its
    /// advice still tells it the fair rate it could have.
    @Test func anIdleSessionLeavesItsShareToTheOthers() {
        let scheduler = Self.scheduler()
        let start = ContinuousClock.now
        scheduler.register(session: 1, agent: "busy", weight: 1, initialCredit: 100_000, now: start) { _ in }
        scheduler.register(session: 2, agent: "idle", weight: 1, initialCredit: 100_000, now: start) { _ in }
        _ = Self.run(scheduler, periods: 3, backlogged: [1], start: start)
        let sessions = scheduler.snapshot().sessions
        #expect(sessions[0].grantedBytesPerSecond.rounded() == Self.budget - 1_024)
        #expect(sessions[1].grantedBytesPerSecond.rounded() == 1_024)
        #expect(!sessions[1].backlogged)
        #expect(sessions[1].advisedBytesPerSecond >= Self.budget - 1_024)
    }

    /// A session that spent its credit and has no ACK coming gets credit at the period's end, at its rate, and never
    /// holds more than its window (two seconds of its rate here).
    @Test func aWaitingSessionIsGrantedCreditWithinItsWindow() {
        let scheduler = Self.scheduler()
        let grants = Grants()
        let start = ContinuousClock.now
        scheduler.register(session: 1, agent: "a", weight: 1, initialCredit: 100_000, now: start) { grants.deliver($0) }
        // It spends its initial credit (the maximum window) and its batch is committed: nothing earned yet.
        scheduler.received(session: 1, bytes: 100_000)
        #expect(scheduler.grantWithAck(session: 1, now: start).credit == 0)
        var now = start
        for second in 1...4 {
            now = start + .seconds(second)
            scheduler.tick(elapsed: .seconds(1), now: now)
        }
        // First period at the initial level (the whole budget), then its share: the budget.
        let held = scheduler.snapshot().sessions[0].heldCredit
        #expect(grants.total > 0)
        #expect(held == Double(grants.total))
        #expect(held <= 2 * Self.budget, "window: two seconds of its rate")
        #expect(grants.received.withLock { $0.allSatisfy { !$0.saturated && $0.advisedBytesPerSecond > 0 } })
    }

    /// While a batch is being committed its ACK will bring credit: no credit-only grant meanwhile.
    @Test func noSeparateGrantWhileACommitIsUnderway() {
        let scheduler = Self.scheduler()
        let grants = Grants()
        let start = ContinuousClock.now
        scheduler.register(session: 1, agent: "a", weight: 1, initialCredit: 100_000, now: start) { grants.deliver($0) }
        scheduler.received(session: 1, bytes: 100_000)
        scheduler.tick(elapsed: .seconds(1), now: start + .seconds(1))
        scheduler.tick(elapsed: .seconds(1), now: start + .seconds(2))
        #expect(grants.total == 0)
        #expect(scheduler.grantWithAck(session: 1, now: start + .seconds(2)).credit > 0)
    }

    /// The store's measured capacity sets the budget once it saturates: slow commits cut it to the throughput.
    @Test func slowCommitsCutTheBudgetToWhatTheStoreAbsorbed() {
        var estimator = CapacityEstimator.Settings()
        estimator.minimumBudget = 1_000
        let scheduler = CreditScheduler(
            settings: .init(
                period: .seconds(1),
                estimator: estimator,
                initialBudget: 1_000_000,
                minimumWindow: 1_000,
                maximumWindow: 100_000
            )
        )
        scheduler.committed(bytes: 50_000, latency: .seconds(2))
        scheduler.tick(elapsed: .seconds(1))
        let snapshot = scheduler.snapshot()
        #expect(snapshot.saturated)
        #expect(snapshot.budgetBytesPerSecond == 45_000)
    }

    /// A session whose next batch is larger than its window sends nothing while holding a full window: the window
    /// doubles each period until the batch fits.
    @Test func aWindowTooSmallForTheNextBatchGrows() {
        let scheduler = Self.scheduler()
        let grants = Grants()
        let start = ContinuousClock.now
        scheduler.register(session: 1, agent: "a", weight: 1, initialCredit: 1_000, now: start) { grants.deliver($0) }
        // A second session takes most of the budget, so the first one's rate alone would not make its window grow.
        scheduler.register(session: 2, agent: "b", weight: 1, initialCredit: 100_000, now: start) { _ in }
        var now = start
        var held: [Double] = []
        for _ in 0..<4 {
            now += .seconds(1)
            scheduler.tick(elapsed: .seconds(1), now: now)
            held.append(scheduler.snapshot().sessions[0].heldCredit)
        }
        #expect(held.last! >= 5_000, "held credit per period: \(held)")
    }
}
