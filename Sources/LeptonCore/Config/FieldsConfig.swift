/// A `fields` processor's settings, applied in this order: `drop`/`keep`, `rename`, `scale`/`offset`/`convert`,
/// `to_tag`, `tags`. Keys of `scale`, `offset`, `convert` and `to_tag` name fields after renaming.
public struct FieldsConfig: Sendable, Hashable {
    /// One `old: new` pair of `rename`.
    public struct Rename: Sendable, Hashable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    /// A unit conversion of `convert`.
    public enum Conversion: String, Sendable, Hashable, CaseIterable {
        case celsiusToFahrenheit = "celsius_to_fahrenheit"
        case fahrenheitToCelsius = "fahrenheit_to_celsius"
        case kelvinToCelsius = "kelvin_to_celsius"
        case celsiusToKelvin = "celsius_to_kelvin"
        /// ÷ 1000.
        case milli
        /// ÷ 1 000 000.
        case micro
        /// × 1000.
        case kilo
        /// ÷ 1024.
        case bytesToKiB = "bytes_to_kib"
        /// ÷ 1 048 576.
        case bytesToMiB = "bytes_to_mib"

        /// The converted value.
        public func apply(_ value: Double) -> Double {
            switch self {
            case .celsiusToFahrenheit: return value * 9 / 5 + 32
            case .fahrenheitToCelsius: return (value - 32) * 5 / 9
            case .kelvinToCelsius: return value - 273.15
            case .celsiusToKelvin: return value + 273.15
            case .milli: return value / 1000
            case .micro: return value / 1_000_000
            case .kilo: return value * 1000
            case .bytesToKiB: return value / 1024
            case .bytesToMiB: return value / 1_048_576
            }
        }
    }

    /// `rename: {old: new}`, in document order. A renamed field replaces a field that already had the new name.
    public var rename: [Rename]
    /// `drop: [names]`: fields removed.
    public var drop: [String]
    /// `keep: [names]`: when set, every other field is removed.
    public var keep: [String]?
    /// `scale: {field: factor}`: the value is multiplied by the factor.
    public var scale: [String: Double]
    /// `offset: {field: amount}`: the amount is added after scaling.
    public var offset: [String: Double]
    /// `convert: {field: conversion}`: applied after scale and offset.
    public var convert: [String: Conversion]
    /// `to_tag: [names]`: the field becomes a tag of the same name holding its value as text.
    public var toTag: [String]
    /// `tags: {key: value}`: static tags set on every event; `${hostname}` in a value is the host name.
    public var tags: Tags

    /// The placeholder replaced by the host name in `tags` values.
    public static let hostnamePlaceholder = "${hostname}"

    public init(
        rename: [Rename] = [],
        drop: [String] = [],
        keep: [String]? = nil,
        scale: [String: Double] = [:],
        offset: [String: Double] = [:],
        convert: [String: Conversion] = [:],
        toTag: [String] = [],
        tags: Tags = Tags()
    ) {
        self.rename = rename
        self.drop = drop
        self.keep = keep
        self.scale = scale
        self.offset = offset
        self.convert = convert
        self.toTag = toTag
        self.tags = tags
    }

    static let keys: Set<String> = ["rename", "drop", "keep", "scale", "offset", "convert", "to_tag", "tags"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        guard map.entries.contains(where: { Self.keys.contains($0.key) }) else {
            let names = Self.keys.sorted().joined(separator: ", ")
            throw map.node.error("a fields processor needs at least one of: \(names)")
        }
        self.init()
        if let node = map.optional("rename") {
            for entry in try node.freeMapping() {
                rename.append(Rename(from: entry.key, to: try entry.value.string()))
            }
        }
        if let node = map.optional("drop") { drop = try node.processorFieldNames() }
        if let node = map.optional("keep") { keep = try node.processorFieldNames() }
        if let node = map.optional("scale") {
            for entry in try node.freeMapping() {
                scale[entry.key] = try entry.value.finiteNumber()
            }
        }
        if let node = map.optional("offset") {
            for entry in try node.freeMapping() {
                offset[entry.key] = try entry.value.finiteNumber()
            }
        }
        if let node = map.optional("convert") {
            for entry in try node.freeMapping() {
                convert[entry.key] = try entry.value.choice(Conversion.self, what: "conversion")
            }
        }
        if let node = map.optional("to_tag") { toTag = try node.processorFieldNames() }
        if let node = map.optional("tags") {
            for entry in try node.freeMapping() {
                tags[entry.key] = try entry.value.string()
            }
        }
    }
}
