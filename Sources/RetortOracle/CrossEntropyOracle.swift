import Foundation

/// CPU oracle of `CrossEntropyLauncher`, in Double.
public enum CrossEntropyOracle {
    /// Per-row `scale · CE` with PyTorch's label smoothing and the gradient of their sum w.r.t. the logits.
    public static func lossAndGradient(logits: [Float], labels: [Int32], rows: Int, classes: Int, smoothing: Double,
                                       scale: Double) -> (loss: [Double], gradient: [Double]) {
        var loss: [Double] = [], gradient: [Double] = []
        for r in 0..<rows {
            let logP = SoftmaxOracle.logSoftmax(SoftmaxOracle.row(logits, r, classes))
            let target = (0..<classes).map { (c: Int) -> Double in (c == Int(labels[r]) ? 1 - smoothing : 0) + smoothing / Double(classes) }
            loss.append(scale * -zip(target, logP).reduce(0) { $0 + $1.0 * $1.1 })
            gradient += zip(logP, target).map { scale * (exp($0) - $1) }
        }
        return (loss, gradient)
    }
}
