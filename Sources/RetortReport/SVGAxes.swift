import Foundation

/// The frame of a chart: a canvas with a title, a plot area with axes, ticks, grid lines and axis
/// titles, and the mapping from data coordinates to pixels. Charts draw their marks between
/// ``open`` and ``close``.
public struct SVGAxes {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The data ranges the plot area shows.
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    public var width: Double
    public var height: Double
    /// Space around the plot area: the right margin holds a legend when there is one.
    public var left = 64.0, right = 24.0, top = 36.0, bottom = 52.0
    /// Ticks at every integer on x (epochs) when the range is short.
    public var integerXTicks = false
    /// Tick label format on y (`%.1f`; `%.3g` for small values).
    public var yTickFormat = "%.1f"
    /// Numeric ticks, their labels and grid lines; off for charts that label categories themselves.
    public var showsTicks = true

    public init(title: String, xLabel: String, yLabel: String, x: ClosedRange<Double>, y: ClosedRange<Double>,
                width: Double = 640, height: Double = 400) {
        (self.title, self.xLabel, self.yLabel, self.x, self.y, self.width, self.height) = (title, xLabel, yLabel, x, y, width, height)
    }

    public var plotWidth: Double { width - left - right }
    public var plotHeight: Double { height - top - bottom }

    /// The pixel column of data value `value` on x.
    public func px(_ value: Double) -> Double {
        left + (value - x.lowerBound) / max(x.upperBound - x.lowerBound, .leastNormalMagnitude) * plotWidth
    }

    /// The pixel row of data value `value` on y (larger values higher up).
    public func py(_ value: Double) -> Double {
        top + (1 - (value - y.lowerBound) / max(y.upperBound - y.lowerBound, .leastNormalMagnitude)) * plotHeight
    }

    /// Tick values: `count` + 1 evenly spaced over `range`, or every integer of a short integer range.
    public static func ticks(_ range: ClosedRange<Double>, integers: Bool, count: Int = 5) -> [Double] {
        if integers, range.upperBound - range.lowerBound <= 12 {
            return stride(from: range.lowerBound.rounded(.up), through: range.upperBound, by: 1).map { $0 }
        }
        return (0...count).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count) }
    }

    /// The `<svg>` start tag, a white background and the title centred at the top: the start of
    /// every chart, with axes or without (a diagram).
    public static func canvas(width: Double, height: Double, title: String) -> String {
        let f = SVG.number
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
            + "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(SVG.escaped(title))</text>\n"
    }

    /// The `<svg>` start tag, background, title, axes with ticks and grid lines, and axis titles.
    public var open: String {
        let f = SVG.number
        var out = Self.canvas(width: width, height: height, title: title)
        let bottomEdge = top + plotHeight
        out += "<g stroke=\"black\"><line x1=\"\(f(left))\" y1=\"\(f(bottomEdge))\" x2=\"\(f(left + plotWidth))\" "
            + "y2=\"\(f(bottomEdge))\"/><line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottomEdge))\"/></g>\n"
        for tick in showsTicks ? Self.ticks(x, integers: integerXTicks) : [] {
            let label = integerXTicks ? String(Int(tick)) : String(format: "%.3g", tick)
            out += "<text x=\"\(f(px(tick)))\" y=\"\(f(bottomEdge + 16))\" text-anchor=\"middle\">\(label)</text>\n"
        }
        for tick in showsTicks ? Self.ticks(y, integers: false) : [] {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(tick)))\" stroke=\"#dddddd\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(String(format: yTickFormat, tick))</text>\n"
        }
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(SVG.escaped(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(SVG.escaped(yLabel))</text>\n"
        return out
    }

    /// A legend entry at row `row` of the right margin: a line sample (dashed or not) and its name.
    public func legendEntry(row: Int, name: String, color: String, dashed: Bool) -> String {
        let f = SVG.number
        let y = top + 8 + Double(row) * 18, x = left + plotWidth + 14
        let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
        return "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 24))\" y2=\"\(f(y))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            + "<text x=\"\(f(x + 30))\" y=\"\(f(y + 4))\">\(SVG.escaped(name))</text>\n"
    }

    /// A legend entry at row `row` of the right margin, `offset` pixels right of the plot area: a
    /// filled square (bars, strips) and its name.
    public func legendSwatch(row: Int, name: String, color: String, offset: Double = 14) -> String {
        let f = SVG.number
        let y = top + 8 + Double(row) * 18, x = left + plotWidth + offset
        return "<rect x=\"\(f(x))\" y=\"\(f(y - 5))\" width=\"14\" height=\"10\" fill=\"\(color)\"/>\n"
            + "<text x=\"\(f(x + 20))\" y=\"\(f(y + 4))\">\(SVG.escaped(name))</text>\n"
    }

    public static let close = "</svg>\n"
}
