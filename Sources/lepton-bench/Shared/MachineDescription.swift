import Foundation
import LeptonRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the numbers were measured on, for the report's header line.
struct MachineDescription: Sendable, CustomStringConvertible {
    var cores: Int
    var architecture: String
    var system: String
    var processor: String?

    static func current() -> MachineDescription {
        var info = utsname()
        var architecture = "unknown"
        var system = "unknown"
        if uname(&info) == 0 {
            architecture = string(info.machine)
            system = "\(string(info.sysname)) \(string(info.release))"
        }
        return MachineDescription(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            architecture: architecture,
            system: system,
            processor: processorModel()
        )
    }

    var description: String {
        let model = processor.map { ", \($0)" } ?? ""
        return "\(cores) cores, \(architecture)\(model), \(system)"
    }

    /// The build configuration of this binary; timing numbers from a debug build are meaningless.
    static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// True when this binary is a debug build.
    static var isDebugBuild: Bool { buildConfiguration == "debug" }

    /// Warns on standard error that the speed numbers of a debug build are meaningless; nothing in a release build.
    static func warnIfDebugBuild() {
        if isDebugBuild {
            printError("lepton-bench: warning: debug build; its speed numbers are meaningless (build with -c release)")
        }
    }

    /// A NUL-terminated C character array (a `utsname` field) as a String.
    private static func string<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { bytes in String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    /// The first "model name" in /proc/cpuinfo (Linux only).
    private static func processorModel() -> String? {
        guard let cpuinfo = ProcFile.contents("/proc/cpuinfo"),
            let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        else { return nil }
        let model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        return model.isEmpty ? nil : model
    }
}
