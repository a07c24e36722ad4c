import Hummingbird
import LeptonCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The HTTP endpoint both programs serve: `/healthz`, `/readyz`, `/metrics`, plus routes the program adds.
public enum AdminServer {
    /// Builds the HTTP application (a `Service`). `bound` receives the real address, which matters for port 0.
    public static func make(
        listen: HostPort,
        metrics: PrometheusCollectorRegistry,
        ready: @escaping @Sendable () -> Bool,
        logger: Logger,
        bound: Rendezvous<SocketAddress>? = nil,
        routes: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some Service {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { _, _ -> Response in
            ready()
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        router.get("metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            metrics.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        routes(router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "lepton"),
            onServerRunning: { channel in
                if let address = channel.localAddress { bound?.set(address) }
            },
            logger: logger
        )
    }

    /// A 200 response with `value` as JSON: keys sorted, one trailing newline (the convention of both programs'
    /// JSON endpoints).
    public static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
