import NIOCore
import Testing

@testable import LeptonCore

/// The optional fidelity section of STATS: present only when a source has a ladder, checked field by field.
@Suite struct StatsFidelityTests {
    typealias Stats = Message.Stats

    /// The example of `docs/wire-protocol.md` §8 with a fidelity section: `app` at `deadband 0.5`.
    static let example = Stats(
        startedAt: StatsFrameTests.example.startedAt,
        sources: StatsFrameTests.example.sources,
        fidelity: [
            Stats.SourceFidelity(
                source: "app",
                level: 1,
                rungs: [
                    Stats.Rung(name: "raw", milliseconds: 60_000),
                    Stats.Rung(name: "deadband 0.5", milliseconds: 5_000),
                ],
                reduced: 42
            )
        ]
    )

    /// The fidelity section of `example`, after the bytes of `StatsFrameTests.example`.
    static let sectionBytes: [UInt8] = [
        0x00, 0x01,
        0x00, 0x03, 0x61, 0x70, 0x70,
        0x01,
        0x02,
        0x00, 0x03, 0x72, 0x61, 0x77,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x60,
        0x00, 0x0c, 0x64, 0x65, 0x61, 0x64, 0x62, 0x61, 0x6e, 0x64, 0x20, 0x30, 0x2e, 0x35,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x88,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
    ]

    /// The payload of `StatsFrameTests.example` (no header, no fidelity section).
    static let sourcesPayload = Array(StatsFrameTests.exampleBytes.dropFirst(6))

    static func encode(_ stats: Stats) -> [UInt8] {
        StatsFrameTests.encode(.stats(stats))
    }

    static func decodeStats(_ payload: [UInt8]) throws -> Stats? {
        guard case .stats(let stats) = try StatsFrameTests.decode(payload) else { return nil }
        return stats
    }

    static func ladder(_ count: Int) -> [Stats.Rung] {
        (0..<count).map { Stats.Rung(name: $0 == 0 ? "raw" : "aggregate \($0)m", milliseconds: UInt64($0) * 1_000) }
    }

    @Test func exampleMatchesTheDocumentedBytes() throws {
        let bytes = Self.encode(Self.example)
        // Payload 61 + 52 = 113.
        #expect(bytes.prefix(6) == [0x00, 0x00, 0x00, 0x71, 0x09, 0x00])
        #expect(Array(bytes.dropFirst(6)) == Self.sourcesPayload + Self.sectionBytes)
        #expect(try Self.decodeStats(Self.sourcesPayload + Self.sectionBytes) == Self.example)
    }

    @Test func roundTripWithSeveralLadders() throws {
        let stats = Stats(
            startedAt: 7,
            sources: StatsFrameTests.sources(3, reasons: 2),
            fidelity: [
                Stats.SourceFidelity(source: "load", level: 0, rungs: Self.ladder(1), reduced: 0),
                Stats.SourceFidelity(source: "temp", level: 3, rungs: Self.ladder(4), reduced: .max),
                Stats.SourceFidelity(
                    source: "ünïcødé",
                    level: UInt8(Stats.SourceFidelity.maxRungs - 1),
                    rungs: Self.ladder(Stats.SourceFidelity.maxRungs),
                    reduced: 12
                ),
            ]
        )
        #expect(try Self.decodeStats(Array(Self.encode(stats).dropFirst(6))) == stats)
    }

    @Test func withoutLaddersTheFrameIsTheOneWithoutTheSection() throws {
        #expect(Self.encode(StatsFrameTests.example) == StatsFrameTests.exampleBytes)
        let sources = StatsFrameTests.sources(3, reasons: 2)
        // 10 + Σ (27 + s + Σ (10 + r)): names "source-N" (8 bytes), reasons "reason-N" (8 bytes).
        let payload = 10 + sources.count * (27 + 8 + 2 * (10 + 8))
        #expect(Self.encode(Stats(startedAt: 1, sources: sources)).count == 6 + payload)
        // A ladder without rungs cannot be sent: no section either.
        let empty = Stats(
            startedAt: 1,
            sources: sources,
            fidelity: [Stats.SourceFidelity(source: "app", level: 0, rungs: [], reduced: 5)]
        )
        #expect(Self.encode(empty).count == 6 + payload)
        #expect(try Self.decodeStats(Array(Self.encode(empty).dropFirst(6)))?.fidelity == [])
    }

    @Test func encoderKeepsTheFirstEntriesAndRungsWithinTheLimits() throws {
        let entries = (0..<(Stats.maxSources + 3)).map { index in
            Stats.SourceFidelity(source: "source-\(index)", level: 200, rungs: Self.ladder(3), reduced: 1)
        }
        let long = Stats.SourceFidelity(
            source: "long",
            level: 40,
            rungs: Self.ladder(Stats.SourceFidelity.maxRungs + 5),
            reduced: 2
        )
        let stats = Stats(startedAt: 1, sources: [], fidelity: [long] + entries)
        let decoded = try #require(try Self.decodeStats(Array(Self.encode(stats).dropFirst(6))))
        #expect(decoded.fidelity.count == Stats.maxSources)
        #expect(decoded.fidelity.last?.source == "source-\(Stats.maxSources - 2)")
        #expect(decoded.fidelity.first?.rungs == Self.ladder(Stats.SourceFidelity.maxRungs))
        // The level stays on a rung that was sent.
        #expect(decoded.fidelity.first?.level == UInt8(Stats.SourceFidelity.maxRungs - 1))
        #expect(decoded.fidelity.dropFirst().allSatisfy { $0.level == 2 && $0.rungs.count == 3 })
    }

    /// A section with one entry for "a": `level`, then `rung_count`, and nothing else.
    static func entryHead(level: UInt8, rungCount: UInt8) -> [UInt8] {
        sourcesPayload + [0x00, 0x01, 0x00, 0x01, 0x61, level, rungCount]
    }

    @Test func noRungIsMalformed() {
        let error = StatsFrameTests.decodingError(Self.entryHead(level: 0, rungCount: 0))
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("rung_count: 0 is outside 1...32") == true, "\(String(describing: error))")
    }

    @Test func tooManyRungsIsMalformed() {
        let error = StatsFrameTests.decodingError(Self.entryHead(level: 0, rungCount: 33))
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("rung_count: 33 is outside 1...32") == true, "\(String(describing: error))")
    }

    @Test func aLevelBeyondTheLadderIsMalformed() {
        let cases: [(level: UInt8, rungCount: UInt8)] = [(2, 2), (9, 3), (255, 32)]
        for (level, rungCount) in cases {
            let error = StatsFrameTests.decodingError(Self.entryHead(level: level, rungCount: rungCount))
            #expect(error?.code == .malformedFrame)
            #expect(
                error?.message.contains("level: \(level) is not below rung_count \(rungCount)") == true,
                "\(String(describing: error))"
            )
        }
    }

    @Test func tooManyEntriesIsMalformed() {
        let error = StatsFrameTests.decodingError(Self.sourcesPayload + [0x04, 0x01])  // 1025
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("fidelity_count: 1025 is above the limit of 1024") == true)
    }

    @Test func everyTruncationOfTheSectionIsMalformed() {
        // Cut right after the sources, the frame is one without the section; every later cut is malformed.
        for length in 1..<Self.sectionBytes.count {
            let payload = Self.sourcesPayload + Self.sectionBytes.prefix(length)
            #expect(StatsFrameTests.decodingError(payload)?.code == .malformedFrame, "cut at \(length)")
        }
    }

    @Test func anEmptySectionIsAccepted() throws {
        #expect(try Self.decodeStats(Self.sourcesPayload + [0x00, 0x00]) == StatsFrameTests.example)
    }

    @Test func bytesAfterTheSectionAreMalformed() {
        let error = StatsFrameTests.decodingError(Self.sourcesPayload + Self.sectionBytes + [0])
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("trailing") == true)
    }
}
