import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// Sensor sampling against a fake `/sys` tree in a temporary folder, with files rewritten by the test.
@Suite struct SensorSourceTests {
    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func source(
        _ config: SensorConfig,
        name: String = "thermal",
        metrics: AgentMetrics = AgentMetrics()
    )
        -> SensorSource
    {
        SensorSource(name: name, config: config, metrics: metrics, logger: testLogger("sensor"))
    }

    @Test func globsNameStreamsByLabelAndScaleTheirValues() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try Self.write("41250\n", to: root.file("thermal/thermal_zone0/temp"))
        try Self.write("x86_pkg_temp\n", to: root.file("thermal/thermal_zone0/type"))
        try Self.write("30000\n", to: root.file("thermal/thermal_zone1/temp"))
        try Self.write("acpitz\n", to: root.file("thermal/thermal_zone1/type"))
        try Self.write("28000\n", to: root.file("thermal/thermal_zone2/temp"))
        try Self.write("acpitz\n", to: root.file("thermal/thermal_zone2/type"))
        let config = SensorConfig(
            paths: [root.file("thermal/thermal_zone*/temp")],
            interval: .seconds(60),
            scale: 0.001,
            labelFrom: "type"
        )
        let probe = SourceProbe(Self.source(config))
        defer { probe.stop() }
        #expect(await probe.wait { !$0.isEmpty })
        let first = try #require(await probe.emissions.first)
        var values: [String: Double] = [:]
        for event in first { values.merge(event.numbers) { $1 } }
        #expect(
            values == [
                "thermal.x86_pkg_temp.temp": 41.25,
                "thermal.acpitz-thermal_zone1.temp": 30,
                "thermal.acpitz-thermal_zone2.temp": 28,
            ]
        )
        let timestamp = try #require(first.first?.timestamp)
        #expect(timestamp % 1_000_000 == 0, "sensor timestamps are whole milliseconds")
    }

    @Test func devicesThatAppearArePickedUpAndVanishedOnesDropped() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try Self.write("1\n", to: root.file("hwmon/hwmon0/temp1_input"))
        let metrics = AgentMetrics()
        let config = SensorConfig(paths: [root.file("hwmon/hwmon*/temp*_input")], interval: .milliseconds(20))
        let probe = SourceProbe(Self.source(config, name: "hwmon", metrics: metrics))
        defer { probe.stop() }
        let streams: @Sendable ([Event]) -> Set<String> = { Set($0.flatMap { $0.numbers.keys }) }
        #expect(await probe.wait { $0.contains { streams($0) == ["hwmon.hwmon0.temp1_input"] } })

        try Self.write("2\n", to: root.file("hwmon/hwmon1/temp2_input"))
        #expect(
            await probe.wait {
                $0.contains { streams($0) == ["hwmon.hwmon0.temp1_input", "hwmon.hwmon1.temp2_input"] }
            }
        )
        try FileManager.default.removeItem(atPath: root.file("hwmon/hwmon0"))
        #expect(await probe.wait { $0.last.map(streams) == ["hwmon.hwmon1.temp2_input"] })
        let errors = metrics.sample("lepton_agent_sensor_read_errors_total{source=\"hwmon\"}")
        #expect(errors == 0, "a device that went away is not a read error")
    }

    @Test func aLiteralPathThatCannotBeReadIsCountedAtEveryRead() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let metrics = AgentMetrics()
        let config = SensorConfig(paths: [root.file("missing/temp")], interval: .milliseconds(20))
        let probe = SourceProbe(Self.source(config, name: "gone", metrics: metrics))
        defer { probe.stop() }
        let counted = await eventually(timeout: .seconds(20), interval: .milliseconds(10)) {
            (metrics.sample("lepton_agent_sensor_read_errors_total{source=\"gone\"}") ?? 0) >= 3
        }
        #expect(counted)
        #expect(await probe.emissions.isEmpty)
    }

    @Test func rateModeTurnsCountersIntoPerSecondRates() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let path = root.file("counter")
        try Self.write("1000\n", to: path)
        let config = SensorConfig(paths: [path], interval: .milliseconds(50), mode: .rate)
        let probe = SourceProbe(Self.source(config, name: "rx"))
        defer { probe.stop() }
        // The first read is only a baseline: nothing is emitted until the second.
        try await Task.sleep(for: .milliseconds(20))
        #expect(await probe.emissions.isEmpty)
        try Self.write("1000\n", to: path)
        #expect(await probe.wait { $0.contains { $0.first?.numbers["rx"] == 0 } })
        try Self.write("1000000\n", to: path)
        #expect(await probe.wait { $0.contains { ($0.first?.numbers["rx"] ?? 0) > 0 } })
    }

    @Test func naming() {
        let single = SensorNaming(source: "load", patterns: ["/proc/loadavg"])
        #expect(single.expand().map(\.components) == [[]])
        #expect(single.bases(for: single.expand(), labels: [:]) == ["/proc/loadavg": "load"])

        let two = SensorNaming(source: "sys", patterns: ["/proc/loadavg", "/proc/meminfo"])
        #expect(
            two.bases(for: two.expand(), labels: [:]) == [
                "/proc/loadavg": "sys.loadavg", "/proc/meminfo": "sys.meminfo",
            ]
        )

        let same = SensorNaming(source: "t", patterns: ["/a/zone0/temp", "/a/zone1/temp"])
        #expect(
            same.bases(for: same.expand(), labels: [:]) == [
                "/a/zone0/temp": "t.a.zone0.temp", "/a/zone1/temp": "t.a.zone1.temp",
            ]
        )
    }

    @Test func counterRates() {
        var rates = CounterRate()
        let second: Int64 = 1_000_000_000
        #expect(rates.update("c", value: 100, at: 0) == .baseline)
        #expect(rates.update("c", value: 300, at: 2 * second) == .rate(100))
        // A 32-bit counter wrapping: 4294967196 → 4294967295 → 0 … 99: 200 counts in 1 s.
        #expect(rates.update("w", value: 4_294_967_196, at: 0) == .baseline)
        #expect(rates.update("w", value: 100, at: second) == .rate(200))
        // A small counter going back to near zero is a reset, not a wrap.
        #expect(rates.update("c", value: 5, at: 3 * second) == .reset)
        #expect(rates.update("c", value: 15, at: 4 * second) == .rate(10))
        // A time that did not move gives no rate.
        #expect(rates.update("c", value: 20, at: 4 * second) == .baseline)
        rates.retain(["w"])
        #expect(rates.update("c", value: 30, at: 5 * second) == .baseline, "a forgotten field starts over")
    }
}
