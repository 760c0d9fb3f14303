import Foundation

/// A self-contained SVG scatter chart: the points of several series, each with its colour and
/// marker, over numeric axes with a legend. Several panels that must be compared share their
/// ranges: give each the same ``x`` and ``y`` (``ranges(of:)``).
public struct SVGScatterPlot {
    /// How a series' points are drawn.
    public enum Marker: Sendable {
        /// A filled, half-transparent disc (many points stay readable where they overlap).
        case dot
        /// An open circle.
        case ring
        /// A diagonal cross.
        case cross
    }

    /// One group of points (one class).
    public struct Series {
        public var name: String
        /// (x, y) points; non-finite points are left out.
        public var points: [(x: Double, y: Double)]
        /// A CSS colour such as `#1f77b4`.
        public var color: String
        public var marker: Marker

        public init(name: String, points: [(x: Double, y: Double)], color: String, marker: Marker = .dot) {
            (self.name, self.points, self.color, self.marker) = (name, points, color, marker)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// The data ranges shown; nil: every finite point with 5% room (``ranges(of:)``).
    public var x: ClosedRange<Double>?
    public var y: ClosedRange<Double>?
    /// One data unit takes as many pixels on x as on y (distances in the picture are distances in
    /// the data): the range that would be drawn at the larger scale is widened about its centre.
    public var equalScale = false
    public var width = 520.0
    public var height = 480.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series], x: ClosedRange<Double>? = nil,
                y: ClosedRange<Double>? = nil, equalScale: Bool = false, width: Double = 520, height: Double = 480) {
        (self.title, self.xLabel, self.yLabel, self.series, self.x, self.y) = (title, xLabel, yLabel, series, x, y)
        (self.equalScale, self.width, self.height) = (equalScale, width, height)
    }

    /// The ranges holding every finite point of `series`, each widened by 5% on both sides.
    public static func ranges(of series: [Series]) -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        func padded(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
            let pad = (range.upperBound - range.lowerBound) * 0.05
            return (range.lowerBound - pad)...(range.upperBound + pad)
        }
        return (padded(SVG.range(points.map(\.x))), padded(SVG.range(points.map(\.y))))
    }

    /// The frame: the given ranges, or those of every point; the legend in the right margin.
    public var axes: SVGAxes {
        let fitted = Self.ranges(of: series)
        var axes = SVGAxes(title: title, xLabel: xLabel, yLabel: yLabel, x: x ?? fitted.x, y: y ?? fitted.y, width: width, height: height)
        (axes.left, axes.right) = (72, 130)
        axes.yTickFormat = "%g"
        if equalScale, abs(axes.plotWidth - axes.plotHeight) < 0.5 {
            // A square plot area keeps the scale with one tick step on both axes: round numbers.
            let step = max(Self.tickStep(covering: axes.x), Self.tickStep(covering: axes.y))
            (axes.x, axes.y) = (Self.ticked(axes.x, step: step), Self.ticked(axes.y, step: step))
        } else if equalScale {
            // Data units per pixel on each axis; the smaller one grows to the larger.
            let perPixel = max((axes.x.upperBound - axes.x.lowerBound) / axes.plotWidth,
                               (axes.y.upperBound - axes.y.lowerBound) / axes.plotHeight)
            func widened(_ range: ClosedRange<Double>, _ pixels: Double) -> ClosedRange<Double> {
                let centre = (range.lowerBound + range.upperBound) / 2, half = perPixel * pixels / 2
                return (centre - half)...(centre + half)
            }
            (axes.x, axes.y) = (widened(axes.x, axes.plotWidth), widened(axes.y, axes.plotHeight))
        }
        return axes
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        var out = axes.open
        for (index, group) in series.enumerated() {
            out += "<g>\n"
            for point in group.points where point.x.isFinite && point.y.isFinite {
                out += Self.mark(group.marker, x: axes.px(point.x), y: axes.py(point.y), color: group.color)
            }
            out += "</g>\n"
            let row = axes.top + 8 + Double(index) * 18, column = axes.left + axes.plotWidth + 14
            out += Self.mark(group.marker, x: column + 6, y: row, color: group.color)
            out += "<text x=\"\(SVG.number(column + 16))\" y=\"\(SVG.number(row + 4))\">\(SVG.escaped(group.name))</text>\n"
        }
        return out + SVGAxes.close
    }

    /// The smallest step of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten whose five multiples
    /// from a multiple at or below `range`'s start reach its end.
    static func tickStep(covering range: ClosedRange<Double>) -> Double {
        let span = max(range.upperBound - range.lowerBound, 1e-12)
        var exponent = floor(log10(span / 5)) - 1
        while true {
            for factor in [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8] {
                let step = factor * pow(10, exponent)
                if (range.lowerBound / step).rounded(.down) * step + 5 * step >= range.upperBound { return step }
            }
            exponent += 1
        }
    }

    /// Five steps from the multiple of `step` at or below `range`'s start.
    static func ticked(_ range: ClosedRange<Double>, step: Double) -> ClosedRange<Double> {
        let lower = (range.lowerBound / step).rounded(.down) * step
        return lower...(lower + 5 * step)
    }

    /// One marker centred on pixel (`x`, `y`).
    static func mark(_ marker: Marker, x: Double, y: Double, color: String) -> String {
        let f = SVG.number
        switch marker {
        case .dot:
            return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2.5\" fill=\"\(color)\" fill-opacity=\"0.45\"/>\n"
        case .ring:
            return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1\"/>\n"
        case .cross:
            return "<path d=\"M\(f(x - 3)) \(f(y - 3))L\(f(x + 3)) \(f(y + 3))M\(f(x - 3)) \(f(y + 3))L\(f(x + 3)) \(f(y - 3))\" "
                + "stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
        }
    }
}
