import Foundation
import LeptonTestSupport
import Testing

/// `scripts/install-agent.sh` and `scripts/install-collector.sh` run with `--root` in a throwaway root: the files
/// and their modes (and, when the tests run as root, their owners), a second run that changes nothing, `--dry-run`,
/// `--uninstall` and `--uninstall --purge`. Every path is under a temporary folder, and `--root` keeps the scripts
/// from calling systemctl.
@Suite struct InstallScriptTests {
    static let scripts = (ExecutableTests.packageRoot as NSString).appendingPathComponent("scripts")
    /// Only root can create the user and set owners; otherwise the scripts warn and set modes only.
    static let isRoot = getuid() == 0

    /// A path of the installed system, its mode and its owners.
    struct Expected: Sendable {
        let path: String
        let mode: mode_t
        let user: String
        let group: String

        init(_ path: String, _ mode: mode_t, _ user: String, _ group: String) {
            self.path = path
            self.mode = mode
            self.user = user
            self.group = group
        }
    }

    static let agentFiles = [
        Expected("/usr/local/bin/lepton-agent", 0o755, "root", "root"),
        Expected("/etc/lepton", 0o750, "root", "lepton"),
        Expected("/etc/lepton/agent.yaml", 0o640, "root", "lepton"),
        Expected("/etc/lepton/ca.pem", 0o644, "root", "root"),
        Expected("/etc/lepton/agents", 0o750, "root", "lepton"),
        Expected("/etc/lepton/agents/edge-17.pem", 0o644, "root", "root"),
        Expected("/etc/lepton/agents/edge-17-key.pem", 0o640, "root", "lepton"),
        Expected("/var/lib/lepton-agent", 0o700, "lepton", "lepton"),
        Expected("/var/log/lepton", 0o750, "lepton", "lepton"),
        Expected("/etc/systemd/system/lepton-agent.service", 0o644, "root", "root"),
    ]

    static let collectorFiles = [
        Expected("/usr/local/bin/lepton-collector", 0o755, "root", "root"),
        Expected("/etc/lepton", 0o750, "root", "lepton"),
        Expected("/etc/lepton/collector.yaml", 0o640, "root", "lepton"),
        Expected("/etc/lepton/ca.pem", 0o644, "root", "root"),
        Expected("/etc/lepton/collector.pem", 0o644, "root", "root"),
        Expected("/etc/lepton/collector-key.pem", 0o640, "root", "lepton"),
        Expected("/var/lib/lepton-collector", 0o700, "lepton", "lepton"),
        Expected("/var/log/lepton", 0o750, "lepton", "lepton"),
        Expected("/etc/systemd/system/lepton-collector.service", 0o644, "root", "root"),
    ]

    @Test func agentInstallWritesEveryFileWithItsModeAndFillsInTheConfig() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (status, output) = try Self.run("install-agent.sh", fixture.agentArguments)
        #expect(status == 0, "install-agent.sh exited \(status):\n\(output)")
        try Self.expectInstalled(Self.agentFiles, in: fixture)
        let config = try String(contentsOfFile: fixture.installed("/etc/lepton/agent.yaml"), encoding: .utf8)
        for line in [
            "  id: edge-17", "  address: 127.0.0.1:7443", "    ca: /etc/lepton/ca.pem",
            "    cert: /etc/lepton/agents/edge-17.pem", "    key: /etc/lepton/agents/edge-17-key.pem",
        ] {
            #expect(config.contains("\n" + line + "\n"), "agent.yaml has no line '\(line)':\n\(config)")
        }
        let files = FileManager.default
        for (source, installed) in [
            (fixture.input("lepton-agent"), "/usr/local/bin/lepton-agent"),
            (fixture.input("edge-17-key.pem"), "/etc/lepton/agents/edge-17-key.pem"),
            (Self.repository("systemd/lepton-agent.service"), "/etc/systemd/system/lepton-agent.service"),
        ] {
            #expect(files.contentsEqual(atPath: source, andPath: fixture.installed(installed)), "\(installed)")
        }
    }

    @Test func secondRunChangesNothingAndKeepsAnEditedConfig() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let first = try Self.run("install-agent.sh", fixture.agentArguments)
        #expect(first.status == 0, "first run exited \(first.status):\n\(first.output)")
        let configPath = fixture.installed("/etc/lepton/agent.yaml")
        let marker = "# edited by the operator between the runs"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        // Not atomically: the same file (mode and owners) with one more line.
        try (config + marker + "\n").write(toFile: configPath, atomically: false, encoding: .utf8)
        let before = fixture.tree()

        let second = try Self.run("install-agent.sh", fixture.agentArguments)
        #expect(second.status == 0, "second run exited \(second.status):\n\(second.output)")
        #expect(second.output.contains("lepton-agent: unchanged"), "\(second.output)")
        #expect(second.output.contains("/etc/lepton/agent.yaml (it exists: not overwritten)"), "\(second.output)")
        #expect(fixture.tree() == before)
        #expect(try String(contentsOfFile: configPath, encoding: .utf8).contains(marker))
        try Self.expectInstalled(Self.agentFiles, in: fixture)
    }

    @Test func dryRunInAFreshRootChangesNothing() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let before = fixture.tree()
        let passwd = try String(contentsOfFile: fixture.installed("/etc/passwd"), encoding: .utf8)
        let (status, output) = try Self.run("install-agent.sh", ["--dry-run"] + fixture.agentArguments)
        #expect(status == 0, "install-agent.sh --dry-run exited \(status):\n\(output)")
        let lines = output.split(separator: "\n")
        for (change, path) in [("would install ", "/usr/local/bin/lepton-agent"), ("would create ", "/etc/lepton")] {
            #expect(
                lines.contains { $0.hasPrefix(change) && $0.contains("/root" + path + " (") },
                "no line '\(change)…\(path)':\n\(output)"
            )
        }
        #expect(fixture.tree() == before)
        #expect(try String(contentsOfFile: fixture.installed("/etc/passwd"), encoding: .utf8) == passwd)
    }

    @Test func uninstallKeepsConfigAndStateAndPurgeRemovesThem() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let install = try Self.run("install-agent.sh", fixture.agentArguments)
        #expect(install.status == 0, "install exited \(install.status):\n\(install.output)")
        let files = FileManager.default
        let root = ["--root", fixture.root]

        let uninstall = try Self.run("install-agent.sh", root + ["--uninstall"])
        #expect(uninstall.status == 0, "--uninstall exited \(uninstall.status):\n\(uninstall.output)")
        for gone in ["/usr/local/bin/lepton-agent", "/etc/systemd/system/lepton-agent.service"] {
            #expect(!files.fileExists(atPath: fixture.installed(gone)), "\(gone) is still there")
        }
        let kept = [
            "/etc/lepton/agent.yaml", "/etc/lepton/ca.pem", "/etc/lepton/agents/edge-17.pem",
            "/etc/lepton/agents/edge-17-key.pem", "/var/lib/lepton-agent", "/var/log/lepton",
        ]
        for path in kept {
            #expect(files.fileExists(atPath: fixture.installed(path)), "\(path) was removed by --uninstall")
        }

        let before = fixture.tree()
        let dryRun = try Self.run("install-agent.sh", root + ["--uninstall", "--purge", "--dry-run"])
        #expect(dryRun.status == 0, "--purge --dry-run exited \(dryRun.status):\n\(dryRun.output)")
        #expect(
            dryRun.output.split(separator: "\n").contains {
                $0.hasPrefix("would remove ") && $0.hasSuffix("/root/etc/lepton/agent.yaml")
            },
            "\(dryRun.output)"
        )
        #expect(fixture.tree() == before)

        let purge = try Self.run("install-agent.sh", root + ["--uninstall", "--purge"])
        #expect(purge.status == 0, "--uninstall --purge exited \(purge.status):\n\(purge.output)")
        for path in kept + ["/etc/lepton"] {
            #expect(!files.fileExists(atPath: fixture.installed(path)), "\(path) survived --purge")
        }
        if Self.isRoot {
            #expect(try fixture.id(of: "lepton", in: "passwd") == nil, "user lepton survived --purge")
            #expect(try fixture.id(of: "lepton", in: "group") == nil, "group lepton survived --purge")
        }
    }

    @Test func collectorInstallsThenPurges() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let install = try Self.run("install-collector.sh", fixture.collectorArguments)
        #expect(install.status == 0, "install-collector.sh exited \(install.status):\n\(install.output)")
        try Self.expectInstalled(Self.collectorFiles, in: fixture)
        #expect(
            FileManager.default.contentsEqual(
                atPath: Self.repository("collector-config/collector.yaml"),
                andPath: fixture.installed("/etc/lepton/collector.yaml")
            )
        )
        let again = try Self.run("install-collector.sh", fixture.collectorArguments)
        #expect(again.status == 0 && again.output.contains("lepton-collector: unchanged"), "\(again.output)")

        let purge = try Self.run("install-collector.sh", ["--root", fixture.root, "--uninstall", "--purge"])
        #expect(purge.status == 0, "--uninstall --purge exited \(purge.status):\n\(purge.output)")
        for file in Self.collectorFiles {
            #expect(!FileManager.default.fileExists(atPath: fixture.installed(file.path)), "\(file.path) survived")
        }
    }

    @Test func missingBinaryOrUnknownOptionFailsNamingIt() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let before = fixture.tree()
        let missing = fixture.input("no-such-lepton-agent")
        let (status, output) = try Self.run("install-agent.sh", ["--root", fixture.root, "--binary", missing])
        #expect(status == 1, "exited \(status):\n\(output)")
        #expect(output.contains(missing), "\(output)")
        let unknown = try Self.run("install-collector.sh", ["--root", fixture.root, "--frobnicate"])
        #expect(unknown.status == 2, "exited \(unknown.status):\n\(unknown.output)")
        #expect(unknown.output.contains("--frobnicate"), "\(unknown.output)")
        #expect(fixture.tree() == before)
    }

    // MARK: - Helpers

    /// Runs `bash scripts/SCRIPT arguments…`; its exit status and its stdout and stderr together.
    static func run(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProgram("/bin/bash", [(scripts as NSString).appendingPathComponent(script)] + arguments)
    }

    static func repository(_ path: String) -> String {
        (ExecutableTests.packageRoot as NSString).appendingPathComponent(path)
    }

    /// The mode bits (`st_mode & 0o7777`), owner and group of `path`, without following a symbolic link.
    static func status(_ path: String) -> (mode: mode_t, uid: uid_t, gid: gid_t)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & 0o7777, info.st_uid, info.st_gid)
    }

    /// Expects each path with its mode and, as root, the owners that the root's etc/passwd and etc/group name.
    static func expectInstalled(
        _ expected: [Expected],
        in fixture: Fixture,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for file in expected {
            guard let found = status(fixture.installed(file.path)) else {
                Issue.record("\(file.path) is missing", sourceLocation: sourceLocation)
                continue
            }
            #expect(
                found.mode == file.mode,
                "\(file.path): mode \(String(found.mode, radix: 8)), expected \(String(file.mode, radix: 8))",
                sourceLocation: sourceLocation
            )
            guard isRoot else { continue }
            let uid = try #require(try fixture.id(of: file.user, in: "passwd"), "no user \(file.user)")
            let gid = try #require(try fixture.id(of: file.group, in: "group"), "no group \(file.group)")
            #expect(
                found.uid == uid && found.gid == gid,
                "\(file.path): owners \(found.uid):\(found.gid), expected \(file.user):\(file.group) = \(uid):\(gid)",
                sourceLocation: sourceLocation
            )
        }
    }

    /// A temporary folder with `root/`, a system holding only the account files `useradd --root` edits (root
    /// alone), and `input/`, what the scripts are given: a stand-in binary and PEM files (nothing parses them).
    struct Fixture {
        let directory: TemporaryDirectory
        var root: String { directory.file("root") }

        init() throws {
            directory = try TemporaryDirectory(prefix: "lepton-install")
            let files = FileManager.default
            try files.createDirectory(atPath: directory.file("root/etc"), withIntermediateDirectories: true)
            try files.createDirectory(atPath: directory.file("input"), withIntermediateDirectories: true)
            try write("root:x:0:0:root:/root:/bin/bash\n", to: "root/etc/passwd")
            try write("root:x:0:\n", to: "root/etc/group")
            try write("root:*:19000:0:99999:7:::\n", to: "root/etc/shadow", mode: 0o640)
            try write("root:*::\n", to: "root/etc/gshadow", mode: 0o640)
            for program in ["lepton-agent", "lepton-collector"] {
                try write("#!/bin/sh\nexit 0\n", to: "input/" + program, mode: 0o755)
            }
            for pem in ["ca.pem", "edge-17.pem", "edge-17-key.pem", "collector.pem", "collector-key.pem"] {
                try write("-----BEGIN TEST \(pem)-----\n-----END TEST \(pem)-----\n", to: "input/" + pem)
            }
        }

        func remove() { directory.remove() }

        func input(_ name: String) -> String { directory.file("input/" + name) }

        /// Where `path` of the installed system is in this root.
        func installed(_ path: String) -> String { root + path }

        var agentArguments: [String] {
            [
                "--root", root, "--binary", input("lepton-agent"), "--id", "edge-17", "--collector", "127.0.0.1:7443",
                "--ca", input("ca.pem"), "--cert", input("edge-17.pem"), "--key", input("edge-17-key.pem"),
            ]
        }

        var collectorArguments: [String] {
            [
                "--root", root, "--binary", input("lepton-collector"), "--ca", input("ca.pem"),
                "--cert", input("collector.pem"), "--key", input("collector-key.pem"),
            ]
        }

        /// Every path under the root with its mode, sorted: equal lists mean nothing was added, removed or chmod-ed.
        func tree() -> [String] {
            (FileManager.default.subpaths(atPath: root) ?? []).sorted().map { path in
                let mode = InstallScriptTests.status(root + "/" + path)?.mode ?? 0
                return "\(path) \(String(mode, radix: 8))"
            }
        }

        /// The numeric id of `name` in the root's etc/passwd or etc/group (`file`), or nil.
        func id(of name: String, in file: String) throws -> UInt32? {
            let text = try String(contentsOfFile: installed("/etc/" + file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count > 2, fields[0] == name { return UInt32(fields[2]) }
            }
            return nil
        }

        private func write(_ text: String, to name: String, mode: Int = 0o644) throws {
            let path = directory.file(name)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
    }
}
