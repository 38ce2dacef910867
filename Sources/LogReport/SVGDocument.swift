/// What every inline SVG chart of the report shares: its opening tag and number formatting.
enum SVGDocument {
    /// `<svg ...>` with the namespace (so the chart is a standalone XML document too), a fixed
    /// view box that scales with the page, and an accessible name.
    static func open(width: Int, height: Int, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(width)\" height=\"\(height)\""
            + " viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTMLText.escaped(label))\">"
    }

    /// A coordinate with one decimal at most (`12`, `12.5`).
    static func number(_ value: Double) -> String {
        ChartScale.decimal(value, digits: 1)
    }
}
