import Testing

@testable import LeptonAgent

@Suite struct SensorParsingTests {
    @Test func singleNumber() {
        let parsed = SensorSource.parse("41250\n")
        #expect(parsed.count == 1)
        #expect(parsed.first?.field == nil)
        #expect(parsed.first?.value == 41250)
    }

    @Test func loadavgStyle() {
        let parsed = SensorSource.parse("0.52 0.58 0.59 1/234 12345\n")
        #expect(parsed.map(\.field) == ["0", "1", "2", "4"])
        #expect(parsed.map(\.value) == [0.52, 0.58, 0.59, 12345])
    }

    @Test func meminfoStyle() {
        let parsed = SensorSource.parse(
            "MemTotal:       24000000 kB\nMemFree:  123 kB\nHugePages_Total:   0\nbogus line\n"
        )
        #expect(parsed.map(\.field) == ["MemTotal", "MemFree", "HugePages_Total"])
        #expect(parsed.map(\.value) == [24_000_000, 123, 0])
    }

    @Test func streamNames() {
        #expect(SensorSource.streamName(base: "load", field: "0") == "load.0")
        #expect(SensorSource.streamName(base: "temp", field: nil) == "temp")
        #expect(
            SensorSource.sanitize("/sys/class/thermal/thermal_zone0/temp") == "sys.class.thermal.thermal_zone0.temp"
        )
        #expect(SensorSource.sanitize("Active(anon)") == "Active_anon_")
    }
}
