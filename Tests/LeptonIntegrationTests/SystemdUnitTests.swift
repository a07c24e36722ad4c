import Foundation
import LeptonTestSupport
import Testing

/// The units in the repository's `systemd/` folder as this host's `systemd-analyze` sees them: `verify` finds
/// nothing to complain about, and `security --offline=yes` rates their exposure at most 2.0.
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static let exposureTarget = 2.0

    /// The `*.service` files in the repository's `systemd/` folder.
    static func units() throws -> [String] {
        let folder = (ExecutableTests.packageRoot as NSString).appendingPathComponent("systemd")
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".service") }
            .sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    @Test func verifyAcceptsTheUnits() throws {
        try Self.requireAnalyze()
        let units = try Self.units()
        #expect(!units.isEmpty, "no units in \(ExecutableTests.packageRoot)/systemd")
        // `verify` checks that every Exec…= program exists, so it runs against a root holding the units, this
        // host's systemd units (the targets they depend on) and a stub at each program's path.
        let root = try TemporaryDirectory(prefix: "lepton-systemd-root")
        defer { root.remove() }
        try Self.prepare(root: root.path, units: units)
        for unit in units {
            let name = (unit as NSString).lastPathComponent
            let (status, output) = try Self.run(["verify", "--root=\(root.path)", "--recursive-errors=no", name])
            // Unknown keys and bad values are warnings only (exit status 0): any line naming the unit fails too.
            let complaints = output.split(separator: "\n").filter { $0.contains(name) }
            #expect(
                status == 0 && complaints.isEmpty,
                "systemd-analyze verify \(name) exited \(status):\n\(output)"
            )
        }
    }

    @Test func exposureIsAtMostTheTarget() throws {
        try Self.requireAnalyze()
        let units = try Self.units()
        #expect(!units.isEmpty, "no units in \(ExecutableTests.packageRoot)/systemd")
        for unit in units {
            let (status, output) = try Self.run(["security", "--offline=yes", unit])
            let exposure = Self.overallExposure(in: output)
            let reported = exposure.map { "\($0)" } ?? "not reported"
            #expect(status == 0, "systemd-analyze security \(unit) exited \(status):\n\(output)")
            #expect(
                (exposure ?? .infinity) <= Self.exposureTarget,
                "\(unit): exposure \(reported), target at most \(Self.exposureTarget):\n\(output)"
            )
        }
    }

    @Test func exposureLineIsParsed() {
        #expect(Self.overallExposure(in: "\n→ Overall exposure level for a.service: 1.2 OK 🙂\n") == 1.2)
        #expect(Self.overallExposure(in: "→ Overall exposure level for b.service: 9.6 UNSAFE 😨") == 9.6)
        #expect(Self.overallExposure(in: "-> Overall exposure level for c.service: 2.1 MEDIUM :-|") == 2.1)
        #expect(Self.overallExposure(in: "Unit d.service not found.") == nil)
    }

    /// Fails the test, rather than skipping it, on a host without systemd-analyze.
    static func requireAnalyze() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: analyze),
            "\(analyze) is missing: install the systemd package (make deps installs it)"
        )
    }

    /// The number on `→ Overall exposure level for NAME: 1.2 OK 🙂` (`-> …: 1.2 OK :-)` in the C locale).
    static func overallExposure(in output: String) -> Double? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains("Overall exposure level for") }),
            let colon = line.range(of: ": ")
        else { return nil }
        return line[colon.upperBound...].split(separator: " ").first.flatMap { Double($0) }
    }

    /// Fills `root` for `systemd-analyze verify --root=`: the units in etc/systemd/system, this host's units in
    /// usr/lib/systemd/system, and an executable stub at every absolute program path of an `Exec…=` line.
    static func prepare(root: String, units: [String]) throws {
        let files = FileManager.default
        let local = root + "/etc/systemd/system"
        try files.createDirectory(atPath: local, withIntermediateDirectories: true)
        try files.createDirectory(atPath: root + "/usr/lib/systemd", withIntermediateDirectories: true)
        try files.copyItem(atPath: "/usr/lib/systemd/system", toPath: root + "/usr/lib/systemd/system")
        for unit in units {
            try files.copyItem(atPath: unit, toPath: local + "/" + (unit as NSString).lastPathComponent)
            for program in try programs(in: unit) {
                let stub = root + program
                try files.createDirectory(
                    atPath: (stub as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                let created = files.createFile(
                    atPath: stub,
                    contents: Data("#!/bin/sh\nexit 0\n".utf8),
                    attributes: [.posixPermissions: 0o755]
                )
                #expect(created, "cannot create \(stub)")
            }
        }
    }

    /// The absolute program paths of the unit's `Exec…=` lines (`ExecStart=-/usr/bin/x y` gives `/usr/bin/x`).
    static func programs(in unit: String) throws -> [String] {
        try String(contentsOfFile: unit, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("Exec"), let equals = line.firstIndex(of: "=") else { return nil }
            let command = line[line.index(after: equals)...].drop(while: { "-@:+!|".contains($0) })
            return command.split(separator: " ").first.map(String.init)
        }.filter { $0.hasPrefix("/") }
    }

    /// Runs systemd-analyze with `arguments`; its exit status and its stdout and stderr together.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram(analyze, ["--no-pager"] + arguments)
    }
}
