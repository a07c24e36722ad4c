extension RandomAccessCollection {
    /// The first index whose element satisfies `belongsAfter`, or `endIndex`: a binary search over a collection
    /// partitioned by it (every element that does not satisfy it comes first), such as one sorted by a key, where
    /// `belongsAfter` is "key ≥ k" (a lower bound) or "key > k" (an upper bound).
    @inlinable
    public func partitioningIndex(where belongsAfter: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = distance(from: startIndex, to: endIndex)
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try belongsAfter(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
