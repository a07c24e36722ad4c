import Testing

@testable import LeptonCore

@Suite("ByteSize.parse")
struct ByteSizeParsingTests {
    @Test(
        "accepts bytes, decimal and binary units",
        arguments: [
            ("1MiB", 1_048_576),
            ("512KiB", 524_288),
            ("1GiB", 1_073_741_824),
            ("1TiB", 1_099_511_627_776),
            ("1MB", 1_000_000),
            ("100kB", 100_000),
            ("100KB", 100_000),
            ("2GB", 2_000_000_000),
            ("4096", 4_096),
            ("4096B", 4_096),
            ("0", 0),
            ("1.5MiB", 1_572_864),
            ("8 MiB", 8_388_608),
            (" 64MiB ", 67_108_864),
        ]
    )
    func valid(text: String, expected: Int) throws {
        #expect(try ByteSize.parse(text) == expected)
    }

    @Test(
        "rejects garbage",
        arguments: [
            "", "-1MiB", "-1", "abc", "MiB", "1XB", "1mb", "1mib", "1.5B", "0.1KiB", "1.2.3MiB", "1e6",
            "99999999999TiB", "9223372036854775808", "1 MiB extra",
        ]
    )
    func invalid(text: String) {
        #expect(throws: ConfigValueError.self) { try ByteSize.parse(text) }
    }

    @Test("explains what is wrong")
    func messages() throws {
        let negative = try #require(throws: ConfigValueError.self) { try ByteSize.parse("-1MiB") }
        #expect(negative.message.contains("negative"))
        let unknown = try #require(throws: ConfigValueError.self) { try ByteSize.parse("1XB") }
        #expect(unknown.message.contains("unknown unit 'XB'"))
        #expect(unknown.message.contains("MiB"))
        let overflow = try #require(throws: ConfigValueError.self) { try ByteSize.parse("99999999999TiB") }
        #expect(overflow.message.contains("too large"))
        let garbage = try #require(throws: ConfigValueError.self) { try ByteSize.parse("big") }
        #expect(garbage.message.contains("like 1MiB"))
    }

    @Test(
        "formats with the largest exact binary unit",
        arguments: [(1_048_576, "1MiB"), (3_072, "3KiB"), (1_536, "1536B"), (1_000, "1000B"), (0, "0B")]
    )
    func format(bytes: Int, expected: String) throws {
        #expect(ByteSize.format(bytes) == expected)
        #expect(try ByteSize.parse(expected) == bytes)
    }
}
