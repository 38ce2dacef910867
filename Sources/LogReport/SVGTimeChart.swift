/// A bar chart over time as inline SVG: one bar per time bucket (an hour, or several hours when
/// the log spans more than a week), each bar stacked from its series; a value axis with round
/// ticks and grid lines, a time axis in UTC, axis titles and a legend. Each bar segment carries a
/// `<title>` (a tooltip) with its bucket, series and value.
///
/// The output is well-formed XML; every text in it goes through `HTMLText.escaped`.
struct SVGTimeChart {
    /// What the chart shows, for screen readers (`aria-label`).
    var title: String
    var valueAxisTitle: String
    var series: [ChartSeries]
    /// The buckets in time order; `values[i]` belongs to `series[i]`.
    var buckets: [(start: Int, values: [Double])]
    var hoursPerBucket: Int
    /// How a value is shown in a tooltip (`12`, `3.5 s`).
    var valueText: (Double) -> String = { ChartScale.decimal($0, digits: 2) }
    /// Whole values only (counts): the axis has whole steps.
    var integral = true

    static let width = 960
    static let plotHeight = 220
    static let left = 72
    static let right = 16
    static let top = 16

    func render() -> String {
        let plotWidth = Self.width - Self.left - Self.right
        let largest = buckets.map { $0.values.reduce(0, +) }.max() ?? 0
        let scale = ChartScale(largest: largest, integral: integral)
        let legend = SVGLegend(series: series, width: Self.width - Self.left, left: Self.left,
                               top: Self.top + Self.plotHeight + 50)
        let height = Self.top + Self.plotHeight + 50 + legend.height + 8
        var svg = SVGDocument.open(width: Self.width, height: height, label: title)

        // Value axis: grid lines and tick labels.
        for tick in scale.ticks {
            let y = Double(Self.top) + Double(Self.plotHeight) * (1 - tick / scale.maximum)
            svg += "<line class=\"grid\" x1=\"\(Self.left)\" y1=\"\(SVGDocument.number(y))\" x2=\"\(Self.left + plotWidth)\" y2=\"\(SVGDocument.number(y))\"/>"
            svg += "<text class=\"tick\" x=\"\(Self.left - 6)\" y=\"\(SVGDocument.number(y + 4))\" text-anchor=\"end\">\(scale.label(tick))</text>"
        }
        let middle = Self.top + Self.plotHeight / 2
        svg += "<text class=\"axis-title\" x=\"14\" y=\"\(middle)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(middle))\">"
            + HTMLText.escaped(valueAxisTitle) + "</text>"

        // Bars.
        let slot = Double(plotWidth) / Double(max(buckets.count, 1))
        let barWidth = min(max(slot * 0.8, 1), 48)
        for (index, bucket) in buckets.enumerated() {
            let x = Double(Self.left) + slot * Double(index) + (slot - barWidth) / 2
            var base = Double(Self.top + Self.plotHeight)
            let when = bucketLabel(bucket.start, long: true)
            for (seriesIndex, value) in bucket.values.enumerated() where value > 0 {
                let height = Double(Self.plotHeight) * value / scale.maximum
                base -= height
                let name = series[seriesIndex].name
                svg += "<rect x=\"\(SVGDocument.number(x))\" y=\"\(SVGDocument.number(base))\" width=\"\(SVGDocument.number(barWidth))\""
                    + " height=\"\(SVGDocument.number(height))\" fill=\"\(series[seriesIndex].color)\">"
                    + "<title>\(HTMLText.escaped("\(when): \(name) \(valueText(value))"))</title></rect>"
            }
        }

        // Time axis: the baseline, about ten labelled buckets, the axis title.
        let baseline = Self.top + Self.plotHeight
        svg += "<line class=\"axis\" x1=\"\(Self.left)\" y1=\"\(baseline)\" x2=\"\(Self.left + plotWidth)\" y2=\"\(baseline)\"/>"
        svg += "<line class=\"axis\" x1=\"\(Self.left)\" y1=\"\(Self.top)\" x2=\"\(Self.left)\" y2=\"\(baseline)\"/>"
        let every = max(1, (buckets.count + 9) / 10)
        for index in stride(from: 0, to: buckets.count, by: every) {
            let x = Double(Self.left) + slot * (Double(index) + 0.5)
            svg += "<line class=\"axis\" x1=\"\(SVGDocument.number(x))\" y1=\"\(baseline)\" x2=\"\(SVGDocument.number(x))\" y2=\"\(baseline + 4)\"/>"
            svg += "<text class=\"tick\" x=\"\(SVGDocument.number(x))\" y=\"\(baseline + 17)\" text-anchor=\"middle\">"
                + HTMLText.escaped(bucketLabel(buckets[index].start, long: false)) + "</text>"
        }
        let unit = hoursPerBucket == 1 ? "hour" : hoursPerBucket % 24 == 0
            ? (hoursPerBucket == 24 ? "day" : "\(hoursPerBucket / 24) days") : "\(hoursPerBucket) hours"
        svg += "<text class=\"axis-title\" x=\"\(Self.left + plotWidth / 2)\" y=\"\(baseline + 36)\" text-anchor=\"middle\">"
            + "time (UTC), one bar per \(unit)</text>"
        svg += legend.render()
        return svg + "</svg>"
    }

    /// `11-30 08:00` on the axis, `2026-11-30 08:00` in a tooltip; days without the hour.
    private func bucketLabel(_ hour: Int, long: Bool) -> String {
        let key = ReportTime.hourKey(ofHourNumber: hour)    // 2026-11-30T08
        let date = long ? String(key.prefix(10)) : String(key.dropFirst(5).prefix(5))
        return hoursPerBucket % 24 == 0 ? date : date + " " + key.suffix(2) + ":00"
    }
}
