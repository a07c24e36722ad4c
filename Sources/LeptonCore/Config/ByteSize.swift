/// Parsing and printing of byte sizes in configuration files: `4096`, `4096B`, `100kB`, `1MB`, `512KiB`, `1MiB`,
/// `1GiB`.
///
/// Decimal units are powers of 1000 (`kB`/`KB`, `MB`, `GB`, `TB`); binary units are powers of 1024 (`KiB`, `MiB`,
/// `GiB`, `TiB`). A bare number or the unit `B` counts bytes. A fraction is allowed when the result is a whole
/// number of bytes (`1.5MiB`).
public enum ByteSize {
    /// Accepted units and their size in bytes.
    static let units: [(name: String, bytes: Int64)] = [
        ("B", 1),
        ("kB", 1_000),
        ("KB", 1_000),
        ("MB", 1_000_000),
        ("GB", 1_000_000_000),
        ("TB", 1_000_000_000_000),
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("GiB", 1 << 30),
        ("TiB", 1 << 40),
    ]

    /// Parses a byte size such as `64MiB` into a number of bytes.
    ///
    /// - Throws: ``ConfigValueError`` for a negative value, an unknown unit, garbage, a fractional byte count or a
    ///   value that does not fit in `Int`.
    public static func parse(_ text: String) throws(ConfigValueError) -> Int {
        let example = "expected a size like 1MiB, 512KiB or 4096"
        let value = text.trimmingWhitespace
        if value.isEmpty {
            throw ConfigValueError("empty size; \(example)")
        }
        if value.first == "-" {
            throw ConfigValueError("negative size '\(value)' is not allowed")
        }
        let (number, unit) = ConfigQuantity.split(value)
        if number.isEmpty {
            throw ConfigValueError("'\(value)' is not a size; \(example)")
        }
        let bytesPerUnit: Int64
        if unit.isEmpty {
            bytesPerUnit = 1
        } else if let known = units.first(where: { $0.name == unit }) {
            bytesPerUnit = known.bytes
        } else {
            let names = units.map { $0.name }.joined(separator: ", ")
            throw ConfigValueError("unknown unit '\(unit)' in '\(value)'; expected one of: \(names)")
        }
        switch ConfigQuantity.scale(number, by: bytesPerUnit) {
        case .success(let bytes):
            guard let result = Int(exactly: bytes) else { throw ConfigValueError("size '\(value)' is too large") }
            return result
        case .failure(.malformed):
            throw ConfigValueError("'\(value)' is not a size; \(example)")
        case .failure(.overflow):
            throw ConfigValueError("size '\(value)' is too large")
        case .failure(.notWhole):
            throw ConfigValueError("size '\(value)' is not a whole number of bytes")
        }
    }

    /// Formats `bytes` with the largest binary unit that represents it exactly (`1048576` → `1MiB`,
    /// `1000` → `1000B`), so that the result parses back to the same value.
    public static func format(_ bytes: Int) -> String {
        guard bytes > 0 else { return "\(bytes)B" }
        for (name, size) in units.reversed() where name.hasSuffix("iB") && Int64(bytes) % size == 0 {
            return "\(Int64(bytes) / size)\(name)"
        }
        return "\(bytes)B"
    }
}
