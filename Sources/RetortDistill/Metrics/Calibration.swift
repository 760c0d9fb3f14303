import Foundation

/// Predictions grouped by confidence (the top softmax probability) into equal-width bins: what a
/// reliability diagram draws and the expected calibration error sums. A prediction with confidence c
/// falls in bin ⌈c·bins⌉ − 1 (torchmetrics' and Guo et al.'s binning).
public struct ReliabilityBins: Codable, Equatable, Sendable {
    /// Predictions per bin.
    public var count: [Int]
    /// Correct predictions per bin.
    public var correct: [Int]
    /// Sum of the confidences per bin.
    public var confidenceSum: [Double]

    enum CodingKeys: String, CodingKey {
        case count, correct, confidenceSum = "confidence_sum"
    }

    /// Bins the predictions of `logits` (`[N, classes]` row-major) for `labels`.
    public init(logits: [Float], labels: [Int], bins: Int = 15) {
        count = [Int](repeating: 0, count: max(bins, 0))
        correct = count
        confidenceSum = [Double](repeating: 0, count: max(bins, 0))
        guard !labels.isEmpty, bins > 0 else { return }
        let classes = logits.count / labels.count
        for (row, label) in labels.enumerated() {
            let probabilities = softmax(logits[row * classes..<(row + 1) * classes])
            let (predicted, top) = probabilities.enumerated().max(by: { $0.element < $1.element })!
            let bin = min(bins - 1, max(0, Int((top * Double(bins)).rounded(.up)) - 1))
            count[bin] += 1
            confidenceSum[bin] += top
            if predicted == label { correct[bin] += 1 }
        }
    }

    /// Accuracy per bin; nil for an empty bin.
    public var accuracy: [Double?] { zip(correct, count).map { $1 > 0 ? Double($0) / Double($1) : nil } }

    /// Mean confidence per bin; nil for an empty bin.
    public var meanConfidence: [Double?] { zip(confidenceSum, count).map { $1 > 0 ? $0 / Double($1) : nil } }

    /// `Σ_b (n_b/N)·|acc_b − conf_b|`.
    public var expectedCalibrationError: Double {
        let total = Double(count.reduce(0, +))
        guard total > 0 else { return 0 }
        return count.indices.filter { count[$0] > 0 }.reduce(0.0) { error, b in
            let n = Double(count[b])
            return error + n / total * abs(Double(correct[b]) / n - confidenceSum[b] / n)
        }
    }
}

/// Expected calibration error over `bins` equal-width confidence bins (``ReliabilityBins``).
/// `logits` are `[N, classes]` row-major.
public func expectedCalibrationError(logits: [Float], labels: [Int], bins: Int = 15) -> Double {
    ReliabilityBins(logits: logits, labels: labels, bins: bins).expectedCalibrationError
}

/// Softmax of one row in Double, max-subtracted.
func softmax(_ row: ArraySlice<Float>) -> [Double] {
    let top = Double(row.max() ?? 0)
    let exps = row.map { Foundation.exp(Double($0) - top) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}
