/// A check that failed during a benchmark (a codec round trip that is not bit-exact, a line that does not parse, a
/// reconstruction error above its bound); the run exits non-zero.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
