import Foundation

/// Text shared by the benchmarks' Markdown reports.
enum ReportText {
    /// The lines under a report's title: what it ran on, the build, the date and `details`, then a warning paragraph
    /// when this is a debug build.
    static func header(machine: MachineDescription, details: String) -> [String] {
        var lines = ["machine: \(machine); build: \(MachineDescription.buildConfiguration); \(Date()); \(details)"]
        if MachineDescription.isDebugBuild {
            lines.append("")
            lines.append("**Warning: debug build. The speeds below are meaningless; run a release build.**")
        }
        return lines
    }

    /// A whole report: the title, the header lines, then each section, with a blank line between them.
    static func document(title: String, header: [String], sections: [[String]]) -> String {
        ([[title], header] + sections).map { $0.joined(separator: "\n") }.joined(separator: "\n\n")
    }

    /// One row of a Markdown table.
    static func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |"
    }

    /// `1234567` as "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// A value with four significant digits, as `%.4g` writes it (`0.0039`, `1.4e+07`).
    static func significant(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    /// A fraction as a percentage: 0.001 as "0.1%", 0.05 as "5%".
    static func percent(_ fraction: Double) -> String {
        String(format: "%g%%", fraction * 100)
    }
}
