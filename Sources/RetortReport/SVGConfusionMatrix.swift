import Foundation

/// A confusion matrix as a heat map: one row per true class, one column per predicted class, each
/// cell shaded by the fraction of its row (the class's samples) it holds and labelled with its
/// count; class names along both edges, and the per-class accuracy as a column beside the matrix.
public struct SVGConfusionMatrix {
    public var title: String
    /// Class names, one per row and column.
    public var labels: [String]
    /// `counts[label][predicted]`.
    public var counts: [[Int]]
    /// The accuracy (recall) of each class, 0…1; nil for a class without samples.
    public var perClassAccuracy: [Double?]

    public init(title: String, labels: [String], counts: [[Int]], perClassAccuracy: [Double?]) {
        (self.title, self.labels, self.counts, self.perClassAccuracy) = (title, labels, counts, perClassAccuracy)
    }

    /// The number of classes.
    public var classes: Int { counts.count }

    /// Pixels per cell: 44 for up to 10 classes, smaller for more, down to 6.
    public var cellSize: Double { max(6, min(44, 560 / Double(max(classes, 1)))) }

    /// The width of the accuracy column beside the matrix.
    static let accuracyWidth = 64.0

    /// Columns (predicted class) across from 0 to `classes`, rows (true class) down: row `i` spans
    /// `classes − i − 1 … classes − i` on y, so the first class is the top row.
    public var axes: SVGAxes {
        let side = cellSize * Double(classes), longest = Double(labels.map(\.count).max() ?? 1)
        let labelRoom = cellSize >= 12 ? min(130, 12 + 6.5 * longest) : 12
        var axes = SVGAxes(title: title, xLabel: "predicted class", yLabel: "true class", x: 0...Double(max(classes, 1)),
                           y: 0...Double(max(classes, 1)), width: 0, height: 0)
        (axes.left, axes.top, axes.right, axes.bottom) = (labelRoom + 28, 44, Self.accuracyWidth + 28, labelRoom * 0.75 + 36)
        (axes.width, axes.height) = (axes.left + side + axes.right, axes.top + side + axes.bottom)
        axes.width = max(axes.width, 320)
        axes.right = axes.width - axes.left - side
        axes.showsTicks = false
        return axes
    }

    /// The fraction of row `label`'s samples predicted as `predicted` (0 for an empty row).
    public func fraction(_ label: Int, _ predicted: Int) -> Double {
        let total = counts[label].reduce(0, +)
        return total > 0 ? Double(counts[label][predicted]) / Double(total) : 0
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number, size = cellSize
        var out = axes.open
        for label in 0..<classes {
            let top = axes.py(Double(classes - label))
            for predicted in 0..<min(classes, counts[label].count) {
                let share = fraction(label, predicted), x = axes.px(Double(predicted))
                out += "<rect class=\"cell\" x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(size))\" height=\"\(f(size))\" "
                    + "fill=\"\(Self.shade(share))\" stroke=\"white\" stroke-width=\"1\"/>\n"
                if size >= 24 {
                    out += "<text class=\"count\" x=\"\(f(x + size / 2))\" y=\"\(f(top + size / 2 + 4))\" text-anchor=\"middle\" "
                        + "font-size=\"10\" fill=\"\(share > 0.5 ? "white" : "#222")\">\(counts[label][predicted])</text>\n"
                }
            }
            let accuracy = perClassAccuracy.indices.contains(label) ? perClassAccuracy[label].flatMap { $0.isFinite ? $0 : nil } : nil
            let column = axes.px(Double(classes)) + 12
            out += "<rect class=\"accuracy\" x=\"\(f(column))\" y=\"\(f(top))\" width=\"\(f(Self.accuracyWidth))\" height=\"\(f(size))\" "
                + "fill=\"\(Self.shade(accuracy ?? 0, to: (44, 160, 44)))\" stroke=\"white\" stroke-width=\"1\"/>\n"
            if size >= 12 {
                let text = accuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
                out += "<text class=\"accuracy-value\" x=\"\(f(column + Self.accuracyWidth / 2))\" y=\"\(f(top + size / 2 + 4))\" "
                    + "text-anchor=\"middle\" font-size=\"10\" fill=\"\((accuracy ?? 0) > 0.5 ? "white" : "#222")\">\(text)</text>\n"
                out += "<text class=\"row-label\" x=\"\(f(axes.left - 6))\" y=\"\(f(top + size / 2 + 4))\" text-anchor=\"end\" "
                    + "font-size=\"11\">\(SVG.escaped(name(label)))</text>\n"
                let columnX = axes.px(Double(label)) + size / 2, bottom = axes.py(0) + 8
                out += "<text class=\"column-label\" transform=\"translate(\(f(columnX)) \(f(bottom))) rotate(-45)\" text-anchor=\"end\" "
                    + "font-size=\"11\">\(SVG.escaped(name(label)))</text>\n"
            }
        }
        out += "<text x=\"\(f(axes.px(Double(classes)) + 12 + Self.accuracyWidth / 2))\" y=\"\(f(axes.top - 6))\" text-anchor=\"middle\" "
            + "font-size=\"11\">accuracy</text>\n"
        return out + SVGAxes.close
    }

    /// The name of class `index`: its label, or its number when no label is given.
    func name(_ index: Int) -> String { labels.indices.contains(index) ? labels[index] : String(index) }

    /// A colour from white (0) to `rgb` (1).
    static func shade(_ value: Double, to rgb: (Double, Double, Double) = (31, 119, 180)) -> String {
        let t = min(1, max(0, value.isFinite ? value : 0))
        let channel = { (full: Double) in Int((255 - t * (255 - full)).rounded()) }
        return String(format: "#%02x%02x%02x", channel(rgb.0), channel(rgb.1), channel(rgb.2))
    }
}
