/// How `ColumnarCodec.encodeNumbers` wrote a column of doubles: the column's first byte.
public enum NumberScheme: UInt8, Sendable, CaseIterable {
    /// Every value has the same bit pattern, written once.
    case constant = 0
    /// Every value is an integer divided by a power of ten: exponent, then frame-of-reference deltas, bit-packed.
    case decimal = 1
    /// Every value is a widened `Float`: only the 32-bit patterns, as frame-of-reference deltas or a Gorilla XOR
    /// stream, whichever is smaller.
    case float32 = 2
    /// A Gorilla XOR stream over the 64-bit patterns.
    case xor = 3
    /// Eight bytes per value.
    case raw = 4
}
