import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

final class DecoupledKDTests: ContextTestCase {
    private let labels = [2, 0, 4, 1]
    private let classes = 5
    private lazy var student = randomLogits(4, 5, seed: 21)
    private lazy var teacher = randomLogits(4, 5, seed: 22, in: -5...5)

    /// mdistiller's DKD in Double: T²/B Σ_i [α KL(b_t‖b_s) + β KL(p̂_t‖p̂_s)], times the warm-up factor,
    /// with the non-target distributions taken over the other classes exactly (no −1000 masking).
    private func reference(student: [Float], teacher: [Float], labels: [Int], alpha: Double, beta: Double, temperature: Double,
                           factor: Double = 1) -> Double {
        let s = Reference.rows(student, columns: classes), t = Reference.rows(teacher, columns: classes)
        var tckd = 0.0, nckd = 0.0
        for (row, label) in labels.enumerated() {
            let ps = Reference.softmax(s[row], temperature: temperature), pt = Reference.softmax(t[row], temperature: temperature)
            tckd += Reference.kl([pt[label], 1 - pt[label]], [ps[label], 1 - ps[label]])
            var sOther = s[row], tOther = t[row]
            sOther.remove(at: label)
            tOther.remove(at: label)
            nckd += Reference.kl(Reference.softmax(tOther, temperature: temperature), Reference.softmax(sOther, temperature: temperature))
        }
        return factor * temperature * temperature / Double(labels.count) * (alpha * tckd + beta * nckd)
    }

    func testValueMatchesTheReference() throws {
        for (alpha, beta, temperature) in [(1.0, 8.0, 4.0), (2.0, 0.5, 1.0), (0.0, 1.0, 2.0), (1.0, 0.0, 2.0)] {
            let loss = DecoupledKD(alpha: Float(alpha), beta: Float(beta), temperature: Float(temperature), warmupEpochs: 20)
            let value = try lossValue(loss, student: student, teachers: [teacher], labels: labels, epoch: 40)
            let expected = reference(student: student, teacher: teacher, labels: labels, alpha: alpha, beta: beta, temperature: temperature)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5, "α \(alpha) β \(beta) T \(temperature)")
        }
    }

    func testDefaultsAreMdistillers() {
        let loss = DecoupledKD()
        XCTAssertEqual([loss.alpha, loss.beta, loss.temperature], [1, 8, 4])
        XCTAssertEqual(loss.warmupEpochs, 20)
        XCTAssertEqual(loss.name, "dkd")
    }

    func testWarmupRampsLinearlyFromTheFirstEpoch() throws {
        let loss = DecoupledKD()
        // mdistiller's 1-based epoch e gives min(e / 20, 1); our 0-based epoch is e − 1.
        XCTAssertEqual(loss.warmupFactor(epoch: 0), 1.0 / 20)
        XCTAssertEqual(loss.warmupFactor(epoch: 9), 0.5)
        XCTAssertEqual(loss.warmupFactor(epoch: 19), 1)
        XCTAssertEqual(loss.warmupFactor(epoch: 100), 1)
        XCTAssertEqual(DecoupledKD(warmupEpochs: 0).warmupFactor(epoch: 0), 1)
        let full = reference(student: student, teacher: teacher, labels: labels, alpha: 1, beta: 8, temperature: 4)
        for (epoch, factor) in [(0, 1.0 / 20), (9, 0.5), (19, 1.0), (30, 1.0)] {
            let value = try lossValue(loss, student: student, teachers: [teacher], labels: labels, epoch: epoch)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [full * factor]), 1e-5, "epoch \(epoch)")
        }
    }

    func testIdenticalTeacherAndStudentGiveZero() throws {
        let value = try lossValue(DecoupledKD(), student: student, teachers: [student], labels: labels, epoch: 20)
        XCTAssertEqual(value, 0, accuracy: 1e-5)
        let gradient = try studentGradient(DecoupledKD(), student: student, teacher: student, labels: labels, epoch: 20)
        XCTAssertLessThanOrEqual(gradient.map(abs).max()!, 1e-5)
    }

    func testDecompositionOfClassicKD() throws {
        // One sample: KL(p_t‖p_s) = TCKD + (1 − p_t[label])·NCKD, so DKD with α = 1 and
        // β = 1 − p_t[label] is Hinton's KD (both with T²/B).
        let one = Array(student.prefix(classes)), oneTeacher = Array(teacher.prefix(classes)), label = [labels[0]]
        let temperature: Float = 2
        let pt = Reference.softmax(Reference.rows(oneTeacher, columns: classes)[0], temperature: Double(temperature))
        let dkd = try lossValue(DecoupledKD(alpha: 1, beta: Float(1 - pt[label[0]]), temperature: temperature, warmupEpochs: 1),
                                student: one, teachers: [oneTeacher], labels: label)
        let kd = try lossValue(KnowledgeDistillation(temperature: temperature), student: one, teachers: [oneTeacher], labels: label)
        XCTAssertEqual(dkd, kd, accuracy: 1e-5 * max(1, kd))
    }

    func testOneHotLikeTeacherLeavesOnlyTheTargetTerm() throws {
        // A teacher certain of the label: b_t = (1, 0) so TCKD = −T²/B Σ log b_s[label]; its
        // non-target logits equal, so NCKD is the KL from uniform over the other classes.
        var confident = [Float](repeating: 0, count: 4 * classes)
        for (row, label) in labels.enumerated() { confident[row * classes + label] = 200 }
        let value = try lossValue(DecoupledKD(alpha: 1, beta: 0, temperature: 1, warmupEpochs: 1), student: student, teachers: [confident], labels: labels)
        let s = Reference.rows(student, columns: classes)
        let expected = -labels.enumerated().map { Reference.logSoftmax(s[$0.offset])[$0.element] }.reduce(0, +) / 4
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected))
    }

    func testGradientMatchesFiniteDifferencesAndSkipsTheTeacher() throws {
        for temperature: Float in [1, 4] {
            let loss = DecoupledKD(alpha: 1, beta: 8, temperature: temperature, warmupEpochs: 20)
            try checkStudentGradients(loss, student: student, teacher: teacher, labels: labels, epoch: 4)
            _ = try studentGradient(loss, student: student, teacher: teacher, labels: labels, epoch: 4)
        }
    }

    func testMissingTeacherIsAnError() throws {
        let step = logitStep(student: try tensor(student, [4, classes]), teachers: [], labels: labels)
        XCTAssertThrowsError(try DecoupledKD().loss(step)) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "dkd"))
        }
    }
}
