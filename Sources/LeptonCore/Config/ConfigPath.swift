#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Path handling for configuration files: relative paths resolve against the configuration file's folder.
enum ConfigPath {
    /// `path` made absolute against `baseDirectory` (when relative) and normalised (`.`, `..` and repeated
    /// slashes removed). Symbolic links are left alone.
    static func resolve(_ path: String, against baseDirectory: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(baseDirectory + "/" + path)
    }

    /// Removes `.` components, repeated slashes and `..` components (lexically) from an absolute path; a
    /// relative path stays relative.
    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".":
                continue
            case "..":
                if let last = components.last, last != ".." {
                    components.removeLast()
                } else if !path.hasPrefix("/") {
                    components.append(component)
                }
            default:
                components.append(component)
            }
        }
        let joined = components.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The absolute folder holding `file`; a relative `file` is taken from the current directory.
    static func directory(of file: String) -> String {
        let absolute = resolve(file, against: FileManager.default.currentDirectoryPath)
        guard let slash = absolute.lastIndex(of: "/"), slash != absolute.startIndex else { return "/" }
        return String(absolute[..<slash])
    }

    /// Why `path` cannot be read as a regular file (`No such file or directory`, `Permission denied`,
    /// `Is a directory`), or `nil` when it can.
    static func readProblem(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            return String(cString: strerror(errno))
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            return "Is a directory"
        }
        return nil
    }

    /// The UTF-8 text of `path`, or why it cannot be read.
    static func readText(_ path: String) -> Result<String, ConfigValueError> {
        if let problem = readProblem(path) {
            return .failure(ConfigValueError(problem))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ConfigValueError("cannot read the file"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigValueError("the file is not valid UTF-8"))
        }
        return .success(text)
    }
}
