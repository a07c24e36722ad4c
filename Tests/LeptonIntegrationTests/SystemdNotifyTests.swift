import Foundation
import LeptonRuntime
import LeptonTestSupport
import NIOPosix
import Testing

/// sd_notify against a real datagram socket, from the library and from the collector process.
@Suite struct SystemdNotifyTests {
    /// A bound Unix datagram socket standing in for systemd's notification socket.
    final class NotifySocket: @unchecked Sendable {
        // @unchecked: the descriptor is only read after init; reads happen on one thread at a time.
        let path: String
        let descriptor: Int32

        init(path: String) throws {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard descriptor >= 0, bound == 0 else { throw CocoaError(.fileWriteUnknown) }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram, or nil after `timeout`.
        func receive(timeout: Duration = .seconds(10)) async -> String? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let message = try? await NIOThreadPool.singleton.runIfActive { [descriptor] () -> String? in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                    return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
                }
                if let message = message ?? nil { return message }
            }
            return nil
        }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test func notifierSendsADatagramAndReadsTheWatchdogSettings() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = try NotifySocket(path: directory.file("notify"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.watchdogTimeout == .seconds(2))
        #expect(notifier.notify("READY=1"))
        #expect(await socket.receive() == "READY=1")

        let elsewhere = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1",
        ])
        #expect(elsewhere.watchdogTimeout == nil, "the watchdog is for another process")
        let outside = SystemdNotifier(environment: [:])
        #expect(!outside.notify("READY=1"), "not under systemd: nothing to do")
    }

    @Test func theCollectorSaysReadyPingsTheWatchdogReloadsAndSaysStopping() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = try NotifySocket(path: directory.file("notify"))
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let agentPort = try ChildProcess.freePort()
        let httpPort = try ChildProcess.freePort()
        let tls = pki.collectorTLS
        try """
        listen: 127.0.0.1:\(agentPort)
        tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
        http: { listen: 127.0.0.1:\(httpPort) }
        storage: { type: sqlite, path: \(directory.file("lepton.db")) }
        """.write(toFile: directory.file("collector.yaml"), atomically: true, encoding: .utf8)
        let collector = try ChildProcess(
            "lepton-collector",
            ["run", "--config", "collector.yaml"],
            directory: directory.path,
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"]
        )
        let ready = await socket.receive()
        #expect(ready?.hasPrefix("READY=1") == true, "first message: \(ready ?? "none"); \(collector.errorOutput)")
        // Ready means serving: the HTTP endpoint answers right away.
        #expect((try? await HTTPResponse.get(port: httpPort, path: "/healthz").status) == 200)
        #expect(await socket.receive() == "WATCHDOG=1")
        #expect(await socket.receive() == "WATCHDOG=1")

        // SIGHUP: RELOADING=1 (with the monotonic time systemd asks for), then READY=1 once applied.
        collector.signal(SIGHUP)
        var reloadMessages: [String] = []
        while let message = await socket.receive(timeout: .seconds(5)), reloadMessages.count < 2 {
            if !message.hasPrefix("WATCHDOG=1") { reloadMessages.append(message) }
        }
        #expect(reloadMessages.first?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true, "\(reloadMessages)")
        #expect(reloadMessages.last?.hasPrefix("READY=1") == true, "\(reloadMessages)")
        #expect(collector.errorOutput.contains("configuration reloaded"), "\(collector.errorOutput)")

        collector.signal(SIGTERM)
        var stopping = false
        while let message = await socket.receive(timeout: .seconds(5)) {
            if message.hasPrefix("STOPPING=1") {
                stopping = true
                break
            }
        }
        #expect(stopping, "STOPPING=1 on SIGTERM")
        #expect(await collector.wait(timeout: .seconds(20)) == 0, "\(collector.errorOutput)")
    }
}
