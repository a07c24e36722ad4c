import Foundation
import LeptonTestSupport

/// One signal's results: a row of the report.
struct CodecBenchmarkRow: Sendable {
    var signal: String
    var sizes: SizeMeasurement
    var speed: SpeedMeasurement
}

/// The Markdown report of `lepton-bench codec`.
struct CodecReport {
    var rows: [CodecBenchmarkRow]
    var machine: MachineDescription
    var samplesPerSignal: Int
    var batchSize: Int
    var minimumMeasurement: Duration
    /// How the `/proc` traces were recorded, when they were.
    var procNote: String?

    var markdown: String {
        ReportText.document(
            title: "## Columnar codec (`lepton-bench codec`)",
            header: ReportText.header(
                machine: machine,
                details: "\(ReportText.grouped(samplesPerSignal)) samples per signal in batches of "
                    + ReportText.grouped(batchSize)
            ),
            sections: [sizeAndSpeedTable, breakdownTable, targets, notes]
        )
    }

    private var sizeAndSpeedTable: [String] {
        var lines = [
            "Bytes per sample (timestamp + value), and the codec's single-core speed in millions of values per second:",
            "",
            "| signal | Lepton + zlib 1 | Lepton | CSV + zlib 1 | CSV + gzip 6 | JSON + zlib 1 | Gorilla | scheme "
                + "| encode values M/s | decode values M/s | encode timestamps M/s | decode timestamps M/s |",
            "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        ]
        for row in rows {
            let sizes = row.sizes
            let cells = [
                row.signal,
                bytes(sizes.perSample(sizes.columnarZlib)),
                bytes(sizes.perSample(sizes.columnarRaw)),
                bytes(sizes.perSample(sizes.csvZlib)),
                bytes(sizes.perSample(sizes.csvGzip)),
                bytes(sizes.perSample(sizes.jsonZlib)),
                bytes(sizes.perSample(bits: sizes.gorillaTimestampBits + sizes.gorillaValueBits)),
                scheme(sizes),
                millions(row.speed.encodeValues),
                millions(row.speed.decodeValues),
                millions(row.speed.encodeTimestamps),
                millions(row.speed.decodeTimestamps),
            ]
            lines.append(ReportText.row(cells))
        }
        return lines
    }

    private var breakdownTable: [String] {
        var lines = [
            "Where the bytes go, per sample, before zlib:",
            "",
            "| signal | Lepton timestamps | Lepton values | Gorilla timestamps | Gorilla values |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in rows {
            let sizes = row.sizes
            let cells = [
                row.signal,
                bytes(sizes.perSample(sizes.columnarTimestamps)),
                bytes(sizes.perSample(sizes.columnarValues)),
                bytes(sizes.perSample(bits: sizes.gorillaTimestampBits)),
                bytes(sizes.perSample(bits: sizes.gorillaValueBits)),
            ]
            lines.append(ReportText.row(cells))
        }
        return lines
    }

    /// The issue's targets, for the signals that were run.
    private var targets: [String] {
        var lines = ["Targets (issue 8, 1,000-sample batches, Lepton + zlib 1):", ""]
        func row(_ name: String) -> CodecBenchmarkRow? { rows.first { $0.signal == name } }
        if let temperature = row("temperature") {
            let reached = temperature.sizes.perSample(temperature.sizes.columnarZlib)
            lines.append(
                "- slow decimal sensor (temperature) at most 1.0 byte/sample: \(bytes(reached)), \(verdict(reached <= 1))"
            )
        }
        if let accelerometer = row("accelerometer") {
            let reached = accelerometer.sizes.perSample(accelerometer.sizes.columnarZlib)
            lines.append(
                "- jittered 64 Hz integer accelerometer at most 2 bytes/sample: \(bytes(reached)), "
                    + verdict(reached <= 2)
            )
        }
        if let power = row("power") {
            let reached = power.sizes.perSample(power.sizes.columnarZlib)
            let gorilla = power.sizes.perSample(bits: power.sizes.gorillaTimestampBits + power.sizes.gorillaValueBits)
            lines.append(
                "- float32 power clearly below Gorilla: \(bytes(reached)) against \(bytes(gorilla)), "
                    + verdict(reached < gorilla * 0.9) + " (taking \"clearly\" as at least 10% fewer bytes)"
            )
        }
        if let slowest = rows.min(by: { $0.speed.encodeValues < $1.speed.encodeValues }) {
            let reached = slowest.speed.encodeValues / 1e6
            lines.append(
                "- encode at least 50 M values/s per core: slowest is \(slowest.signal) at "
                    + "\(millions(slowest.speed.encodeValues)) M/s, " + verdict(reached >= 50)
                    + (MachineDescription.buildConfiguration == "debug" ? " (debug build: not a real measurement)" : "")
            )
        }
        return lines
    }

    private var notes: [String] {
        var lines = [
            "Notes:",
            "",
            "- Lepton: `ColumnarCodec.encodeTimestamps` then `encodeNumbers` of each batch into one buffer, then zlib "
                + "level 1 over it (\"Lepton\" is the same without zlib); no frame header. Every batch was decoded and "
                + "compared bit for bit.",
            "- CSV lines `timestamp_ns,value` and JSON lines `{\"t\":…,\"v\":…}`, values in their shortest text "
                + "(integers without a fraction, float32 values as float32 text), compressed per batch.",
            "- Gorilla: a reference encoder written for this benchmark (Pelkonen et al., VLDB 2015): delta-of-delta "
                + "timestamps with the paper's buckets, in the coarsest unit (s, ms, µs, ns) that is exact for the "
                + "batch, and XOR values with leading-zero and meaningful-bit coding; exact bit count / 8, no zlib. "
                + "Checked by its own decoder on every batch.",
            "- Speed: one thread, the same batches, each measurement run for at least "
                + "\(milliseconds(minimumMeasurement)) ms after a warm-up pass; encode writes into a reused buffer, "
                + "decode returns a new array per batch.",
            "- Synthetic signals are generated with fixed seeds (SplitMix64); every run sees the same values.",
        ]
        if let procNote {
            lines.append("- \(procNote)")
        }
        return lines
    }

    private func scheme(_ sizes: SizeMeasurement) -> String {
        guard let common = sizes.commonScheme else { return "–" }
        if common.share >= 0.9995 { return "\(common.scheme)" }
        return "\(common.scheme) (\(String(format: "%.0f", common.share * 100))%)"
    }

    private func verdict(_ met: Bool) -> String { met ? "**met**" : "**missed**" }
    private func bytes(_ value: Double) -> String { String(format: "%.3f", value) }
    private func millions(_ perSecond: Double) -> String { String(format: "%.1f", perSecond / 1e6) }
    private func milliseconds(_ duration: Duration) -> String { String(format: "%.0f", duration.inSeconds * 1000) }
}
