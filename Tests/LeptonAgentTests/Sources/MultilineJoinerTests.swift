import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct MultilineJoinerTests {
    @Test func stackTracesJoinUnderTheirFirstLine() {
        var joiner = MultilineJoiner(MultilineConfig(start: #"^\d{4}-"#))
        let now = ContinuousClock.now
        let lines = [
            "2026-11-29 ERROR boom",
            "java.lang.IllegalStateException: x",
            "    at a.b(C.java:1)",
            "2026-11-29 INFO next",
        ]
        var joined: [MultilineJoiner.Joined] = []
        for (index, line) in lines.enumerated() {
            if let record = joiner.push(line, end: Int64(10 * (index + 1)), now: now) { joined.append(record) }
        }
        #expect(
            joined == [
                .init(text: "2026-11-29 ERROR boom\njava.lang.IllegalStateException: x\n    at a.b(C.java:1)", end: 30)
            ]
        )
        #expect(joiner.expire(now: now + .seconds(1)) == nil, "not yet waited its timeout")
        #expect(joiner.expire(now: now + .seconds(2)) == .init(text: "2026-11-29 INFO next", end: 40))
        #expect(joiner.flush() == nil)
    }

    @Test func aRecordStopsAtMaxLines() {
        var joiner = MultilineJoiner(MultilineConfig(start: "^START", maxLines: 2))
        let now = ContinuousClock.now
        #expect(joiner.push("START", end: 1, now: now) == nil)
        #expect(joiner.push("a", end: 2, now: now) == nil)
        #expect(joiner.push("b", end: 3, now: now) == .init(text: "START\na", end: 2))
        #expect(joiner.flush() == .init(text: "b", end: 3))
    }
}
