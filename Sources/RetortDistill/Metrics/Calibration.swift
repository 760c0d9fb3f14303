import Foundation

/// Expected calibration error: `Σ_b (n_b/N)·|acc_b − conf_b|` over `bins` equal-width confidence bins
/// (confidence = the top softmax probability; a prediction with confidence c falls in bin ⌈c·bins⌉ − 1,
/// torchmetrics' and Guo et al.'s binning). `logits` are `[N, classes]` row-major.
public func expectedCalibrationError(logits: [Float], labels: [Int], bins: Int = 15) -> Double {
    guard !labels.isEmpty, bins > 0 else { return 0 }
    let classes = logits.count / labels.count
    var count = [Int](repeating: 0, count: bins), correct = [Int](repeating: 0, count: bins)
    var confidence = [Double](repeating: 0, count: bins)
    for (row, label) in labels.enumerated() {
        let probabilities = softmax(logits[row * classes..<(row + 1) * classes])
        let (predicted, top) = probabilities.enumerated().max(by: { $0.element < $1.element })!
        let bin = min(bins - 1, max(0, Int((top * Double(bins)).rounded(.up)) - 1))
        count[bin] += 1
        confidence[bin] += top
        if predicted == label { correct[bin] += 1 }
    }
    let total = Double(labels.count)
    var error = 0.0
    for b in 0..<bins where count[b] > 0 {
        let n = Double(count[b])
        let gap = abs(Double(correct[b]) / n - confidence[b] / n)
        error += n / total * gap
    }
    return error
}

/// Softmax of one row in Double, max-subtracted.
func softmax(_ row: ArraySlice<Float>) -> [Double] {
    let top = Double(row.max() ?? 0)
    let exps = row.map { Foundation.exp(Double($0) - top) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}
