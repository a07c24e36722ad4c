import Foundation
import Testing

/// The agent links FoundationEssentials only: one unconditional `import Foundation` in a module it links (or Yams,
/// which imports it) would bring back all of Foundation and ICU (~45 MB of a 32 MB binary; docs/benchmarks.md).
@Suite struct FoundationImportTests {
    @Test(arguments: ["LeptonCore", "LeptonRuntime", "LeptonAgent", "lepton-agent"])
    func theAgentsModulesImportFoundationEssentialsOnly(module: String) throws {
        let folder = ExampleConfigTests.packageRoot + "/Sources/" + module
        let files = try #require(FileManager.default.enumerator(atPath: folder)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let lines = try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(
                separator: "\n",
                omittingEmptySubsequences: false
            )
            for (index, line) in lines.enumerated() where line == "import Foundation" || line == "import Yams" {
                // Allowed only as the fallback of `#if canImport(FoundationEssentials) … #else`.
                let fallback =
                    index >= 3 && lines[index - 1] == "#else"
                    && lines[index - 3] == "#if canImport(FoundationEssentials)"
                #expect(fallback, "\(module)/\(file):\(index + 1) imports \(line.dropFirst(7)) unconditionally")
            }
        }
    }

    /// SwiftPM links every module in an executable's dependencies, used or not: a package that imports Foundation
    /// (PostgresNIO, GRDB, Yams, swift-nio's NIOFoundationCompat through them) listed under `lepton-agent` brings
    /// Foundation and ICU back even though no agent code imports it.
    @Test func theAgentExecutableDependsOnTheAgentModulesOnly() throws {
        let manifest = try String(contentsOfFile: ExampleConfigTests.packageRoot + "/Package.swift", encoding: .utf8)
        let start = try #require(manifest.range(of: ".executableTarget(\n            name: \"lepton-agent\","))
        let rest = manifest[start.upperBound...]
        // The target's declaration ends where the next target begins.
        let block = rest[..<(rest.range(of: "Target(")?.lowerBound ?? rest.endIndex)]
        #expect(block.contains("\"LeptonAgent\""))
        for package in ["postgres-nio", "GRDB", "Yams", "LeptonCollector", "LeptonTestSupport"] {
            #expect(!block.contains(package), "lepton-agent must not depend on \(package)")
        }
    }
}
