/// How a known, numbered set of records (the texts "1" … "N") arrived in the store.
public struct DeliveryCount: Sendable, Hashable, Codable {
    /// Records the test produced.
    public var produced: Int
    /// Distinct records stored.
    public var stored: Int
    /// Stored copies beyond the first of a record.
    public var duplicates: Int
    /// Produced records not stored at all.
    public var missing: Int
    /// Stored records that came before a lower number (in store order).
    public var outOfOrder: Int

    public init(produced: Int, stored: Int, duplicates: Int, missing: Int, outOfOrder: Int) {
        self.produced = produced
        self.stored = stored
        self.duplicates = duplicates
        self.missing = missing
        self.outOfOrder = outOfOrder
    }

    /// Counts `stored` (texts, in store order, each starting with its number: "17" or "17 payload") against the
    /// numbers `1...produced`.
    public init(stored texts: [String], produced: Int) {
        var seen = [Bool](repeating: false, count: produced + 1)
        var distinct = 0
        var duplicates = 0
        var outOfOrder = 0
        var previous = 0
        for text in texts {
            guard let number = Int(text.prefix { $0 != " " }), number >= 1, number <= produced else { continue }
            if seen[number] {
                duplicates += 1
            } else {
                seen[number] = true
                distinct += 1
            }
            if number < previous { outOfOrder += 1 }
            previous = number
        }
        self.produced = produced
        self.stored = distinct
        self.duplicates = duplicates
        self.missing = produced - distinct
        self.outOfOrder = outOfOrder
    }

    /// Every record exactly once, in order.
    public var isExactlyOnce: Bool { duplicates == 0 && missing == 0 && outOfOrder == 0 }
}
