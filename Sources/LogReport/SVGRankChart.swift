/// A ranking as inline SVG: one horizontal bar per row (a client, a recipient, a DNSBL zone),
/// largest first, stacked from its series when there are several; labels at the left, a value
/// axis with round ticks below, and a legend when there is more than one series.
///
/// Labels come from the log and are attacker-controlled: escaped, and cut to fit the label
/// column (the full text is in the bar's `<title>`).
struct SVGRankChart {
    var title: String
    var valueAxisTitle: String
    var series: [ChartSeries]
    var rows: [(label: String, values: [Double])]
    /// A mark after a row's total (`~` for an approximate count), or nothing.
    var totalText: (Int) -> String = { _ in "" }

    static let width = 960
    static let labelWidth = 300
    static let rowHeight = 22
    static let top = 8
    static let labelCharacters = 42

    func render() -> String {
        let left = Self.labelWidth + 8
        let plotWidth = Self.width - left - 70
        let plotHeight = rows.count * Self.rowHeight
        let largest = rows.map { $0.values.reduce(0, +) }.max() ?? 0
        let scale = ChartScale(largest: largest, integral: true)
        let baseline = Self.top + plotHeight
        let legend = SVGLegend(series: series.count > 1 ? series : [], width: Self.width - left, left: left, top: baseline + 46)
        let height = baseline + 46 + legend.height + 4
        var svg = SVGDocument.open(width: Self.width, height: height, label: title)

        for tick in scale.ticks {
            let x = Double(left) + Double(plotWidth) * tick / scale.maximum
            svg += "<line class=\"grid\" x1=\"\(SVGDocument.number(x))\" y1=\"\(Self.top)\" x2=\"\(SVGDocument.number(x))\" y2=\"\(baseline)\"/>"
            svg += "<text class=\"tick\" x=\"\(SVGDocument.number(x))\" y=\"\(baseline + 16)\" text-anchor=\"middle\">\(scale.label(tick))</text>"
        }
        for (index, row) in rows.enumerated() {
            let y = Self.top + index * Self.rowHeight
            let full = HTMLText.escaped(row.label)
            svg += "<text class=\"label\" x=\"\(left - 8)\" y=\"\(y + 15)\" text-anchor=\"end\"><title>\(full)</title>"
                + HTMLText.escaped(HTMLText.shortened(row.label, to: Self.labelCharacters)) + "</text>"
            var x = Double(left)
            for (seriesIndex, value) in row.values.enumerated() where value > 0 {
                let width = Double(plotWidth) * value / scale.maximum
                svg += "<rect x=\"\(SVGDocument.number(x))\" y=\"\(y + 3)\" width=\"\(SVGDocument.number(width))\" height=\"\(Self.rowHeight - 6)\""
                    + " fill=\"\(series[seriesIndex].color)\"><title>"
                    + HTMLText.escaped("\(row.label): \(series[seriesIndex].name) \(ChartScale.decimal(value, digits: 2))")
                    + "</title></rect>"
                x += width
            }
            let total = Int(row.values.reduce(0, +))
            svg += "<text class=\"value\" x=\"\(SVGDocument.number(x + 5))\" y=\"\(y + 15)\">\(HTMLText.escaped(totalText(index)))\(total)</text>"
        }
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(Self.top)\" x2=\"\(left)\" y2=\"\(baseline)\"/>"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(baseline)\" x2=\"\(left + plotWidth)\" y2=\"\(baseline)\"/>"
        svg += "<text class=\"axis-title\" x=\"\(left + plotWidth / 2)\" y=\"\(baseline + 34)\" text-anchor=\"middle\">"
            + HTMLText.escaped(valueAxisTitle) + "</text>"
        svg += legend.render()
        return svg + "</svg>"
    }
}
