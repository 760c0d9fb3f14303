import Foundation

/// A horizontal bar chart: one row per label (a layer, a class), a bar per series in each row,
/// the values on the x axis and each bar's value written at its end. Rows run top to bottom in the
/// labels' order, so many rows (every layer of a network) stay readable; the canvas grows with them.
public struct SVGBarChart {
    /// One set of bars, a value per label.
    public struct Series {
        public var name: String
        /// One per label; a non-finite value draws no bar.
        public var values: [Double]
        /// A CSS colour such as `#1f77b4`.
        public var color: String

        public init(name: String, values: [Double], color: String) { (self.name, self.values, self.color) = (name, values, color) }
    }

    public var title: String
    /// The x axis title (what the values are).
    public var valueLabel: String
    /// The rows' names, top to bottom.
    public var labels: [String]
    public var series: [Series]
    /// The range the value axis shows at least (`0...100` for percentages); widened to every value.
    public var valueRange: ClosedRange<Double>?
    /// The format of the value written at each bar's end (`%.1f%%`).
    public var valueFormat: String
    public var width: Double
    /// The height of one row.
    public var rowHeight = 22.0

    public init(title: String, valueLabel: String, labels: [String], series: [Series], valueRange: ClosedRange<Double>? = nil,
                valueFormat: String = "%.3g", width: Double = 640) {
        (self.title, self.valueLabel, self.labels, self.series) = (title, valueLabel, labels, series)
        (self.valueRange, self.valueFormat, self.width) = (valueRange, valueFormat, width)
    }

    /// The axes: x from 0 (or the smallest value below it) over every value and ``valueRange``; y
    /// counts rows, row 0 at the top (`py(Double(labels.count) - row)` is its upper edge).
    public var axes: SVGAxes {
        let values = series.flatMap(\.values).filter(\.isFinite)
        let bounds = values + [0] + (valueRange.map { [$0.lowerBound, $0.upperBound] } ?? [])
        let x = SVG.range(bounds)
        let longest = labels.map(\.count).max() ?? 0
        var axes = SVGAxes(title: title, xLabel: valueLabel, yLabel: "", x: x, y: 0...Double(max(labels.count, 1)), width: width,
                           height: 0)
        axes.left = min(max(64, 12 + Double(longest) * 7), width / 2)
        axes.right = series.count > 1 ? 190 : 56
        axes.showsTicks = false
        axes.height = axes.top + axes.bottom + rowHeight * Double(max(labels.count, 1))
        return axes
    }

    /// The pixel rectangle of the bar of series `series` in row `row` (nil for a non-finite value):
    /// from the value 0 to the value, within the row's band.
    public func bar(series index: Int, row: Int) -> (x: Double, y: Double, width: Double, height: Double)? {
        let axes = axes
        guard series.indices.contains(index), row < series[index].values.count, series[index].values[row].isFinite else { return nil }
        let value = series[index].values[row]
        let zero = axes.px(0), end = axes.px(value)
        let band = rowHeight * 0.7, thickness = band / Double(series.count)
        let top = axes.py(Double(labels.count - row)) + (rowHeight - band) / 2 + thickness * Double(index)
        return (min(zero, end), top, abs(end - zero), thickness)
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number
        var out = axes.open
        for (row, label) in labels.enumerated() {
            let middle = axes.py(Double(labels.count - row) - 0.5)
            out += "<text x=\"\(f(axes.left - 6))\" y=\"\(f(middle + 4))\" text-anchor=\"end\">\(SVG.escaped(label))</text>\n"
        }
        for (index, bars) in series.enumerated() {
            for row in labels.indices {
                guard let bar = bar(series: index, row: row) else { continue }
                out += "<rect x=\"\(f(bar.x))\" y=\"\(f(bar.y))\" width=\"\(f(bar.width))\" height=\"\(f(bar.height))\" "
                    + "fill=\"\(bars.color)\"/>\n"
                let value = String(format: valueFormat, bars.values[row])
                out += "<text x=\"\(f(bar.x + bar.width + 4))\" y=\"\(f(bar.y + bar.height / 2 + 4))\" font-size=\"10\">"
                    + "\(SVG.escaped(value))</text>\n"
            }
            if series.count > 1 { out += axes.legendSwatch(row: index, name: bars.name, color: bars.color, offset: 44) }
        }
        return out + SVGAxes.close
    }
}
