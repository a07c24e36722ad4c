import Testing

@testable import LeptonAgent

@Suite struct SensorParsingTests {
    @Test func singleNumber() {
        let parsed = SensorFormat.parse("41250\n")
        #expect(parsed.count == 1)
        #expect(parsed.first?.field == nil)
        #expect(parsed.first?.value == 41250)
    }

    @Test func loadavgStyle() {
        let parsed = SensorFormat.parse("0.52 0.58 0.59 1/234 12345\n")
        #expect(parsed.map(\.field) == ["0", "1", "2", "4"])
        #expect(parsed.map(\.value) == [0.52, 0.58, 0.59, 12345])
    }

    @Test func meminfoStyle() {
        let parsed = SensorFormat.parse(
            "MemTotal:       24000000 kB\nMemFree:  123 kB\nHugePages_Total:   0\nbogus line\n"
        )
        #expect(parsed.map(\.field) == ["MemTotal", "MemFree", "HugePages_Total"])
        #expect(parsed.map(\.value) == [24_000_000, 123, 0])
    }

    @Test func procStatCPULinesGiveOneFieldPerColumn() {
        let parsed = SensorFormat.parse(
            """
            cpu  4705 356 584 3699176 23060 0 277 0 0 0
            cpu0 1393 280 255 1848485 8741 0 211 0 0 0
            intr 1462898 29 0 0
            ctxt 2611232
            procs_running 2

            """
        )
        let fields = Dictionary(uniqueKeysWithValues: parsed.map { ($0.field ?? "", $0.value) })
        #expect(fields["cpu.user"] == 4705)
        #expect(fields["cpu.idle"] == 3_699_176)
        #expect(fields["cpu.guest_nice"] == 0)
        #expect(fields["cpu0.system"] == 255)
        #expect(fields["intr"] == 1_462_898, "only the total of a multi-number line")
        #expect(fields["ctxt"] == 2_611_232)
        #expect(fields["procs_running"] == 2)
        #expect(parsed.count == 10 + 10 + 3)
    }

    @Test func procNetDevGivesOneFieldPerInterfaceAndColumn() {
        let parsed = SensorFormat.parse(
            """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:  123456     789    0    0    0     0          0         0   123456     789    0    0    0     0       0          0
              eth0: 9876543   12345    1    2    0     0          0        10  5432100    6789    0    0    0     3       0          0

            """
        )
        let fields = Dictionary(uniqueKeysWithValues: parsed.map { ($0.field ?? "", $0.value) })
        #expect(parsed.count == 32)
        #expect(fields["lo.rx_bytes"] == 123_456)
        #expect(fields["eth0.rx_bytes"] == 9_876_543)
        #expect(fields["eth0.rx_errs"] == 1)
        #expect(fields["eth0.rx_multicast"] == 10)
        #expect(fields["eth0.tx_bytes"] == 5_432_100)
        #expect(fields["eth0.tx_colls"] == 3)
    }

    @Test func sanitize() {
        #expect(
            SensorFormat.sanitize("/sys/class/thermal/thermal_zone0/temp") == "sys.class.thermal.thermal_zone0.temp"
        )
        #expect(SensorFormat.sanitize("Active(anon)") == "Active_anon_")
    }
}
