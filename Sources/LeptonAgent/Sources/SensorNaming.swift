import LeptonCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds a sensor source's files and names their streams, in a way that stays stable across restarts.
///
/// - A source with one literal path (`/proc/loadavg`) names its stream after the source: `load`.
/// - Other literal paths add their file name: `sys.meminfo` for `/proc/meminfo` in source `sys` (the whole path,
///   dotted, when two paths of the source share a file name).
/// - A glob adds the matched path from the first component with a wildcard on:
///   `/sys/class/thermal/thermal_zone*/temp` in source `thermal` gives `thermal.thermal_zone0.temp`.
/// - With `label_from`, the folder holding the file is named by the label file next to it instead:
///   `thermal.x86_pkg_temp.temp`; two devices with the same label keep their folder name too:
///   `thermal.acpitz-thermal_zone1.temp`.
///
/// Fields of multi-value files follow after a dot (``SensorFormat``).
struct SensorNaming: Sendable {
    struct Match: Hashable, Sendable {
        var path: String
        /// Name components before the label is applied: the parts after the glob's fixed prefix.
        var components: [String]
    }

    let source: String
    let patterns: [String]

    init(source: String, patterns: [String]) {
        self.source = source
        self.patterns = patterns
    }

    /// The files the patterns match now, in pattern order then path order, each once.
    func expand() -> [Match] {
        var seen: Set<String> = []
        var matches: [Match] = []
        let literalNames = patterns.filter { !PathGlob.hasWildcard($0) }.map { PathText.lastComponent($0) }
        for pattern in patterns {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: true)
            if let wildcard = parts.firstIndex(where: { PathGlob.hasWildcard($0) }) {
                for path in PathGlob.expand(pattern) where seen.insert(path).inserted {
                    let matched = path.split(separator: "/", omittingEmptySubsequences: true)
                    let tail = matched.count > wildcard ? matched[wildcard...] : matched[...]
                    matches.append(Match(path: path, components: tail.map { SensorFormat.sanitize($0) }))
                }
            } else if seen.insert(pattern).inserted {
                let fileName = PathText.lastComponent(pattern)
                let shared = literalNames.filter { $0 == fileName }.count > 1
                let components =
                    patterns.count == 1
                    ? [] : shared ? [SensorFormat.sanitize(pattern)] : [SensorFormat.sanitize(fileName)]
                matches.append(Match(path: pattern, components: components))
            }
        }
        return matches
    }

    /// The stream base name of each match; `labels` maps a path to the label read next to it.
    func bases(for matches: [Match], labels: [String: String]) -> [String: String] {
        var named: [(path: String, components: [String], folder: String?)] = matches.map { match in
            guard let label = labels[match.path] else { return (match.path, match.components, nil) }
            var components = match.components
            let folder = components.count >= 2 ? components[components.count - 2] : nil
            if components.count >= 2 {
                components[components.count - 2] = label
            } else {
                components.insert(label, at: 0)
            }
            return (match.path, components, folder)
        }
        // Two devices with the same label: keep their folder names as well.
        var counts: [[String]: Int] = [:]
        for entry in named { counts[entry.components, default: 0] += 1 }
        for index in named.indices where counts[named[index].components, default: 0] > 1 {
            if let folder = named[index].folder, named[index].components.count >= 2 {
                let position = named[index].components.count - 2
                named[index].components[position] += "-\(folder)"
            }
        }
        var bases: [String: String] = [:]
        for entry in named {
            bases[entry.path] = ([source] + entry.components).joined(separator: ".")
        }
        return bases
    }
}
