#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader, or a crash, sees either the old content or the complete new one.
///
/// Used for keys and certificates (a private key must never exist half-written, nor be readable by others even for
/// an instant, so the file is created with its final mode rather than tightened afterwards) and for the agent's
/// small state files.
public enum AtomicFileWriter {
    /// Replaces `directory/name` with `contents`, with permissions exactly `mode`.
    ///
    /// The bytes go to a new temporary file in the same directory, created with `O_EXCL` and `mode` from the start,
    /// flushed with `fsync`, then renamed over the target; the directory is synced afterwards so the rename survives a
    /// power cut. On failure the temporary file is removed and the target is left as it was.
    public static func replace(directory: String, name: String, contents: String, mode: mode_t) throws {
        let target = Self.join(directory, name)
        let temporary = Self.join(directory, ".\(name).tmp-\(Self.randomSuffix())")

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw Self.failure("cannot create", temporary)
        }
        do {
            try Self.writeAll(Array(contents.utf8), to: descriptor, path: temporary)
            // A umask can only have cleared bits of `mode` at creation; set exactly the requested permissions (a
            // certificate must stay world-readable). This never widens access beyond `mode`.
            guard fchmod(descriptor, mode) == 0 else {
                throw Self.failure("cannot set permissions of", temporary)
            }
            guard fsync(descriptor) == 0 else {
                throw Self.failure("cannot flush", temporary)
            }
        } catch {
            _ = close(descriptor)
            _ = unlink(temporary)
            throw error
        }
        guard close(descriptor) == 0 else {
            let error = Self.failure("cannot close", temporary)
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let error = Self.failure("cannot rename \(temporary) to", target)
            _ = unlink(temporary)
            throw error
        }
        Self.syncDirectory(directory)
    }

    /// Creates `path` and any missing parents, each with `mode` (before the umask), like `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            try Self.makeDirectory(prefix, mode: mode)
            prefix += "/"
        }
    }

    /// Creates one directory level with `mode` (before the umask); succeeds if a directory is already there.
    public static func makeDirectory(_ path: String, mode: mode_t) throws {
        if Self.isDirectory(path) || mkdir(path, mode) == 0 {
            return
        }
        let code = errno
        if code == EEXIST && Self.isDirectory(path) {
            return
        }
        throw Self.failure("cannot create directory", path, errorNumber: code)
    }

    /// Whether something exists at `path` (a dangling symbolic link counts: it would be replaced too).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Self.failure("cannot write", path)
                }
                offset += written
            }
        }
    }

    /// Makes a completed rename durable. Best effort: the data itself is already safe on disk.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = close(descriptor)
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func randomSuffix() -> String {
        let value = UInt64.random(in: UInt64.min...UInt64.max)
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// An error for the failed system call; reads `errno` unless given, so call it before anything else that may
    /// change `errno` (such as cleaning up).
    private static func failure(
        _ action: String,
        _ path: String,
        errorNumber: Int32 = errno
    ) -> FileSystemError {
        FileSystemError(message: "\(action) \(path): \(String(cString: strerror(errorNumber))) (errno \(errorNumber))")
    }
}

/// A failed file system call, with the path and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
