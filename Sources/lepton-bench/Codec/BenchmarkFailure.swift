/// A check that failed during a benchmark (a round trip that is not bit-exact); the run exits non-zero.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
