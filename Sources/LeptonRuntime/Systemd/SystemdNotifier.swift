#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tells systemd about the service's state (`sd_notify`): `READY=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=…`.
///
/// Implemented directly, without libsystemd: one datagram per message to the Unix socket named in
/// `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Outside systemd (no `$NOTIFY_SOCKET`) every
/// call does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket to send to; nil when not started by systemd with `Type=notify`.
    public let socketPath: String?
    /// How often systemd expects `WATCHDOG=1` at the latest (`$WATCHDOG_USEC`), if the watchdog is on for this
    /// process (`$WATCHDOG_PID`, when set, must be this process).
    public let watchdogTimeout: Duration?

    public init(environment: [String: String]) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if path != nil, forUs, let text = environment["WATCHDOG_USEC"], let micros = Int64(text), micros > 0 {
            watchdogTimeout = .microseconds(micros)
        } else {
            watchdogTimeout = nil
        }
    }

    /// The notifier for this process, from its environment; the variables are then removed, so that commands the
    /// program runs do not talk to systemd in its name.
    public static func fromProcessEnvironment() -> SystemdNotifier {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
            unsetenv(name)
        }
        return SystemdNotifier(environment: environment)
    }

    /// Sends `state` (newline-separated `KEY=value` assignments). Returns false when not under systemd or when the
    /// datagram could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes {
                    sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
    }
}
