extension Double {
    /// The number as configuration, tags and rung names write it: whole numbers without a decimal point (`30`,
    /// not `30.0`), others in Swift's shortest form (`21.5`).
    public var shortText: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : "\(self)"
    }
}
