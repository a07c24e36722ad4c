import Testing

@testable import LeptonCore

/// `sources[].priority`, `sources[].fidelity` (the reduction ladder) and the top-level `fidelity` tuning.
@Suite("Fidelity config")
struct FidelityConfigTests {
    /// Everything but the sources; the first source is on line 10.
    static let header = """
        agent:
          id: edge-01
          state_dir: /var/lib/lepton-agent
        collector:
          address: 127.0.0.1:7443
          tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }
        processors:
          coarse: { type: aggregate, window: 5m, stats: [mean] }
        sources:

        """

    static func agent(_ sources: String, tail: String = "") throws -> AgentConfig {
        try ConfigFixtures.agent(header + sources + tail)
    }

    static func error(_ sources: String, tail: String = "") throws -> ConfigError {
        try ConfigFixtures.agentError(header + sources + tail)
    }

    @Test("every rung form, in order, with its name")
    func rungForms() throws {
        let config = try Self.agent(
            """
              - type: sensor
                name: temps
                paths: [/proc/loadavg]
                priority: -5
                fidelity:
                  - raw
                  - deadband: 0.5
                  - swinging_door: 2
                  - { type: deadband, relative: 0.07 }
                  - { type: deadband, absolute: 2, relative: 0.01 }
                  - { type: rate_limit, per_second: 5 }
                  - sample: 10
                  - aggregate: 10s
                  - coarse

            """
        )
        let source = try #require(config.sources.first)
        #expect(source.priority == -5)
        #expect(
            source.fidelity.map(\.name) == [
                "raw", "deadband 0.5", "swinging_door 2", "deadband 7%", "deadband 2, 1%", "rate_limit 5/s",
                "sample 10",
                "aggregate 10s", "coarse",
            ]
        )
        #expect(source.fidelity[0].processor == nil)
        #expect(source.fidelity[1].processor == .deadband(DeadbandConfig(absolute: 0.5)))
        #expect(source.fidelity[2].processor == .swingingDoor(SwingingDoorConfig(maxError: 2)))
        #expect(source.fidelity[6].processor == .sample(SampleConfig(every: 10)))
        #expect(source.fidelity[7].processor == .aggregate(AggregateConfig(window: .seconds(10))))
        #expect(source.fidelity[8].processor == .aggregate(AggregateConfig(window: .seconds(300), stats: [.mean])))
    }

    @Test("defaults: priority 0, no ladder, tuning 10s up, 30s down, spool 25% / 5%")
    func defaults() throws {
        let config = try Self.agent("  - { type: sensor, name: load, paths: [/proc/loadavg] }\n")
        #expect(config.sources[0].priority == 0)
        #expect(config.sources[0].fidelity.isEmpty)
        #expect(config.fidelity == FidelityTuning())
        #expect(config.fidelity.raiseAfter == .seconds(10))
        #expect(config.fidelity.lowerAfter == .seconds(30))
        #expect(config.fidelity.backlogHigh == 0.25)
        #expect(config.fidelity.backlogLow == 0.05)
    }

    @Test("top-level fidelity tuning")
    func tuning() throws {
        let config = try Self.agent(
            "  - { type: sensor, name: load, paths: [/proc/loadavg] }\n",
            tail: "fidelity: { raise_after: 2s, lower_after: 1m, backlog_high: 0.5, backlog_low: 0.1 }\n"
        )
        #expect(
            config.fidelity
                == FidelityTuning(raiseAfter: .seconds(2), lowerAfter: .seconds(60), backlogHigh: 0.5, backlogLow: 0.1)
        )
    }

    @Test(
        "a bad ladder names its line and key",
        arguments: [
            ("fidelity: [deadband: 0.5]", 10, "sources[0].fidelity[0]", "the first rung must be raw"),
            ("fidelity: []", 10, "sources[0].fidelity", "expected a list of rungs starting with raw"),
            ("fidelity: [raw, raw]", 10, "sources[0].fidelity[1]", "raw may only be the first rung"),
            ("fidelity: [raw, fine]", 10, "sources[0].fidelity[1]", "no processor named 'fine'"),
            ("fidelity: [raw, {deadbnd: 1}]", 10, "sources[0].fidelity[1].deadbnd", "unknown rung 'deadbnd'"),
            ("fidelity: [raw, {deadband: -1}]", 10, "sources[0].fidelity[1].deadband", "must be greater than 0"),
            ("fidelity: [raw, {aggregate: soon}]", 10, "sources[0].fidelity[1].aggregate", "duration"),
            ("fidelity: [raw, {sample: 1}]", 10, "sources[0].fidelity[1].sample", "must be at least 2"),
            ("fidelity: [raw, {deadband: 1, sample: 2}]", 10, "sources[0].fidelity[1]", "a rung is raw"),
            ("fidelity: [raw, {sample: 2}, {sample: 2}]", 10, "sources[0].fidelity[2]", "listed twice"),
            ("fidelity: [raw, {type: sample, every: 0}]", 10, "sources[0].fidelity[1].every", "must be at least 1"),
            (
                "processors: [{type: aggregate, window: 10s}], fidelity: [raw, {aggregate: 1m}]", 10,
                "sources[0].fidelity[1]", "cannot follow the source's aggregate processor"
            ),
            ("priority: 1001", 10, "sources[0].priority", "must be between -1000 and 1000"),
            ("priority: high", 10, "sources[0].priority", "integer"),
        ]
    )
    func badLadder(key: String, line: Int, keyPath: String, message: String) throws {
        let error = try Self.error("  - { type: sensor, name: load, paths: [/proc/loadavg], \(key) }\n")
        #expect(error.line == line)
        #expect(error.keyPath == keyPath)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test("too many rungs")
    func tooManyRungs() throws {
        let rungs = ["raw"] + (2...33).map { "{sample: \($0)}" }
        let error = try Self.error(
            "  - { type: sensor, name: load, paths: [/proc/loadavg], fidelity: [\(rungs.joined(separator: ", "))] }\n"
        )
        #expect(error.keyPath == "sources[0].fidelity")
        #expect(error.message == "at most 32 rungs, found 33")
    }

    @Test("backlog_low must be below backlog_high")
    func backlogOrder() throws {
        let error = try Self.error(
            "  - { type: sensor, name: load, paths: [/proc/loadavg] }\n",
            tail: "fidelity:\n  backlog_high: 0.2\n  backlog_low: 0.3\n"
        )
        #expect(error.line == 13)
        #expect(error.keyPath == "fidelity.backlog_low")
        #expect(error.message.contains("must be below backlog_high"))
    }
}
