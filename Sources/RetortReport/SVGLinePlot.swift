import Foundation

/// A small self-contained SVG line chart: lines (solid or dashed) over numeric axes with tick
/// labels, axis titles, horizontal reference lines and a legend. No scripts, fonts or external references.
public struct SVGLinePlot {
    /// One line of the chart.
    public struct Series {
        public var name: String
        /// (x, y) points, drawn in the given order; non-finite points are left out.
        public var points: [(x: Double, y: Double)]
        /// A CSS colour such as `#1f77b4`.
        public var color: String
        public var dashed: Bool

        public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false) {
            (self.name, self.points, self.color, self.dashed) = (name, points, color, dashed)
        }
    }

    /// A horizontal line across the plot at `y` (a teacher's accuracy), named in the legend.
    public struct ReferenceLine {
        public var name: String
        public var y: Double
        public var color: String

        public init(name: String, y: Double, color: String) { (self.name, self.y, self.color) = (name, y, color) }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var references: [ReferenceLine] = []
    public var width = 640.0
    public var height = 400.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series], references: [ReferenceLine] = [],
                width: Double = 640, height: Double = 400) {
        (self.title, self.xLabel, self.yLabel, self.series, self.references) = (title, xLabel, yLabel, series, references)
        (self.width, self.height) = (width, height)
    }

    /// The axes: x over every point, y over every point and reference line with 5% room.
    public var axes: SVGAxes {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = points.map(\.x), ys = points.map(\.y) + references.map(\.y).filter(\.isFinite)
        let yRange = SVG.range(ys), pad = (yRange.upperBound - yRange.lowerBound) * 0.05
        var axes = SVGAxes(title: title, xLabel: xLabel, yLabel: yLabel, x: SVG.range(xs),
                           y: (yRange.lowerBound - pad)...(yRange.upperBound + pad), width: width, height: height)
        axes.right = 180
        axes.integerXTicks = xs.allSatisfy { $0 == $0.rounded() }
        if yRange.upperBound - yRange.lowerBound < 0.5 { axes.yTickFormat = "%.3g" }
        return axes
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number
        var out = axes.open
        for (index, line) in references.enumerated() {
            out += "<line x1=\"\(f(axes.left))\" y1=\"\(f(axes.py(line.y)))\" x2=\"\(f(axes.left + axes.plotWidth))\" "
                + "y2=\"\(f(axes.py(line.y)))\" stroke=\"\(line.color)\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n"
            out += axes.legendEntry(row: series.count + index, name: line.name, color: line.color, dashed: true)
        }
        for (index, line) in series.enumerated() {
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let finite = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let points = finite.map { "\(f(axes.px($0.x))),\(f(axes.py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
            if finite.count <= 60 {
                for point in finite {
                    out += "<circle cx=\"\(f(axes.px(point.x)))\" cy=\"\(f(axes.py(point.y)))\" r=\"3\" fill=\"\(line.color)\"/>\n"
                }
            }
            out += axes.legendEntry(row: index, name: line.name, color: line.color, dashed: line.dashed)
        }
        return out + SVGAxes.close
    }
}
