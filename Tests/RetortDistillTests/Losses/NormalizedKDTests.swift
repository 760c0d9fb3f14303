import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

final class NormalizedKDTests: ContextTestCase {
    private let labels = [1, 4, 0, 2]
    private let classes = 5
    private lazy var student = randomLogits(4, 5, seed: 31)
    private lazy var teacher = randomLogits(4, 5, seed: 32, in: -5...5)

    /// cls_KD's NKD in Double, with the label's column removed exactly.
    private func reference(student: [Float], teacher: [Float], labels: [Int], temperature: Double, gamma: Double) -> Double {
        let s = Reference.rows(student, columns: classes), t = Reference.rows(teacher, columns: classes)
        var target = 0.0, non = 0.0
        for (row, label) in labels.enumerated() {
            target += Reference.softmax(t[row])[label] * Reference.logSoftmax(s[row])[label]
            var sOther = s[row], tOther = t[row]
            sOther.remove(at: label)
            tOther.remove(at: label)
            let weights = Reference.softmax(tOther, temperature: temperature), logs = Reference.logSoftmax(sOther, temperature: temperature)
            non += zip(weights, logs).map(*).reduce(0, +)
        }
        let rows = Double(labels.count)
        return -target / rows - gamma * temperature * temperature * non / rows
    }

    func testValueMatchesTheReference() throws {
        for (temperature, gamma) in [(1.0, 1.5), (3.0, 3.5), (2.0, 0.0)] {
            let value = try lossValue(NormalizedKD(temperature: Float(temperature), gamma: Float(gamma)), student: student, teachers: [teacher], labels: labels)
            let expected = reference(student: student, teacher: teacher, labels: labels, temperature: temperature, gamma: gamma)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5, "τ \(temperature) γ \(gamma)")
        }
    }

    func testDefaults() {
        let loss = NormalizedKD()
        XCTAssertEqual([loss.temperature, loss.gamma], [1, 1.5])
        XCTAssertEqual(loss.name, "nkd")
    }

    func testUniformLogitsByHand() throws {
        // All logits equal: p_t = s = 1/C at the label, uniform 1/(C−1) over the rest, so
        // L = (1/C)·log C + γτ²·log(C − 1): a cross-entropy, not a KL (which would be 0).
        let flat = [Float](repeating: 0.3, count: 4 * classes)
        for (temperature, gamma) in [(Float(1), Float(1.5)), (3, 3.5)] {
            let value = try lossValue(NormalizedKD(temperature: temperature, gamma: gamma), student: flat, teachers: [flat], labels: labels)
            let c = Double(classes)
            let expected = Foundation.log(c) / c + Double(gamma * temperature * temperature) * Foundation.log(c - 1)
            XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * expected)
        }
    }

    func testOneHotLikeTeacherGivesTheTargetCrossEntropy() throws {
        // A teacher certain of the label (p_t ≈ 1) with equal non-target logits, and γ = 0: the
        // target term is the student's cross-entropy with the labels.
        var confident = [Float](repeating: 0, count: 4 * classes)
        for (row, label) in labels.enumerated() { confident[row * classes + label] = 40 }
        let value = try lossValue(NormalizedKD(temperature: 1, gamma: 0), student: student, teachers: [confident], labels: labels)
        let crossEntropy = try tensor(student, [4, classes]).crossEntropy(labels: labels).item()
        XCTAssertEqual(value, crossEntropy, accuracy: 1e-5 * max(1, crossEntropy))
    }

    func testTheLabelsLogitGetsNoGradientFromTheNonTargetTerm() throws {
        // With p_t's target weight removed (the teacher's label logit far below the rest), only the
        // non-target term remains, which must not depend on the student's label logit.
        var unsure = teacher
        for (row, label) in labels.enumerated() { unsure[row * classes + label] = -200 }
        let gradient = try studentGradient(NormalizedKD(temperature: 2, gamma: 1), student: student, teacher: unsure, labels: labels)
        for (row, label) in labels.enumerated() {
            XCTAssertEqual(gradient[row * classes + label], 0, accuracy: 1e-7, "row \(row)")
        }
    }

    func testGradientMatchesFiniteDifferencesAndSkipsTheTeacher() throws {
        for (temperature, gamma) in [(Float(1), Float(1.5)), (3, 3.5)] {
            let loss = NormalizedKD(temperature: temperature, gamma: gamma)
            try checkStudentGradients(loss, student: student, teacher: teacher, labels: labels)
            _ = try studentGradient(loss, student: student, teacher: teacher, labels: labels)
        }
    }

    func testMissingTeacherIsAnError() throws {
        let step = logitStep(student: try tensor(student, [4, classes]), teachers: [], labels: labels)
        XCTAssertThrowsError(try NormalizedKD().loss(step)) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "nkd"))
        }
    }
}
