import Foundation
import XCTest
import RetortDistill
import RetortTestSupport

final class SwitchableOnlineKDTests: ContextTestCase {
    // MARK: The switch rule on constructed numbers

    func testExpertWhenTheGapExceedsTheThresholdAndTheTeacherIsBetter() {
        // ε = exp(−0.5 / 2) = 0.7788, δ = 1.5 − 0.7788 · 0.5 = 1.1106.
        let decision = SwitOKDDecision(studentError: 1.5, teacherError: 0.5, gap: 1.2)
        XCTAssertEqual(decision.epsilon, 0.778_800_783, accuracy: 1e-9)
        XCTAssertEqual(decision.threshold, 1.110_599_608, accuracy: 1e-9)
        XCTAssertEqual(decision.mode, .expert)
    }

    func testLearningWhenTheGapIsBelowTheThreshold() {
        XCTAssertEqual(SwitOKDDecision(studentError: 1.5, teacherError: 0.5, gap: 1.0).mode, .learning)
    }

    /// With t_label = 0, ε = 1 and δ = s_label exactly: a gap equal to δ is not above it.
    func testTheBoundaryBelongsToLearning() {
        let atThreshold = SwitOKDDecision(studentError: 1, teacherError: 0, gap: 1)
        XCTAssertEqual(atThreshold.threshold, 1)
        XCTAssertEqual(atThreshold.mode, .learning)
        XCTAssertEqual(SwitOKDDecision(studentError: 1, teacherError: 0, gap: 1.000_001).mode, .expert)
    }

    /// The teacher must be the better network: t_label ≥ s_label means learning, whatever the gap.
    func testLearningWhenTheTeacherIsNotBetter() {
        XCTAssertEqual(SwitOKDDecision(studentError: 1, teacherError: 1, gap: 2).mode, .learning)
        XCTAssertEqual(SwitOKDDecision(studentError: 0.8, teacherError: 1.2, gap: 2).mode, .learning)
        let perfect = SwitOKDDecision(studentError: 0, teacherError: 0, gap: 0)
        XCTAssertEqual(perfect.epsilon, 1)
        XCTAssertEqual(perfect.mode, .learning)
    }

    // MARK: On logits

    /// Teacher: correct with p = 0.7 on both rows. Student: row 0 confidently wrong, row 1 as the
    /// teacher. Second case: a near-uniform student.
    private let labels = [0, 2]
    private let teacher: [Float] = [0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1].map { Float(Foundation.log(Double($0))) }
    private let confidentlyWrong: [Float] = [0, 4.2, 0, 0] + [0.1, 0.1, 0.7, 0.1].map { Float(Foundation.log(Double($0))) }
    private let nearUniform: [Float] = [0, 0.1, 0, 0, 0.1, 0, 0, 0]

    /// s_label, t_label and G in Double from the logits.
    private func referenceStatistics(teacher: [Float], student: [Float]) -> (s: Double, t: Double, g: Double) {
        var s = 0.0, t = 0.0, g = 0.0
        for (i, label) in labels.enumerated() {
            let pt = Reference.softmax(Reference.rows(teacher, columns: 4)[i]), ps = Reference.softmax(Reference.rows(student, columns: 4)[i])
            for c in 0..<4 {
                let y = c == label ? 1.0 : 0
                s += abs(ps[c] - y); t += abs(pt[c] - y); g += abs(pt[c] - ps[c])
            }
        }
        let n = Double(labels.count)
        return (s / n, t / n, g / n)
    }

    /// `CE(z_a, y) + (1/B) Σ_i KL(softmax(z_b) ‖ softmax(z_a))` in Double.
    private func referenceLoss(_ a: [Float], from b: [Float]) -> Double {
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let rowA = Reference.rows(a, columns: 4)[i], rowB = Reference.rows(b, columns: 4)[i]
            total += -Reference.logSoftmax(rowA)[label] + Reference.kl(Reference.softmax(rowB), Reference.softmax(rowA))
        }
        return total / Double(labels.count)
    }

    func testStatisticsAreMeasuredOnTheOutputs() throws {
        for student in [confidentlyWrong, nearUniform] {
            let decision = try SwitchableOnlineKD.decision(teacher: try tensor(teacher, [2, 4]), student: try tensor(student, [2, 4]), labels: labels)
            let expected = referenceStatistics(teacher: teacher, student: student)
            XCTAssertEqual(decision.studentError, expected.s, accuracy: 1e-6)
            XCTAssertEqual(decision.teacherError, expected.t, accuracy: 1e-6)
            XCTAssertEqual(decision.gap, expected.g, accuracy: 1e-6)
        }
    }

    /// A confidently wrong student far from a correct teacher: expert mode, the teacher gets no loss
    /// (and no gradient), the student's loss is CE + KL(p_t ‖ p_s).
    func testExpertModeTrainsTheStudentOnly() throws {
        let t = try tensor(teacher, [2, 4], requiresGrad: true), s = try tensor(confidentlyWrong, [2, 4], requiresGrad: true)
        let result = try SwitchableOnlineKD().losses(OnlineStep(logits: [t, s], labels: labels))
        XCTAssertEqual(result.mode, "expert")
        XCTAssertNil(result.losses[0], "the teacher pauses")
        let studentLoss = try XCTUnwrap(result.losses[1])
        XCTAssertEqual(Double(try studentLoss.item()), referenceLoss(confidentlyWrong, from: teacher), accuracy: 1e-5)
        try studentLoss.backward()
        XCTAssertNil(t.grad, "the teacher's outputs are detached in the student's loss")
        XCTAssertNotNil(s.grad)
        let expected = referenceStatistics(teacher: teacher, student: confidentlyWrong)
        XCTAssertEqual(result.diagnostics["G"] ?? 0, expected.g, accuracy: 1e-6)
        XCTAssertEqual(result.diagnostics["delta"] ?? 0, expected.s - Foundation.exp(-expected.t / (expected.t + expected.s)) * expected.t, accuracy: 1e-6)
    }

    /// A near-uniform student: learning mode, both networks get CE + KL toward the other.
    func testLearningModeTrainsBoth() throws {
        let result = try SwitchableOnlineKD().losses(OnlineStep(logits: [try tensor(teacher, [2, 4]), try tensor(nearUniform, [2, 4])], labels: labels))
        XCTAssertEqual(result.mode, "learning")
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[0]).item()), referenceLoss(teacher, from: nearUniform), accuracy: 1e-5)
        XCTAssertEqual(Double(try XCTUnwrap(result.losses[1]).item()), referenceLoss(nearUniform, from: teacher), accuracy: 1e-5)
    }
}
