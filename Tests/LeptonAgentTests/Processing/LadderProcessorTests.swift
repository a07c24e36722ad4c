import LeptonCore
import Testing

@testable import LeptonAgent

/// A source's `fidelity` ladder as the last stage of its processor chain.
@Suite struct LadderProcessorTests {
    typealias Fixture = ProcessorFixture

    static let ladder: [FidelityRung] = [
        .raw,
        FidelityRung(name: "deadband 1", processor: .deadband(DeadbandConfig(absolute: 1))),
        FidelityRung(name: "aggregate 10s", processor: .aggregate(AggregateConfig(window: .seconds(10)))),
    ]

    /// Values 20.0, 20.1, … one second apart from `start` seconds after the base.
    static func events(_ count: Int, from start: Int) -> [Event] {
        (0..<count).map { Fixture.event(20 + Double($0) / 10, at: Fixture.base + Int64(start + $0) * Fixture.second) }
    }

    /// A source with no processors of its own and `ladder`.
    static func chain() -> ProcessorChain {
        ProcessorChain(source: "temps", processors: [], fidelity: ladder, hostname: "edge", metrics: nil)
    }

    static func run(_ chain: inout ProcessorChain, _ events: [Event]) -> [Event] {
        events.flatMap { chain.process($0, now: $0.timestamp) }
    }

    @Test func rawPassesEverythingAndTheChainEndsWithTheLadder() {
        var chain = ProcessorChain(
            source: "temps",
            processors: [.sample(SampleConfig(every: 1))],
            fidelity: Self.ladder,
            hostname: "edge",
            metrics: nil
        )
        #expect(chain.labels == ["0:sample", "1:fidelity"])
        #expect(chain.fidelityLevel == 0)
        let events = Self.events(5, from: 0)
        #expect(Self.run(&chain, events) == events)
    }

    @Test func eachRungReducesAndAnAggregateRungLeftClosesItsWindowOnTime() {
        var chain = Self.chain()

        #expect(chain.setFidelityLevel(1).isEmpty)
        #expect(chain.fidelityLevel == 1)
        // Deadband 1: of 20.0 … 20.9 only the first leaves.
        let banded = Self.run(&chain, Self.events(10, from: 0))
        #expect(Fixture.samples(banded).map(\.value) == [20])

        #expect(chain.setFidelityLevel(2).isEmpty)
        // Aggregate 10 s: the values of 10 s … 19 s stay in the open window.
        #expect(Self.run(&chain, Self.events(10, from: 10)).isEmpty)
        // Back to raw: the open window stays open, and raw values pass at once.
        #expect(chain.setFidelityLevel(0).isEmpty)
        let raw = Self.events(3, from: 20)
        #expect(Self.run(&chain, raw) == raw)
        // The window closes at its usual time (its end plus the 2 s grace), as one event per statistic.
        let released = chain.advance(to: Fixture.base + 23 * Fixture.second)
        #expect(released.count == AggregateConfig.Stat.allCases.count)
        #expect(released.first { $0.tags["agg"] == "count" }?[field: "value"]?.number == 10)
        let mean = released.first { $0.tags["agg"] == "mean" }?[field: "value"]?.number ?? 0
        #expect(abs(mean - 20.45) < 1e-9)

        let counts = chain.publish()
        #expect(counts.last?.label == "0:fidelity")
        #expect(counts.last?.dropped == ["deadband": 9, "aggregated": 10])
    }

    @Test func comingBackToAnAggregateRungWithinAWindowFillsThatWindowOnce() {
        var chain = Self.chain()
        _ = chain.setFidelityLevel(2)
        #expect(Self.run(&chain, Self.events(3, from: 10)).isEmpty)
        _ = chain.setFidelityLevel(0)
        #expect(Self.run(&chain, Self.events(3, from: 13)).count == 3)
        _ = chain.setFidelityLevel(2)
        #expect(Self.run(&chain, Self.events(3, from: 16)).isEmpty)
        let released = chain.flush(now: Fixture.base + 19 * Fixture.second)
        #expect(released.count == AggregateConfig.Stat.allCases.count, "one window, not two")
        #expect(released.first { $0.tags["agg"] == "count" }?[field: "value"]?.number == 6)
    }

    @Test func leavingADeadbandRungForgetsItsReference() {
        var chain = Self.chain()
        _ = chain.setFidelityLevel(1)
        #expect(Fixture.samples(Self.run(&chain, Self.events(1, from: 0))).map(\.value) == [20])
        _ = chain.setFidelityLevel(0)
        _ = Self.run(&chain, [Fixture.event(25, at: Fixture.base + Fixture.second)])
        _ = chain.setFidelityLevel(1)
        // A fresh deadband: 20.5 is sent (the value stored last was 25, not the 20 the old deadband sent).
        let sent = Self.run(&chain, [Fixture.event(20.5, at: Fixture.base + 2 * Fixture.second)])
        #expect(Fixture.samples(sent).map(\.value) == [20.5])
    }

    @Test func aLevelOutsideTheLadderChangesNothing() {
        var chain = Self.chain()
        _ = chain.setFidelityLevel(3)
        #expect(chain.fidelityLevel == 0)
        var plain = ProcessorChain(source: "temps", processors: [], fidelity: [.raw], hostname: "edge", metrics: nil)
        #expect(plain.isEmpty)
        _ = plain.setFidelityLevel(1)
        #expect(plain.fidelityLevel == 0)
    }
}
