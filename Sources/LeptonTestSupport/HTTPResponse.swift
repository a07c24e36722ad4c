import Foundation
import NIOPosix

/// A tiny HTTP/1.1 GET over loopback, enough for tests of the admin and API endpoints.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: String

    /// The body decoded as JSON.
    public func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    /// In a Prometheus text body: the value of the series named exactly `series` (name and labels).
    public func metric(_ series: String) -> Double? {
        PrometheusText(body).value(series)
    }

    /// Waits until `/readyz` on `port` answers 200; false after `timeout`.
    public static func waitUntilReady(port: Int, timeout: Duration = .seconds(20)) async -> Bool {
        await eventually(timeout: timeout) { (try? await get(port: port, path: "/readyz").status) == 200 }
    }

    public static func get(port: Int, path: String) async throws -> HTTPResponse {
        try await NIOThreadPool.singleton.runIfActive { try blockingGet(port: port, path: path) }
    }

    private static func blockingGet(port: Int, path: String) throws -> HTTPResponse {
        guard let descriptor = connectLoopback(port: port) else {
            throw HTTPError("connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
        defer { close(descriptor) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == request.count else {
            throw HTTPError("send failed")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: chunk.prefix(count))
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HTTPError("no HTTP header in response") }
        let head = text[..<split.lowerBound]
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var body = String(text[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return HTTPResponse(status: status, body: body)
    }

    private static func dechunk(_ body: String) -> String {
        var result = ""
        var rest = Substring(body)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let utf8 = rest[start...].utf8
            let end = utf8.index(utf8.startIndex, offsetBy: size)
            result += String(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return result
    }

    struct HTTPError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// A blocking TCP connection to 127.0.0.1:`port`: the descriptor, or nil with `errno` set.
public func connectLoopback(port: Int) -> Int32? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        let error = errno
        close(descriptor)
        errno = error
        return nil
    }
    return descriptor
}
