import LeptonCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Shell patterns over paths (`*`, `?`, `[...]`), as sources use them to find files.
enum PathGlob {
    static func hasWildcard<S: StringProtocol>(_ text: S) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Paths matching a pattern, sorted; none when nothing matches.
    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
        .sorted()
    }

    /// Whether `path` matches `pattern`: the whole path when the pattern has a `/`, else its last component.
    static func matches(_ pattern: String, path: String) -> Bool {
        let subject = pattern.contains("/") ? path : PathText.lastComponent(path)
        return fnmatch(pattern, subject, FNM_PATHNAME) == 0
    }
}
