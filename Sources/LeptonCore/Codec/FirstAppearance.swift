/// Values numbered in order of first appearance, the way every dictionary in a batch is written: `distinct` holds
/// each value once, `indices[i]` is the position in `distinct` of the i-th value read.
struct FirstAppearance<Value: Hashable> {
    private(set) var distinct: [Value] = []
    private(set) var indices: [Int] = []

    init<Values: Sequence>(_ values: Values) where Values.Element == Value {
        var positions: [Value: Int] = [:]
        indices.reserveCapacity(values.underestimatedCount)
        for value in values {
            if let position = positions[value] {
                indices.append(position)
            } else {
                positions[value] = distinct.count
                indices.append(distinct.count)
                distinct.append(value)
            }
        }
    }
}
