import Foundation
import LeptonCore

/// A small HTTP/1.1 client for the collector's API, for the `query` and `tail` commands: plain `http://` to the
/// address `http.listen` serves, blocking reads (the commands do nothing else meanwhile), chunked bodies decoded.
public struct CollectorClient: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let host: String
    public let port: Int

    /// `url` is `http://HOST:PORT` (a trailing `/` allowed; IPv6 in brackets).
    public init(url: String) throws {
        guard url.hasPrefix("http://") else {
            throw Failure(description: "--url must start with http:// (the collector's http.listen address)")
        }
        var rest = Substring(url.dropFirst(7))
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let address = try? HostPort(parsing: String(rest)) else {
            throw Failure(description: "--url must be http://HOST:PORT, found '\(url)'")
        }
        host = address.host
        port = address.port
    }

    /// `path` with the query built from `parameters` (nil values left out), each value percent-encoded.
    public static func path(_ path: String, _ parameters: [(String, String?)]) -> String {
        let query = parameters.compactMap { name, value in value.map { "\(name)=\(percentEncoded($0))" } }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }

    /// GET `path`: the status and the whole body.
    public func get(_ path: String) throws -> (status: Int, body: String) {
        var body: [UInt8] = []
        let status = try stream(path) {
            body += $0
            return true
        }
        return (status, String(decoding: body, as: UTF8.self))
    }

    /// GET `path`, handing the body's bytes to `receive` as they arrive until the body ends or `receive` returns
    /// false. Returns the status.
    @discardableResult
    public func stream(_ path: String, receive: ([UInt8]) -> Bool) throws -> Int {
        let descriptor = try connect()
        defer { close(descriptor) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw Failure(description: "cannot send to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func read() throws -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { return true }
            if count < 0 {
                throw Failure(description: "reading from \(host):\(port): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return false }
            buffer += chunk.prefix(count)
            return true
        }
        // Head.
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil, try !read() { throw Failure(description: "the collector closed the connection early") }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let chunked = head.lowercased().contains("transfer-encoding: chunked")
        guard chunked else {
            if !buffer.isEmpty, !receive(buffer) { return status }
            buffer.removeAll()
            while try read() {
                if !receive(buffer) { return status }
                buffer.removeAll()
            }
            return status
        }
        // Chunked body: SIZE CRLF DATA CRLF …, ended by a chunk of size 0.
        while true {
            var lineEnd = Self.find([13, 10], in: buffer)
            while lineEnd == nil {
                guard try read() else { return status }
                lineEnd = Self.find([13, 10], in: buffer)
            }
            let sizeText = String(decoding: buffer[..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingWhitespace, radix: 16) else {
                throw Failure(description: "malformed chunked response")
            }
            if size == 0 { return status }
            while buffer.count < lineEnd! + 2 + size + 2 {
                guard try read() else { return status }
            }
            let data = Array(buffer[(lineEnd! + 2)..<(lineEnd! + 2 + size)])
            buffer.removeFirst(lineEnd! + 2 + size + 2)
            if !receive(data) { return status }
        }
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if descriptor >= 0 {
                if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return descriptor }
                close(descriptor)
            }
            cursor = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
