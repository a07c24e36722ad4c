import Testing

@testable import LeptonCore

@Suite("HostPort(parsing:)")
struct HostPortParsingTests {
    @Test(
        "accepts names, IPv4 and bracketed IPv6",
        arguments: [
            ("127.0.0.1:7443", HostPort(host: "127.0.0.1", port: 7_443)),
            ("localhost:7443", HostPort(host: "localhost", port: 7_443)),
            ("[::1]:7443", HostPort(host: "::1", port: 7_443)),
            ("0.0.0.0:0", HostPort(host: "0.0.0.0", port: 0)),
            ("collector.example.com:65535", HostPort(host: "collector.example.com", port: 65_535)),
            ("[fe80::1%eth0]:80", HostPort(host: "fe80::1%eth0", port: 80)),
            ("[::]:9480", HostPort(host: "::", port: 9_480)),
            (" edge_01:1 ", HostPort(host: "edge_01", port: 1)),
        ]
    )
    func valid(text: String, expected: HostPort) throws {
        #expect(try HostPort(parsing: text) == expected)
    }

    @Test(
        "rejects malformed addresses",
        arguments: [
            "", "localhost", "localhost:", ":7443", "::1:7443", "[::1]", "[::1]7443", "[::1:7443", "[]:80",
            "[localhost]:80", "host:70000", "host:65536", "host:-1", "host:12ab", "host name:80", "host/x:80",
            "host:99999999999999999999",
        ]
    )
    func invalid(text: String) {
        #expect(throws: ConfigValueError.self) { try HostPort(parsing: text) }
    }

    @Test("explains what is wrong")
    func messages() throws {
        let missingPort = try #require(throws: ConfigValueError.self) { try HostPort(parsing: "localhost") }
        #expect(missingPort.message.contains("missing port"))
        let range = try #require(throws: ConfigValueError.self) { try HostPort(parsing: "localhost:70000") }
        #expect(range.message.contains("out of range 0...65535"))
        let brackets = try #require(throws: ConfigValueError.self) { try HostPort(parsing: "::1:7443") }
        #expect(brackets.message.contains("brackets"))
        let host = try #require(throws: ConfigValueError.self) { try HostPort(parsing: ":7443") }
        #expect(host.message.contains("missing host"))
    }

    @Test("prints host:port, bracketing IPv6", arguments: ["127.0.0.1:7443", "[::1]:7443", "localhost:0"])
    func description(text: String) throws {
        #expect(try HostPort(parsing: text).description == text)
    }
}
