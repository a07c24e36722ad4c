import LeptonTestSupport
import Testing

@testable import LeptonCollector

@Suite struct FairShareTests {
    static func claims(weights: [Double], demands: [Double]) -> [FairShareDemand] {
        zip(weights, demands).map { FairShareDemand(weight: $0, demand: $1) }
    }

    @Test func backloggedAgentsSplitWhatAModestOneLeaves() {
        let claims = Self.claims(weights: [1, 1, 1], demands: [2, .infinity, .infinity])
        #expect(FairShare.allocate(capacity: 10, claims) == [2, 4, 4])
    }

    @Test func backloggedAgentsShareInProportionToTheirWeights() {
        let claims = Self.claims(weights: [1, 2, 4], demands: [.infinity, .infinity, .infinity])
        #expect(FairShare.allocate(capacity: 70, claims) == [10, 20, 40])
    }

    @Test func aSatisfiedHeavyAgentLeavesItsShareToTheOthersByWeight() {
        // The agent of weight 2 wants 5 of its 20; the other 65 go 1:4.
        let claims = Self.claims(weights: [1, 2, 4], demands: [.infinity, 5, .infinity])
        #expect(FairShare.allocate(capacity: 70, claims) == [13, 5, 52])
    }

    @Test func demandsThatFitAreGrantedExactly() {
        let claims = Self.claims(weights: [1, 3, 0.5], demands: [1.5, 7.25, 0.1])
        #expect(FairShare.allocate(capacity: 100, claims) == [1.5, 7.25, 0.1])
    }

    @Test func anIdleAgentGetsNothingAndItsShareGoesToTheOthers() {
        let claims = Self.claims(weights: [1, 1, 1], demands: [0, .infinity, .infinity])
        #expect(FairShare.allocate(capacity: 10, claims) == [0, 5, 5])
    }

    @Test func aNegativeDemandCountsAsIdle() {
        let claims = Self.claims(weights: [1, 1], demands: [-3, .infinity])
        #expect(FairShare.allocate(capacity: 10, claims) == [0, 10])
    }

    @Test func noCapacityGivesEveryoneZero() {
        let claims = Self.claims(weights: [1, 2], demands: [5, .infinity])
        #expect(FairShare.allocate(capacity: 0, claims) == [0, 0])
        #expect(FairShare.allocate(capacity: -1, claims) == [0, 0])
    }

    @Test func noClaimantsGetNothing() {
        #expect(FairShare.allocate(capacity: 10, []) == [])
    }

    @Test func infiniteCapacityGrantsEveryDemand() {
        let claims = Self.claims(weights: [1, 2], demands: [5, .infinity])
        #expect(FairShare.allocate(capacity: .infinity, claims) == [5, .infinity])
    }

    /// Seeded random cases (replayable) checked against the definition of weighted max-min fairness rather than
    /// against a second implementation.
    @Test func randomCasesAreFeasibleWorkConservingAndMaxMinFair() {
        var random = SplitMix64(seed: 1)
        func unit() -> Double { Double(random.next() >> 11) * 0x1.0p-53 }
        for _ in 0..<500 {
            let count = 1 + Int(random.next() % 8)
            let claims = (0..<count).map { _ -> FairShareDemand in
                let weight = 0.1 + unit() * 10
                let kind = random.next() % 8
                let demand = kind < 2 ? Double.infinity : kind == 2 ? 0 : unit() * 1000
                return FairShareDemand(weight: weight, demand: demand)
            }
            let capacity = random.next() % 16 == 0 ? 0 : unit() * 3000
            let allocation = FairShare.allocate(capacity: capacity, claims)

            let context = Comment(rawValue: "capacity \(capacity), claims \(claims), allocation \(allocation)")
            #expect(allocation.count == claims.count, context)
            let total = allocation.reduce(0, +)
            #expect(total <= capacity + 1e-6, context)
            for (claim, rate) in zip(claims, allocation) {
                #expect(rate >= 0, context)
                #expect(rate <= claim.demand, context)
                if total < capacity - 1e-6 {
                    #expect(rate == claim.demand, context)
                }
            }
            // Nobody held below its demand has less per unit of weight than anyone else.
            for (i, held) in claims.enumerated() where allocation[i] < held.demand {
                let heldLevel = allocation[i] / held.weight
                for (j, other) in claims.enumerated() {
                    let otherLevel = allocation[j] / other.weight
                    #expect(heldLevel >= otherLevel - 1e-9 * max(1, otherLevel), context)
                }
            }
        }
    }
}
