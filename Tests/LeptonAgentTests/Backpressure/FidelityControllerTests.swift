import Testing

@testable import LeptonAgent

@Suite struct FidelityControllerTests {
    typealias Stream = FidelityController.Stream
    typealias Observation = FidelityController.Observation

    /// A level change and the second at which it was returned.
    struct Timed: Equatable, CustomStringConvertible {
        var second: Int
        var change: FidelityController.LevelChange

        init(_ second: Int, _ stream: String, _ from: Int, _ to: Int) {
            self.second = second
            self.change = FidelityController.LevelChange(stream: stream, from: from, to: to)
        }

        var description: String { "\(second)s: \(change.stream) \(change.from)→\(change.to)" }
    }

    /// Backlog a quarter full or more and production above the allowed rate.
    static func overload(at second: Int) -> Observation {
        Observation(
            now: .seconds(second),
            producedBytesPerSecond: 2000,
            allowedBytesPerSecond: 1000,
            backlogFraction: 0.5,
            saturated: false
        )
    }

    /// Backlog drained and production well under 70 % of the allowed rate.
    static func relief(at second: Int) -> Observation {
        Observation(
            now: .seconds(second),
            producedBytesPerSecond: 500,
            allowedBytesPerSecond: 1000,
            backlogFraction: 0.01,
            saturated: false
        )
    }

    /// Some backlog, production just under the allowed rate: neither overload nor relief.
    static func steady(at second: Int) -> Observation {
        Observation(
            now: .seconds(second),
            producedBytesPerSecond: 900,
            allowedBytesPerSecond: 1000,
            backlogFraction: 0.1,
            saturated: false
        )
    }

    /// Feeds one observation a second over `seconds`, as the agent does, and collects the changes returned.
    static func run(
        _ controller: inout FidelityController,
        _ seconds: ClosedRange<Int>,
        _ observation: (Int) -> Observation
    ) -> [Timed] {
        var changes: [Timed] = []
        for second in seconds {
            let returned = controller.observe(observation(second))
            #expect(returned.count <= 1, "at most one change per observation")
            for change in returned {
                changes.append(Timed(second, change.stream, change.from, change.to))
            }
        }
        return changes
    }

    @Test func noStepBeforeRaiseAfter() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        #expect(Self.run(&controller, 0...9, Self.overload(at:)).isEmpty)
        #expect(controller.level(of: "a") == 0)
        #expect(Self.run(&controller, 10...10, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
    }

    @Test func sustainedOverloadStepsOneLevelEveryRaiseAfterLowestPriorityFirst() {
        let streams = [
            Stream(name: "logs", priority: 0, levels: 3),
            Stream(name: "temps", priority: 5, levels: 2),
            Stream(name: "alarms", priority: 0, levels: 1),
            Stream(name: "cpu", priority: 0, levels: 3),
        ]
        var controller = FidelityController(streams: streams, now: .zero)
        let changes = Self.run(&controller, 0...80, Self.overload(at:))
        // Equal priorities alternate (least reduced first, then by name); the important stream goes last.
        #expect(
            changes == [
                Timed(10, "cpu", 0, 1),
                Timed(20, "logs", 0, 1),
                Timed(30, "cpu", 1, 2),
                Timed(40, "logs", 1, 2),
                Timed(50, "temps", 0, 1),
            ]
        )
        #expect(controller.levels == ["logs": 2, "temps": 1, "alarms": 0, "cpu": 2])
    }

    @Test func nothingChangesWhenEveryStreamIsAtItsLastRung() {
        let streams = [Stream(name: "a", levels: 2), Stream(name: "b", levels: 1)]
        var controller = FidelityController(streams: streams, now: .zero)
        #expect(Self.run(&controller, 0...100, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
        #expect(controller.levels == ["a": 1, "b": 0])
    }

    @Test func overloadNeedsABacklogAndEitherSaturationOrProductionAboveTheAllowedRate() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        // No limit known and not saturated: a big backlog alone is the spool's business.
        let unlimited = Self.run(&controller, 0...20) { second in
            Observation(
                now: .seconds(second),
                producedBytesPerSecond: 5000,
                allowedBytesPerSecond: nil,
                backlogFraction: 0.9,
                saturated: false
            )
        }
        #expect(unlimited.isEmpty)
        // Over the allowed rate but the spool keeps up: nothing to do either.
        let absorbed = Self.run(&controller, 21...41) { second in
            Observation(
                now: .seconds(second),
                producedBytesPerSecond: 5000,
                allowedBytesPerSecond: 1000,
                backlogFraction: 0.2,
                saturated: false
            )
        }
        #expect(absorbed.isEmpty)
        let saturated = Self.run(&controller, 42...52) { second in
            Observation(
                now: .seconds(second),
                producedBytesPerSecond: 10,
                allowedBytesPerSecond: nil,
                backlogFraction: 0.25,
                saturated: true
            )
        }
        #expect(saturated == [Timed(52, "a", 0, 1)])
    }

    @Test func reliefLowersHighestPriorityFirstAfterLowerAfter() {
        let streams = [Stream(name: "logs", priority: 0, levels: 3), Stream(name: "temps", priority: 5, levels: 2)]
        var controller = FidelityController(streams: streams, now: .zero)
        let raised = Self.run(&controller, 0...30, Self.overload(at:))
        #expect(raised == [Timed(10, "logs", 0, 1), Timed(20, "logs", 1, 2), Timed(30, "temps", 0, 1)])
        let lowered = Self.run(&controller, 31...200, Self.relief(at:))
        #expect(lowered == [Timed(61, "temps", 1, 0), Timed(91, "logs", 2, 1), Timed(121, "logs", 1, 0)])
        #expect(controller.currentLowerDelay == .seconds(30))
    }

    @Test func reliefWithoutAKnownLimitCounts() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 2)], now: .zero)
        #expect(Self.run(&controller, 0...10, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
        let changes = Self.run(&controller, 11...41) { second in
            Observation(
                now: .seconds(second),
                producedBytesPerSecond: 1_000_000,
                allowedBytesPerSecond: nil,
                backlogFraction: 0.05,
                saturated: false
            )
        }
        #expect(changes == [Timed(41, "a", 1, 0)])
    }

    @Test func aSteadyObservationResetsBothTimers() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        #expect(Self.run(&controller, 0...8, Self.overload(at:)).isEmpty)
        #expect(Self.run(&controller, 9...9, Self.steady(at:)).isEmpty)
        // Overload starts over at 10 s: a full raiseAfter is needed again.
        #expect(Self.run(&controller, 10...20, Self.overload(at:)) == [Timed(20, "a", 0, 1)])

        #expect(Self.run(&controller, 21...49, Self.relief(at:)).isEmpty)
        #expect(Self.run(&controller, 50...50, Self.steady(at:)).isEmpty)
        #expect(Self.run(&controller, 51...81, Self.relief(at:)) == [Timed(81, "a", 1, 0)])
    }

    @Test func overloadAndReliefResetEachOther() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        #expect(Self.run(&controller, 0...10, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
        #expect(Self.run(&controller, 11...39, Self.relief(at:)).isEmpty)
        #expect(Self.run(&controller, 40...40, Self.overload(at:)).isEmpty)
        #expect(Self.run(&controller, 41...71, Self.relief(at:)) == [Timed(71, "a", 1, 0)])
    }

    @Test func aFlapDoublesTheNextLowerDelayUntilAQuietPeriod() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        #expect(Self.run(&controller, 0...10, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
        #expect(Self.run(&controller, 11...41, Self.relief(at:)) == [Timed(41, "a", 1, 0)])
        // Overload again right after the lower: the raise 11 s later is a flap.
        #expect(Self.run(&controller, 42...52, Self.overload(at:)) == [Timed(52, "a", 0, 1)])
        #expect(controller.currentLowerDelay == .seconds(60))
        #expect(Self.run(&controller, 53...112, Self.relief(at:)).isEmpty, "no lower after the usual 30 s")
        #expect(Self.run(&controller, 113...113, Self.relief(at:)) == [Timed(113, "a", 1, 0)])
        // A second flap doubles it again.
        #expect(Self.run(&controller, 114...124, Self.overload(at:)) == [Timed(124, "a", 0, 1)])
        #expect(controller.currentLowerDelay == .seconds(120))
        #expect(Self.run(&controller, 125...245, Self.relief(at:)) == [Timed(245, "a", 1, 0)])
        // The last lower stands for lowerAfter × 8 (240 s) without a flap: back to lowerAfter.
        #expect(Self.run(&controller, 246...484, Self.relief(at:)).isEmpty)
        #expect(controller.currentLowerDelay == .seconds(120))
        #expect(Self.run(&controller, 485...485, Self.relief(at:)).isEmpty)
        #expect(controller.currentLowerDelay == .seconds(30))
    }

    @Test func theLowerDelayGrowsToEightTimesAtMost() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 2)], now: .zero)
        var second = 0
        for _ in 0..<6 {
            let raised = Self.run(&controller, second...(second + 10), Self.overload(at:))
            #expect(raised == [Timed(second + 10, "a", 0, 1)])
            let delay = Int(controller.currentLowerDelay.components.seconds)
            let start = second + 11
            let lowered = Self.run(&controller, start...(start + delay), Self.relief(at:))
            #expect(lowered == [Timed(start + delay, "a", 1, 0)])
            second = start + delay + 1
        }
        // Still ×8: the long wait for each lower does not count as quiet time.
        #expect(controller.currentLowerDelay == .seconds(240))
    }

    @Test func aRaiseLongAfterALowerIsNoFlap() {
        var controller = FidelityController(streams: [Stream(name: "a", levels: 3)], now: .zero)
        #expect(Self.run(&controller, 0...10, Self.overload(at:)) == [Timed(10, "a", 0, 1)])
        #expect(Self.run(&controller, 11...41, Self.relief(at:)) == [Timed(41, "a", 1, 0)])
        #expect(Self.run(&controller, 42...51, Self.steady(at:)).isEmpty)
        // The raise comes 21 s after the lower: more than raiseAfter × 2.
        #expect(Self.run(&controller, 52...62, Self.overload(at:)) == [Timed(62, "a", 0, 1)])
        #expect(controller.currentLowerDelay == .seconds(30))
    }

    @Test func timeAtLevelsSumsTheTimeSpentAtEachLevel() {
        let streams = [Stream(name: "a", levels: 3), Stream(name: "b", levels: 1)]
        var controller = FidelityController(streams: streams, now: .zero)
        #expect(Self.run(&controller, 0...20, Self.overload(at:)) == [Timed(10, "a", 0, 1), Timed(20, "a", 1, 2)])
        #expect(Self.run(&controller, 21...25, Self.steady(at:)).isEmpty)
        #expect(controller.timeAtLevels(of: "a") == [.seconds(10), .seconds(10), .seconds(5)])
        #expect(controller.timeAtLevels(of: "b") == [.seconds(25)])
        #expect(controller.timeAtLevels(of: "unknown").isEmpty)
        // A clock stepping back adds nothing, and the interval it skipped is not counted twice.
        #expect(Self.run(&controller, 20...20, Self.steady(at:)).isEmpty)
        #expect(Self.run(&controller, 26...26, Self.steady(at:)).isEmpty)
        #expect(controller.timeAtLevels(of: "a") == [.seconds(10), .seconds(10), .seconds(6)])
        #expect(controller.timeAtLevels(of: "b") == [.seconds(26)])
    }

    @Test func updateKeepsAndClampsLevels() {
        let streams = [
            Stream(name: "a", priority: 0, levels: 3),
            Stream(name: "b", priority: 1, levels: 3),
            Stream(name: "d", priority: 2, levels: 1),
        ]
        var controller = FidelityController(streams: streams, now: .zero)
        let raised = Self.run(&controller, 0...40, Self.overload(at:))
        #expect(
            raised == [Timed(10, "a", 0, 1), Timed(20, "a", 1, 2), Timed(30, "b", 0, 1), Timed(40, "b", 1, 2)]
        )

        let reloaded = [
            Stream(name: "a", priority: 0, levels: 2),
            Stream(name: "b", priority: 3, levels: 4),
            Stream(name: "c", priority: 0, levels: 2),
        ]
        let clamped = controller.update(streams: reloaded, now: .seconds(40))
        #expect(clamped == [FidelityController.LevelChange(stream: "a", from: 2, to: 1)])
        #expect(controller.levels == ["a": 1, "b": 2, "c": 0])
        #expect(controller.level(of: "d") == 0)
        #expect(controller.timeAtLevels(of: "a") == [.seconds(10), .seconds(10)])
        #expect(controller.timeAtLevels(of: "b") == [.seconds(30), .seconds(10), .zero, .zero])
        #expect(controller.timeAtLevels(of: "c") == [.zero, .zero])
        #expect(controller.timeAtLevels(of: "d").isEmpty)

        // The new ladder and list are used from now on; time keeps counting from the reload.
        #expect(Self.run(&controller, 45...45, Self.steady(at:)).isEmpty)
        #expect(controller.timeAtLevels(of: "a") == [.seconds(10), .seconds(15)])
        #expect(controller.timeAtLevels(of: "c") == [.seconds(5), .zero])
    }
}
