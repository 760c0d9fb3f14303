import Foundation

/// A small self-contained SVG line chart: lines (solid or dashed) over numeric axes with tick
/// labels, axis titles and a legend. No scripts, fonts or external references.
struct SVGLinePlot {
    /// One line of the chart.
    struct Series {
        var name: String
        /// (x, y) points, drawn in the given order.
        var points: [(x: Double, y: Double)]
        /// A CSS colour such as `#1f77b4`.
        var color: String
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var width = 640.0
    var height = 400.0

    /// Colours for successive groups of lines.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    private let left = 64.0, right = 180.0, top = 36.0, bottom = 52.0

    /// The smallest and largest value of the points, widened when they are equal.
    private static func range(_ values: [Double]) -> (low: Double, high: Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        return low == high ? (low - 1, high + 1) : (low, high)
    }

    /// Escapes text for an XML element or attribute.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Tick values: `count` + 1 evenly spaced from `low` to `high`, or every integer for a short integer range.
    private static func ticks(_ low: Double, _ high: Double, integers: Bool, count: Int = 5) -> [Double] {
        if integers, high - low <= 12 { return stride(from: low.rounded(.up), through: high, by: 1).map { $0 } }
        return (0...count).map { low + (high - low) * Double($0) / Double(count) }
    }

    /// The SVG document.
    var svg: String {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let (x0, x1) = Self.range(xs)
        var (y0, y1) = Self.range(ys)
        let pad = (y1 - y0) * 0.05
        (y0, y1) = (y0 - pad, y1 + pad)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
        let f = Self.format
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Self.escaped(title))</text>\n"
        // Axes, ticks and grid lines.
        out += "<g stroke=\"black\"><line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(left + plotWidth))\" "
            + "y2=\"\(f(top + plotHeight))\"/><line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" "
            + "y2=\"\(f(top + plotHeight))\"/></g>\n"
        let integerX = xs.allSatisfy { $0 == $0.rounded() }
        for tick in Self.ticks(x0, x1, integers: integerX) {
            let label = integerX ? String(Int(tick)) : String(format: "%.3g", tick)
            out += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(label)</text>\n"
        }
        for tick in Self.ticks(y0, y1, integers: false) {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(tick)))\" "
                + "stroke=\"#dddddd\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(String(format: "%.1f", tick))</text>\n"
        }
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(Self.escaped(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(Self.escaped(yLabel))</text>\n"
        // The lines, their points, and the legend.
        for (index, line) in series.enumerated() {
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let points = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
            for point in line.points {
                out += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3\" fill=\"\(line.color)\"/>\n"
            }
            let y = top + 8 + Double(index) * 18, x = left + plotWidth + 14
            out += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 24))\" y2=\"\(f(y))\" stroke=\"\(line.color)\" "
                + "stroke-width=\"2\"\(dash)/>\n"
            out += "<text x=\"\(f(x + 30))\" y=\"\(f(y + 4))\">\(Self.escaped(line.name))</text>\n"
        }
        return out + "</svg>\n"
    }
}
