/// Jain's fairness index of `rates`: 1 when all are equal, 1/n when one has everything (1 for no rates at all).
public func jainIndex(_ rates: [Double]) -> Double {
    let sum = rates.reduce(0, +)
    let squares = rates.reduce(0) { $0 + $1 * $1 }
    return squares > 0 ? sum * sum / (Double(rates.count) * squares) : 1
}
