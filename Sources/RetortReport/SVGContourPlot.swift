import Foundation

/// A self-contained SVG picture of a function of two variables sampled on a grid: each sample a
/// cell coloured by its value (viridis, lowest dark, highest yellow; a colour bar at the right) and
/// iso-lines at ``levels`` traced by marching squares with linear interpolation along the cell
/// edges. Non-finite samples are grey and no line crosses a cell touching one.
public struct SVGContourPlot {
    /// A piece of an iso-line, in data coordinates.
    public struct Segment: Equatable {
        public var from: (x: Double, y: Double)
        public var to: (x: Double, y: Double)

        public init(from: (x: Double, y: Double), to: (x: Double, y: Double)) { (self.from, self.to) = (from, to) }

        public static func == (a: Segment, b: Segment) -> Bool { a.from == b.from && a.to == b.to }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The grid's coordinates, increasing.
    public var xs: [Double]
    public var ys: [Double]
    /// `values[j][i]` is the sample at (`xs[i]`, `ys[j]`).
    public var values: [[Double]]
    /// Iso-line levels; nil: 8 levels evenly spaced strictly between the lowest and highest value.
    public var levels: [Double]?
    /// A point to mark with a black cross and its name (the trained weights at the origin).
    public var mark: (name: String, x: Double, y: Double)?
    /// Colours and default levels spaced by the logarithm of the value (a loss that grows by orders
    /// of magnitude away from a minimum); applies when every finite value is positive.
    public var logarithmic = false
    public var width = 560.0
    public var height = 480.0

    public init(title: String, xLabel: String, yLabel: String, xs: [Double], ys: [Double], values: [[Double]],
                levels: [Double]? = nil, mark: (name: String, x: Double, y: Double)? = nil, logarithmic: Bool = false,
                width: Double = 560, height: Double = 480) {
        (self.title, self.xLabel, self.yLabel, self.xs, self.ys, self.values) = (title, xLabel, yLabel, xs, ys, values)
        (self.levels, self.mark, self.logarithmic, self.width, self.height) = (levels, mark, logarithmic, width, height)
    }

    /// The lowest and highest finite value.
    public var valueRange: ClosedRange<Double> { SVG.range(values.joined().map { $0 }) }

    /// Whether colours and levels follow the logarithm: ``logarithmic`` and every finite value positive.
    public var isLogarithmic: Bool { logarithmic && valueRange.lowerBound > 0 }

    /// Where `value` lies between the lowest (0) and highest (1) value, on the drawn scale.
    public func fraction(of value: Double) -> Double {
        let range = valueRange
        let (low, high, v) = isLogarithmic ? (log(range.lowerBound), log(range.upperBound), log(value))
            : (range.lowerBound, range.upperBound, value)
        return (v - low) / max(high - low, .leastNormalMagnitude)
    }

    /// The levels drawn: ``levels``, or 8 evenly spaced inside ``valueRange`` on the drawn scale.
    public var drawnLevels: [Double] {
        if let levels { return levels }
        let range = valueRange
        if isLogarithmic {
            let (low, high) = (log(range.lowerBound), log(range.upperBound))
            return (1...8).map { exp(low + (high - low) * Double($0) / 9) }
        }
        return (1...8).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / 9 }
    }

    /// The frame: the grid's extent; the colour bar in the right margin.
    public var axes: SVGAxes {
        var axes = SVGAxes(title: title, xLabel: xLabel, yLabel: yLabel, x: SVG.range(xs), y: SVG.range(ys), width: width, height: height)
        axes.right = 96
        axes.yTickFormat = "%.3g"
        return axes
    }

    /// The colour of `value` on the viridis scale over ``valueRange``; grey when not finite.
    public func color(of value: Double) -> String {
        value.isFinite ? Self.viridis(fraction(of: value)) : "#bbbbbb"
    }

    /// Viridis at `fraction` ∈ [0, 1] (clamped), interpolated between five of its colours.
    public static func viridis(_ fraction: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let t = min(max(fraction.isFinite ? fraction : 0, 0), 1) * Double(stops.count - 1)
        let low = min(Int(t), stops.count - 2), w = t - Double(low)
        let (a, b) = (stops[low], stops[low + 1])
        let channel = { (x: Double, y: Double) in Int((x + (y - x) * w).rounded()) }
        return String(format: "#%02x%02x%02x", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }

    /// The iso-line of `level` through the grid, by marching squares: in each cell, the points where
    /// the level crosses an edge (linear interpolation between the edge's corners), joined in pairs;
    /// a saddle (all four edges crossed) is resolved by the mean of the four corners.
    public func segments(at level: Double) -> [Segment] {
        guard xs.count > 1, ys.count > 1, values.count == ys.count, values.allSatisfy({ $0.count == xs.count }) else { return [] }
        var result: [Segment] = []
        for j in 0..<(ys.count - 1) {
            for i in 0..<(xs.count - 1) {
                // Corners counter-clockwise from the lower left; edges bottom, right, top, left.
                let corners = [(xs[i], ys[j], values[j][i]), (xs[i + 1], ys[j], values[j][i + 1]),
                               (xs[i + 1], ys[j + 1], values[j + 1][i + 1]), (xs[i], ys[j + 1], values[j + 1][i])]
                guard corners.allSatisfy({ $0.2.isFinite }) else { continue }
                let crossings: [(x: Double, y: Double)?] = (0..<4).map { edge in
                    let (a, b) = (corners[edge], corners[(edge + 1) % 4])
                    guard (a.2 >= level) != (b.2 >= level) else { return nil }
                    let t = (level - a.2) / (b.2 - a.2)
                    return (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
                }
                let crossed = crossings.compactMap { $0 }
                if crossed.count == 2 {
                    result.append(Segment(from: crossed[0], to: crossed[1]))
                } else if crossed.count == 4 {
                    let centreAbove = corners.map(\.2).reduce(0, +) / 4 >= level
                    // Corners 0 and 2 are on one side; the centre joins them or cuts them off.
                    let pairs = centreAbove == (corners[0].2 >= level) ? [(0, 1), (2, 3)] : [(3, 0), (1, 2)]
                    for (a, b) in pairs { result.append(Segment(from: crossings[a]!, to: crossings[b]!)) }
                }
            }
        }
        return result
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number
        var out = axes.open
        // Each sample fills the rectangle between the midpoints to its neighbours.
        func edges(_ grid: [Double], _ index: Int) -> (Double, Double) {
            (index == 0 ? grid[0] : (grid[index - 1] + grid[index]) / 2,
             index == grid.count - 1 ? grid[index] : (grid[index] + grid[index + 1]) / 2)
        }
        out += "<g shape-rendering=\"crispEdges\">\n"
        for (j, row) in values.enumerated() where j < ys.count {
            let (bottom, top) = edges(ys, j)
            for (i, value) in row.enumerated() where i < xs.count {
                let (left, right) = edges(xs, i)
                out += "<rect x=\"\(f(axes.px(left)))\" y=\"\(f(axes.py(top)))\" width=\"\(f(axes.px(right) - axes.px(left)))\" "
                    + "height=\"\(f(axes.py(bottom) - axes.py(top)))\" fill=\"\(color(of: value))\"/>\n"
            }
        }
        out += "</g>\n<g stroke=\"white\" stroke-width=\"1\" fill=\"none\">\n"
        for level in drawnLevels {
            for segment in segments(at: level) {
                out += "<line x1=\"\(f(axes.px(segment.from.x)))\" y1=\"\(f(axes.py(segment.from.y)))\" "
                    + "x2=\"\(f(axes.px(segment.to.x)))\" y2=\"\(f(axes.py(segment.to.y)))\"/>\n"
            }
        }
        out += "</g>\n"
        if let mark {
            out += "<path d=\"M\(f(axes.px(mark.x) - 5)) \(f(axes.py(mark.y) - 5))L\(f(axes.px(mark.x) + 5)) \(f(axes.py(mark.y) + 5))"
                + "M\(f(axes.px(mark.x) - 5)) \(f(axes.py(mark.y) + 5))L\(f(axes.px(mark.x) + 5)) \(f(axes.py(mark.y) - 5))\" "
                + "stroke=\"black\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(f(axes.px(mark.x) + 8))\" y=\"\(f(axes.py(mark.y) - 8))\">\(SVG.escaped(mark.name))</text>\n"
        }
        return out + colorBar(axes) + SVGAxes.close
    }

    /// A vertical bar of 24 steps from the lowest value (bottom) to the highest, with both labelled
    /// (and "log scale" under it when the colours follow the logarithm).
    func colorBar(_ axes: SVGAxes) -> String {
        let f = SVG.number, steps = 24
        let x = axes.left + axes.plotWidth + 16, step = axes.plotHeight / Double(steps)
        var out = ""
        for index in 0..<steps {
            let y = axes.top + axes.plotHeight - Double(index + 1) * step
            out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"14\" height=\"\(f(step + 0.5))\" "
                + "fill=\"\(Self.viridis((Double(index) + 0.5) / Double(steps)))\"/>\n"
        }
        let range = valueRange
        out += "<text x=\"\(f(x + 18))\" y=\"\(f(axes.top + 10))\">\(String(format: "%.3g", range.upperBound))</text>\n"
        out += "<text x=\"\(f(x + 18))\" y=\"\(f(axes.top + axes.plotHeight))\">\(String(format: "%.3g", range.lowerBound))</text>\n"
        if isLogarithmic { out += "<text x=\"\(f(x - 4))\" y=\"\(f(axes.top + axes.plotHeight + 18))\">log scale</text>\n" }
        return out
    }
}
