/// The legend under a chart: a swatch and a name per series, four to a row.
struct SVGLegend {
    var series: [ChartSeries]
    var width: Int
    var left: Int
    var top: Int

    static let columns = 4
    static let rowHeight = 18

    var height: Int { (series.count + Self.columns - 1) / Self.columns * Self.rowHeight }

    func render() -> String {
        guard !series.isEmpty else { return "" }
        var svg = "<g class=\"legend\">"
        let column = width / Self.columns
        for (index, entry) in series.enumerated() {
            let x = left + index % Self.columns * column
            let y = top + index / Self.columns * Self.rowHeight
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(entry.color)\"/>"
            svg += "<text class=\"legend-text\" x=\"\(x + 17)\" y=\"\(y + 10)\">"
                + HTMLText.escaped(HTMLText.shortened(entry.name, to: 30)) + "</text>"
        }
        return svg + "</g>"
    }
}
