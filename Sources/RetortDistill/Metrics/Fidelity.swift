import Foundation

/// Stanton et al.'s fidelity of a student to its teacher on one split ("Does knowledge distillation
/// really work?", NeurIPS 2021): top-1 agreement `(1/n) Σ 1[argmax p_s = argmax p_t]` and predictive
/// `KL(p_t ‖ p_s)` at T = 1, averaged over samples. With several teachers, the teacher is their
/// ensemble `log((1/M) Σ_m softmax(z_m))`.
public struct Fidelity: Equatable, Sendable {
    public var agreement: Double
    public var predictiveKL: Double

    /// Fidelity of `student` logits to `teachers` logits (each `[N, classes]` row-major).
    public init(student: [Float], teachers: [[Float]], classes: Int) {
        let rows = classes > 0 ? student.count / classes : 0
        var agree = 0, divergence = 0.0
        for row in 0..<rows {
            let range = row * classes..<(row + 1) * classes
            let p = softmax(student[range])
            var q = [Double](repeating: 0, count: classes)
            for teacher in teachers {
                for (c, value) in softmax(teacher[range]).enumerated() { q[c] += value / Double(teachers.count) }
            }
            if Fidelity.argmax(p) == Fidelity.argmax(q) { agree += 1 }
            for c in 0..<classes where q[c] > 0 {
                divergence += q[c] * (Foundation.log(q[c]) - Foundation.log(max(p[c], Double.leastNormalMagnitude)))
            }
        }
        agreement = rows == 0 ? 0 : Double(agree) / Double(rows)
        predictiveKL = rows == 0 ? 0 : divergence / Double(rows)
    }

    /// The first index of the largest value (PyTorch's argmax tie rule).
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for (index, value) in values.enumerated() where value > values[best] { best = index }
        return best
    }
}
