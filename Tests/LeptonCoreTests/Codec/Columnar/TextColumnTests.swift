import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

@Suite struct TextColumnTests {
    static let pool = ["", "a", "ok", "ünïcødé ✓", "日本語", "🚀🚀", "e\u{301}", "\u{E9}", "line\nbreak", "\0", "ﬁ"]

    static func utf8(_ values: [String]) -> [[UInt8]] { values.map { Array($0.utf8) } }

    @Test(arguments: [
        [String](),
        [""],
        ["", "", ""],
        ["same", "same", "same", "same"],
        ["a", "b", "c", "d", "e"],
        ["ünïcødé ✓", "日本語", "🚀", "", "日本語"],
        ["\u{E9}", "e\u{301}", "\u{E9}", "e\u{301}"],
    ])
    func columnsRoundTripByteExact(_ values: [String]) throws {
        let (decoded, _) = try ColumnarRoundTrip.texts(values)
        #expect(Self.utf8(decoded) == Self.utf8(values))
    }

    @Test func canonicallyEquivalentStringsStayApart() throws {
        let values = ["\u{E9}", "e\u{301}"]
        #expect(values[0] == values[1])  // Swift's String equality, which the dictionary must not use
        let (decoded, _) = try ColumnarRoundTrip.texts(values)
        #expect(Self.utf8(decoded) == Self.utf8(values))
    }

    @Test func oneDistinctValueCostsNoBitsPerSample() throws {
        let values = [String](repeating: "sensor offline", count: 1000)
        let (decoded, bytes) = try ColumnarRoundTrip.texts(values)
        #expect(decoded == values)
        #expect(bytes == 1 + 1 + 14 + 1)
    }

    @Test func allDistinctValues() throws {
        let values = (0..<1000).map { "line \($0)" }
        let (decoded, bytes) = try ColumnarRoundTrip.texts(values)
        #expect(decoded == values)
        #expect(bytes <= 2 + values.reduce(0) { $0 + 1 + $1.utf8.count } + 1 + 1000 * 10 / 8)
    }

    @Test func fewDistinctValuesPackTheirIndices() throws {
        let levels = ["debug", "info", "warning", "error"]
        let values = (0..<1000).map { levels[($0 * 7) % 4] }
        let (decoded, bytes) = try ColumnarRoundTrip.texts(values)
        #expect(decoded == values)
        #expect(bytes == 1 + levels.reduce(0) { $0 + 1 + $1.utf8.count } + 1 + 1000 * 2 / 8)
    }

    @Test func randomColumnsRoundTrip() throws {
        for seed in 0..<200 {
            var generator = SplitMix64(seed: UInt64(seed))
            let count = seed < 10 ? seed : Int.random(in: 0...2000, using: &generator)
            let distinct = Int.random(in: 1...300, using: &generator)
            let dictionary = (0..<distinct).map { _ in
                Self.pool.randomElement(using: &generator)! + String(generator.next() % 1000)
                    + Self.pool.randomElement(using: &generator)!
            }
            let values = (0..<count).map { _ in dictionary.randomElement(using: &generator)! }
            let (decoded, _) = try ColumnarRoundTrip.texts(values)
            #expect(Self.utf8(decoded) == Self.utf8(values), "seed \(seed)")
        }
    }
}
