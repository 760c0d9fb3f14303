import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

/// A constant weight for every sample (1: forward KL only, as KD/DML; 0: reverse KL only).
private struct ConstantWeighting: DivergenceWeighting {
    var value: Float
    var name: String { "constant \(value)" }
    func weights(teacherEntropy: Tensor, studentEntropy: Tensor) throws -> Tensor {
        try Tensor.full(value, shape: teacherEntropy.shape, context: teacherEntropy.context)
    }
}

final class BalancedDivergenceKDTests: ContextTestCase {
    private func entropy(_ p: [Double]) -> Double { -p.reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) } }

    /// Student loss in Double: CE + mean_i [w_i KL(p_t‖p_s)_i + (1 − w_i) KL(p_s‖p_t)_i], with
    /// `weight(H_t, H_s)`; and its gradient with respect to the student logits, the weights held
    /// constant.
    private func reference(student: [Float], teacher: [Float], labels: [Int], classes: Int,
                           weight: (Double, Double) -> Double) -> (loss: Double, gradient: [Double]) {
        let b = Double(labels.count)
        var loss = 0.0, gradient: [Double] = []
        for (i, label) in labels.enumerated() {
            let ps = Reference.softmax(Reference.rows(student, columns: classes)[i]), pt = Reference.softmax(Reference.rows(teacher, columns: classes)[i])
            let w = weight(entropy(pt), entropy(ps))
            let forward = Reference.kl(pt, ps), reverse = Reference.kl(ps, pt)
            loss += (-Foundation.log(ps[label]) + w * forward + (1 - w) * reverse) / b
            for c in 0..<classes {
                let ce = ps[c] - (c == label ? 1 : 0)
                let reverseGradient = ps[c] * (Foundation.log(ps[c]) - Foundation.log(pt[c]) - reverse)
                gradient.append((ce + w * (ps[c] - pt[c]) + (1 - w) * reverseGradient) / b)
            }
        }
        return (loss, gradient)
    }

    private func shareOfTeacher(_ ht: Double, _ hs: Double) -> Double { (ht + 1e-6) / (ht + hs + 2e-6) }

    // MARK: The weighting

    func testDefaultWeightingAtItsExtremes() throws {
        // Equal entropies, both zero, confident teacher with uncertain student, and the reverse.
        let teacherEntropy: [Float] = [0.7, 0, 0.01, 2.3]
        let studentEntropy: [Float] = [0.7, 0, 2.3, 0.01]
        let weights = try EntropyShareWeighting().weights(teacherEntropy: try tensor(teacherEntropy, [4]), studentEntropy: try tensor(studentEntropy, [4]))
            .toArray()
        XCTAssertEqual(weights[0], 0.5, accuracy: 1e-6, "equal entropies balance the two divergences")
        XCTAssertEqual(weights[1], 0.5, accuracy: 1e-6, "two one-hot predictions: still balanced, no 0/0")
        XCTAssertLessThan(weights[2], 0.01, "confident teacher, uncertain student: mostly the reverse (mode-seeking) KL")
        XCTAssertGreaterThan(weights[3], 0.99, "over-confident student: mostly the forward (mass-covering) KL")
        let expected = zip(teacherEntropy, studentEntropy).map { shareOfTeacher(Double($0), Double($1)) }
        XCTAssertLessThanOrEqual(maxRelativeError(weights, expected), 1e-6)
    }

    // MARK: The student's loss

    /// Value and gradient against the Double reference, at batch == classes (where a per-row
    /// operand could be mistaken for a per-column one).
    func testStudentLossMatchesTheReference() throws {
        let labels = [0, 4, 2, 1, 3]
        let student = randomLogits(5, 5, seed: 31), teacher = randomLogits(5, 5, seed: 32, in: -5...5)
        let objective = BalancedDivergenceKD()
        let z = try tensor(student, [5, 5], requiresGrad: true), t = try tensor(teacher, [5, 5], requiresGrad: true)
        let loss = try objective.studentLoss(student: z, teacher: t, labels: labels)
        let expected = reference(student: student, teacher: teacher, labels: labels, classes: 5, weight: shareOfTeacher)
        XCTAssertEqual(Double(try loss.item()), expected.loss, accuracy: 1e-5)
        try loss.backward()
        XCTAssertNil(t.grad, "the teacher is detached in the student's loss")
        XCTAssertLessThanOrEqual(maxRelativeError(try XCTUnwrap(z.grad).toArray(), expected.gradient), 1e-5)
    }

    /// Finite differences of the composed per-row KLs (with a weighting that does not move with the
    /// logits, so the numerical derivative sees the same weights as backward).
    func testStudentGradientMatchesFiniteDifferences() throws {
        let labels = [1, 0, 2]
        let teacher = randomLogits(3, 4, seed: 41)
        for weighting in [ConstantWeighting(value: 0.3), ConstantWeighting(value: 0), ConstantWeighting(value: 1)] {
            let objective = BalancedDivergenceKD(weighting: weighting)
            try checkGradients([(randomLogits(3, 4, seed: 40), [3, 4])], tolerance: 2e-3) { inputs in
                try objective.studentLoss(student: inputs[0], teacher: try tensor(teacher, [3, 4]), labels: labels)
            }
        }
    }

    /// Swapping the weighting changes the loss: w ≡ 1 is CE + forward KL (DML's student term),
    /// w ≡ 0 is CE + reverse KL.
    func testTheWeightingCanBeSwapped() throws {
        let labels = [2, 0, 1, 3]
        let student = randomLogits(4, 4, seed: 51), teacher = randomLogits(4, 4, seed: 52)
        for value in [Float(1), 0, 0.25] {
            let objective = BalancedDivergenceKD(weighting: ConstantWeighting(value: value))
            XCTAssertEqual(objective.name, "bdkd (constant \(value))")
            let loss = try objective.studentLoss(student: try tensor(student, [4, 4]), teacher: try tensor(teacher, [4, 4]), labels: labels)
            let expected = reference(student: student, teacher: teacher, labels: labels, classes: 4) { _, _ in Double(value) }
            XCTAssertEqual(Double(try loss.item()), expected.loss, accuracy: 1e-5, "w = \(value)")
        }
        let forwardOnly = try BalancedDivergenceKD(weighting: ConstantWeighting(value: 1))
            .studentLoss(student: try tensor(student, [4, 4]), teacher: try tensor(teacher, [4, 4]), labels: labels).item()
        let dml = try DeepMutualLearning().loss(of: 1, OnlineStep(logits: [try tensor(teacher, [4, 4]), try tensor(student, [4, 4])], labels: labels)).item()
        XCTAssertEqual(forwardOnly, dml, accuracy: 1e-5)
    }

    // MARK: The teacher's loss

    /// `CE(z_t) + λ · mean_i KL(p_t ‖ p_s)_i`, gradient to the teacher only; both networks step.
    func testTeacherLossIsCrossEntropyPlusReverseKL() throws {
        let labels = [3, 1, 0]
        let teacher = randomLogits(3, 4, seed: 61), student = randomLogits(3, 4, seed: 62)
        let t = try tensor(teacher, [3, 4], requiresGrad: true), s = try tensor(student, [3, 4], requiresGrad: true)
        let result = try BalancedDivergenceKD(teacherWeight: 0.5).losses(OnlineStep(logits: [t, s], labels: labels))
        XCTAssertNotNil(result.losses[1], "the student steps")
        let teacherLoss = try XCTUnwrap(result.losses[0])
        var expected = 0.0
        for (i, label) in labels.enumerated() {
            let pt = Reference.softmax(Reference.rows(teacher, columns: 4)[i]), ps = Reference.softmax(Reference.rows(student, columns: 4)[i])
            expected += (-Foundation.log(pt[label]) + 0.5 * Reference.kl(pt, ps)) / 3
        }
        XCTAssertEqual(Double(try teacherLoss.item()), expected, accuracy: 1e-5)
        try teacherLoss.backward()
        XCTAssertNil(s.grad, "the student is detached in the teacher's loss")
        XCTAssertNotNil(t.grad)
        try checkGradients([(teacher, [3, 4])], tolerance: 2e-3) { inputs in
            try BalancedDivergenceKD(teacherWeight: 0.5).teacherLoss(teacher: inputs[0], student: try tensor(student, [3, 4]), labels: labels)
        }
    }
}
