import Foundation
import RetortCompute

/// CPU oracle of `SoftmaxKLLauncher`, in Double.
public enum SoftmaxKLOracle {
    /// Per-row `scale · KL` at `temperature` (forward: KL(teacher ‖ student); reverse: KL(student ‖ teacher))
    /// and the gradient of their sum w.r.t. the student logits.
    public static func lossAndGradient(student: [Float], teacher: [Float], rows: Int, classes: Int, temperature: Double, scale: Double,
                                       direction: SoftmaxKLLauncher.Direction) -> (loss: [Double], gradient: [Double]) {
        var loss: [Double] = [], gradient: [Double] = []
        for r in 0..<rows {
            let logS = SoftmaxOracle.logSoftmax(SoftmaxOracle.row(student, r, classes), temperature: temperature)
            let logT = SoftmaxOracle.logSoftmax(SoftmaxOracle.row(teacher, r, classes), temperature: temperature)
            switch direction {
            case .forward:
                let kl = zip(logT, logS).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                loss.append(scale * kl)
                gradient += zip(logS, logT).map { scale * (exp($0) - exp($1)) / temperature }
            case .reverse:
                let kl = zip(logS, logT).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                loss.append(scale * kl)
                gradient += zip(logS, logT).map { scale * exp($0) * ($0 - $1 - kl) / temperature }
            }
        }
        return (loss, gradient)
    }
}
