import Foundation
import LeptonCore

/// What `lepton-collector query` and `tail` print: one line per record or interval, times in RFC 3339 (UTC).
public enum ClientFormat {
    /// The lines of a `/api/v1/query` response: `TIME VALUE` per record, or `TIME VALUE COUNT` per interval
    /// (`step=`), after a header line.
    public static func queryLines(_ body: String) throws -> [String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw CollectorClient.Failure(description: "unexpected response: \(body.prefix(200))")
        }
        if let points = object["points"] as? [[String: Any]] {
            let agg = object["agg"] as? String ?? "value"
            let rows = points.map { point in
                [time(point["time"]), number(point["value"]), "\(point["count"] as? Int ?? 0)"]
            }
            return table([["time", agg, "count"]] + rows)
        }
        let records = object["records"] as? [[String: Any]] ?? []
        return table([["time", "value"]] + records.map { [time($0["time"]), value($0)] })
    }

    /// Splits server-sent events out of `buffer` (keeping an incomplete one there): the line to print for each
    /// `record` event, and whether a `dropped` event ended the tail.
    public static func tailLines(_ buffer: inout String) -> (lines: [String], dropped: Bool) {
        var lines: [String] = []
        var dropped = false
        while let end = buffer.range(of: "\n\n") {
            let event = buffer[..<end.lowerBound]
            buffer.removeSubrange(..<end.upperBound)
            var name = "message"
            var data = ""
            for line in event.split(separator: "\n") {
                if line.hasPrefix("event:") { name = String(line.dropFirst(6)).trimmingWhitespace.description }
                if line.hasPrefix("data:") { data += String(line.dropFirst(5)).trimmingWhitespace }
            }
            switch name {
            case "record":
                guard let record = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
                    continue
                }
                let agent = record["agent"] as? String ?? "?"
                let stream = record["stream"] as? String ?? "?"
                lines.append("\(time(record["time"])) \(agent) \(stream) \(value(record))")
            case "dropped":
                dropped = true
            default:
                continue
            }
        }
        return (lines, dropped)
    }

    static func time(_ value: Any?) -> String {
        guard let nanoseconds = (value as? NSNumber)?.int64Value else { return "?" }
        return formatRFC3339(nanoseconds: nanoseconds)
    }

    static func number(_ value: Any?) -> String {
        if let text = value as? String { return text }
        guard let number = (value as? NSNumber)?.doubleValue else { return "?" }
        return "\(number)"
    }

    /// A record's value, or its text in quotes (`\`, `"` and line breaks escaped, so one record stays one line).
    static func value(_ record: [String: Any]) -> String {
        if let text = record["text"] as? String {
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\"" + escaped + "\""
        }
        return number(record["value"])
    }

    static func table(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingWhitespace.description
        }
    }
}
