import Foundation

/// A reliability diagram (Guo et al., "On Calibration of Modern Neural Networks", 2017): the
/// predictions grouped into equal-width confidence bins, each bin's accuracy as a bar against the
/// diagonal of perfect calibration, the gap between the bar and the bin's mean confidence shaded,
/// the number of predictions above each bar, and the expected calibration error in the title.
public struct SVGReliabilityDiagram {
    public var title: String
    /// Predictions per bin; bin `b` of `B` holds confidences in (b/B, (b+1)/B].
    public var counts: [Int]
    /// Accuracy per bin (0…1); nil for an empty bin.
    public var accuracy: [Double?]
    /// Mean confidence per bin (0…1); nil for an empty bin.
    public var meanConfidence: [Double?]
    public var expectedCalibrationError: Double
    public var width = 580.0
    public var height = 440.0

    public init(title: String, counts: [Int], accuracy: [Double?], meanConfidence: [Double?], expectedCalibrationError: Double) {
        (self.title, self.counts, self.accuracy, self.meanConfidence) = (title, counts, accuracy, meanConfidence)
        self.expectedCalibrationError = expectedCalibrationError
    }

    /// The title line: the title and the ECE.
    public var heading: String {
        expectedCalibrationError.isFinite ? title + String(format: " (ECE %.4f)", expectedCalibrationError) : title
    }

    /// Confidence (0…1) across, accuracy (0…1) up; the right margin holds the legend.
    public var axes: SVGAxes {
        var axes = SVGAxes(title: heading, xLabel: "confidence (top softmax probability)", yLabel: "accuracy", x: 0...1, y: 0...1,
                           width: width, height: height)
        axes.right = 170
        return axes
    }

    /// The data range of bin `bin`'s bar across.
    public func binRange(_ bin: Int) -> ClosedRange<Double> {
        let bins = Double(max(counts.count, 1))
        return Double(bin) / bins...Double(bin + 1) / bins
    }

    /// The SVG document.
    public var svg: String {
        let axes = axes
        let f = SVG.number
        var out = axes.open
        for bin in counts.indices where counts[bin] > 0 {
            guard let correct = value(accuracy, bin), let confidence = value(meanConfidence, bin) else { continue }
            let span = binRange(bin), x = axes.px(span.lowerBound), barWidth = axes.px(span.upperBound) - x
            out += "<rect class=\"bar\" x=\"\(f(x))\" y=\"\(f(axes.py(correct)))\" width=\"\(f(barWidth))\" "
                + "height=\"\(f(axes.py(0) - axes.py(correct)))\" fill=\"#1f77b4\" stroke=\"white\" stroke-width=\"1\"/>\n"
            let (low, high) = (min(correct, confidence), max(correct, confidence))
            out += "<rect class=\"gap\" x=\"\(f(x))\" y=\"\(f(axes.py(high)))\" width=\"\(f(barWidth))\" "
                + "height=\"\(f(axes.py(low) - axes.py(high)))\" fill=\"#d62728\" fill-opacity=\"0.35\" stroke=\"#d62728\" "
                + "stroke-width=\"0.5\"/>\n"
            out += "<text class=\"count\" x=\"\(f(x + barWidth / 2))\" y=\"\(f(axes.py(high) - 3))\" text-anchor=\"middle\" "
                + "font-size=\"8\" fill=\"#444\">\(counts[bin])</text>\n"
        }
        out += "<line class=\"diagonal\" x1=\"\(f(axes.px(0)))\" y1=\"\(f(axes.py(0)))\" x2=\"\(f(axes.px(1)))\" y2=\"\(f(axes.py(1)))\" "
            + "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n"
        out += swatch(axes, row: 0, name: "accuracy", fill: "#1f77b4", opacity: 1)
        out += swatch(axes, row: 1, name: "gap to confidence", fill: "#d62728", opacity: 0.35)
        out += axes.legendEntry(row: 2, name: "perfect calibration", color: "#555", dashed: true)
        let total = counts.reduce(0, +)
        out += "<text x=\"\(f(axes.left + axes.plotWidth + 14))\" y=\"\(f(axes.top + 8 + 3 * 18 + 4))\" font-size=\"11\" fill=\"#444\">"
            + "\(total) predictions</text>\n"
        return out + SVGAxes.close
    }

    /// A finite entry of `values` at `bin`, or nil.
    private func value(_ values: [Double?], _ bin: Int) -> Double? {
        guard values.indices.contains(bin), let value = values[bin], value.isFinite else { return nil }
        return value
    }

    /// A legend row with a filled square sample.
    private func swatch(_ axes: SVGAxes, row: Int, name: String, fill: String, opacity: Double) -> String {
        let f = SVG.number
        let y = axes.top + 8 + Double(row) * 18, x = axes.left + axes.plotWidth + 14
        return "<rect x=\"\(f(x + 6))\" y=\"\(f(y - 6))\" width=\"12\" height=\"12\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\"/>\n"
            + "<text x=\"\(f(x + 30))\" y=\"\(f(y + 4))\">\(SVG.escaped(name))</text>\n"
    }
}
