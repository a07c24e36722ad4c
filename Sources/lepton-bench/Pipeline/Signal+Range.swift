extension Signal {
    /// The smallest value; 0 for an empty signal.
    var minimum: Double { values.min() ?? 0 }

    /// The largest value; 0 for an empty signal.
    var maximum: Double { values.max() ?? 0 }

    /// max − min: the scale the reduction thresholds are chosen against.
    var spread: Double { maximum - minimum }

    /// The largest |value|, for the rounding allowance of a reconstruction.
    var magnitude: Double { values.reduce(0) { Swift.max($0, abs($1)) } }
}
