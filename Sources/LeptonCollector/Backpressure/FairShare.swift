/// One claimant of a shared rate: an agent with its weight and what it would use.
///
/// The scheduler builds one per connected agent each period, from the agent's configured weight and from what it
/// asked for (or `.infinity` when it has a backlog and would take any rate it is given).
public struct FairShareDemand: Hashable, Sendable {
    /// Relative share when the rate is scarce; must be finite and greater than zero.
    public var weight: Double
    /// Bytes/s it would use if given them; `.infinity` means it takes whatever it gets (backlogged).
    ///
    /// A negative or NaN demand is read as zero: an agent that reports nonsense is treated as idle rather than
    /// being allowed to distort everyone else's share.
    public var demand: Double

    public init(weight: Double, demand: Double) {
        self.weight = weight
        self.demand = demand
    }
}

/// Weighted max-min fair sharing of one rate (the collector's budget) among agents.
///
/// Max-min fairness is the allocation in which no claimant's share can grow without shrinking the share of one
/// that already has less (per unit of weight). It is what a single bottleneck queue with weighted fair queueing
/// converges to: idle or modest agents get all they ask for, and only the backlogged ones split what is left,
/// in proportion to their weights. A fixed per-agent quota would instead waste the share of idle agents.
public enum FairShare {
    /// Weighted max-min fair allocation of `capacity` (bytes/s) by water-filling.
    ///
    /// Each claimant gets `min(demand, λ·weight)`, with λ the largest level such that the total does not exceed
    /// `capacity`. When the total demand fits, everyone gets exactly its demand. The total of the result never
    /// exceeds `capacity` beyond floating-point rounding.
    ///
    /// Claimants are visited by increasing `demand / weight` (the level at which each is satisfied). While the
    /// next one's level, applied to every claimant still waiting, fits in what remains, it is satisfied in full;
    /// the first that does not fit fixes λ for itself and every one after it. This is O(n log n) for the sort.
    ///
    /// - Parameters:
    ///   - capacity: the rate to share, in bytes/s. Zero, negative or NaN gives everyone zero; `.infinity` gives
    ///     everyone its demand (infinite for a backlogged claimant).
    ///   - demands: the claimants; every weight must be finite and greater than zero (checked by precondition:
    ///     a zero weight has no defined share, so callers validate weights where they are configured).
    /// - Returns: one rate per claimant, in the order of `demands`.
    public static func allocate(capacity: Double, _ demands: [FairShareDemand]) -> [Double] {
        for claim in demands {
            precondition(claim.weight > 0 && claim.weight.isFinite, "fair-share weight must be finite and > 0")
        }
        let wanted = demands.map { claim in claim.demand > 0 ? claim.demand : 0 }  // NaN and negatives → 0
        guard capacity > 0 else { return [Double](repeating: 0, count: demands.count) }
        // Everything fits (this includes an infinite capacity): no need for a level, and no rounding either.
        let total = wanted.reduce(0, +)
        if total <= capacity { return wanted }

        let levels = demands.indices.map { wanted[$0] / demands[$0].weight }
        let order = demands.indices.sorted { levels[$0] < levels[$1] }
        // The weight of the claimants from each position of `order` to the end, summed from the back once so that
        // repeated subtraction cannot drift.
        var weightFrom = [Double](repeating: 0, count: order.count + 1)
        for position in order.indices.reversed() {
            weightFrom[position] = weightFrom[position + 1] + demands[order[position]].weight
        }

        var allocation = wanted
        var remaining = capacity
        for (position, index) in order.enumerated() {
            if levels[index] * weightFrom[position] <= remaining {
                remaining -= wanted[index]
                continue
            }
            // Rounding may leave `remaining` a hair below zero; a negative level would hand out negative rates.
            // The `min` keeps a rounded-up product from exceeding the demand it stands for.
            let level = max(0, remaining) / weightFrom[position]
            for rest in order[position...] {
                allocation[rest] = min(wanted[rest], level * demands[rest].weight)
            }
            break
        }
        return allocation
    }
}
