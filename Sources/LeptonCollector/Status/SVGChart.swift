import LeptonCore

/// Line charts as inline SVG, drawn on the server (the status page loads nothing else).
enum SVGChart {
    struct Line {
        var name: String
        var color: String
        /// (time in ns, value), in time order.
        var points: [(Int64, Double)]
    }

    /// A chart of `lines` over their common time range, with the value range on the left and a legend.
    static func render(_ lines: [Line], width: Int = 640, height: Int = 160, unit: String = "") -> String {
        let all = lines.flatMap(\.points).filter { $0.1.isFinite }
        let (left, top, plotWidth, plotHeight) = (56.0, 8.0, Double(width) - 64, Double(height) - 36)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(width)\" height=\"\(height)\" "
        svg += "viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" class=\"plot\"/>"
        guard let first = all.map(\.0).min(), let last = all.map(\.0).max(),
            var low = all.map(\.1).min(), var high = all.map(\.1).max()
        else {
            return svg + "<text x=\"\(left + 8)\" y=\"\(top + 20)\" class=\"empty\">no data yet</text></svg>"
        }
        if high == low {
            high += 1
            low -= low == 0 ? 0 : 1
        }
        let span = Double(max(last - first, 1))
        func x(_ time: Int64) -> Double { left + Double(time - first) / span * plotWidth }
        func y(_ value: Double) -> Double { top + (high - value) / (high - low) * plotHeight }
        for line in lines {
            let points = line.points.filter { $0.1.isFinite }.map { "\(format(x($0.0))),\(format(y($0.1)))" }
            guard !points.isEmpty else { continue }
            svg += "<polyline class=\"line\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\" "
            svg += "points=\"\(points.joined(separator: " "))\"><title>\(escape(line.name))</title></polyline>"
            // A line of one or two points is hard to see: mark them.
            if points.count < 3 {
                for point in line.points where point.1.isFinite {
                    svg += "<circle cx=\"\(format(x(point.0)))\" cy=\"\(format(y(point.1)))\" r=\"3\" "
                    svg += "fill=\"\(line.color)\"/>"
                }
            }
        }
        svg +=
            "<text x=\"\(left - 4)\" y=\"\(top + 10)\" class=\"axis\" text-anchor=\"end\">\(number(high))\(unit)</text>"
        svg +=
            "<text x=\"\(left - 4)\" y=\"\(top + plotHeight)\" class=\"axis\" text-anchor=\"end\">\(number(low))\(unit)</text>"
        svg += "<text x=\"\(left)\" y=\"\(Double(height) - 14)\" class=\"axis\">\(clock(first))</text>"
        svg += "<text x=\"\(left + plotWidth)\" y=\"\(Double(height) - 14)\" class=\"axis\" text-anchor=\"end\">"
        svg += "\(clock(last)) UTC</text>"
        var legendX = left
        for line in lines {
            svg +=
                "<rect x=\"\(format(legendX))\" y=\"\(Double(height) - 8)\" width=\"10\" height=\"3\" fill=\"\(line.color)\"/>"
            svg +=
                "<text x=\"\(format(legendX + 14))\" y=\"\(Double(height) - 3)\" class=\"legend\">\(escape(line.name))</text>"
            legendX += 24 + Double(line.name.count) * 6.5
        }
        return svg + "</svg>"
    }

    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(Double(tenths) / 10)"
    }

    /// A value for an axis label: integers as such, others with up to 3 decimals.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return "\(Int64(value))" }
        let thousandths = (value * 1000).rounded() / 1000
        return "\(thousandths)"
    }

    /// `HH:MM` of a time in ns (UTC).
    static func clock(_ nanoseconds: Int64) -> String {
        let text = formatRFC3339(nanoseconds: nanoseconds)
        let start = text.index(text.startIndex, offsetBy: 11)
        return String(text[start..<text.index(start, offsetBy: 5)])
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
