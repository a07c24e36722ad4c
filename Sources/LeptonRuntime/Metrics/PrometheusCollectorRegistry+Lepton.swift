import Prometheus

extension PrometheusCollectorRegistry {
    /// A counter named exactly `name` (give the full Prometheus name, `_total` included), with help text.
    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// A gauge named exactly `name`, with help text.
    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Gauge {
        makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// A histogram of durations in seconds named exactly `name`, with help text.
    public func durationHistogram(_ name: String, help: String, buckets: [Duration]) -> DurationHistogram {
        makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: [], buckets: buckets)
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
