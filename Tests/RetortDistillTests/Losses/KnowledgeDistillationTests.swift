import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

final class KnowledgeDistillationTests: ContextTestCase {
    private let labels = [0, 3, 1, 4]
    private let classes = 5
    private lazy var student = randomLogits(4, 5, seed: 11)
    private lazy var teacher = randomLogits(4, 5, seed: 12, in: -5...5)

    /// `scale · Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T))` in Double.
    private func reference(student: [Float], teacher: [Float], temperature: Double, scale: Double) -> Double {
        let s = Reference.rows(student, columns: classes), t = Reference.rows(teacher, columns: classes)
        return scale * zip(s, t).reduce(0) { total, pair in
            total + Reference.kl(Reference.softmax(pair.1, temperature: temperature), Reference.softmax(pair.0, temperature: temperature))
        }
    }

    func testIdenticalTeacherAndStudentGiveZero() throws {
        let loss = KnowledgeDistillation(temperature: 4)
        XCTAssertEqual(try lossValue(loss, student: student, teachers: [student], labels: labels), 0, accuracy: 1e-6)
        let gradient = try studentGradient(loss, student: student, teacher: student, labels: labels)
        XCTAssertLessThanOrEqual(gradient.map(abs).max()!, 1e-7)
    }

    func testOneHotLikeTeacherAgainstUniformStudentIsLogC() throws {
        // p_t ≈ one-hot at T = 1, p_s uniform: KL = log C − H(p_t) ≈ log C (H ≈ 4·e^-30·31).
        var oneHot = [Float](repeating: 0, count: 4 * classes)
        for (row, label) in labels.enumerated() { oneHot[row * classes + label] = 30 }
        let value = try lossValue(KnowledgeDistillation(temperature: 1), student: [Float](repeating: 0.5, count: 4 * classes),
                                  teachers: [oneHot], labels: labels)
        XCTAssertEqual(Double(value), Foundation.log(Double(classes)), accuracy: 1e-5)
    }

    func testValueAtT1AndT4MatchesTheReference() throws {
        for temperature: Float in [1, 4] {
            let value = try lossValue(KnowledgeDistillation(temperature: temperature), student: student, teachers: [teacher], labels: labels)
            let expected = reference(student: student, teacher: teacher, temperature: Double(temperature),
                                     scale: Double(temperature * temperature) / 4)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5, "T = \(temperature)")
        }
        // Higher temperatures soften both sides: the unscaled divergence shrinks.
        let plain1 = try lossValue(KnowledgeDistillation(temperature: 1, scalesByTemperatureSquared: false), student: student, teachers: [teacher], labels: labels)
        let plain4 = try lossValue(KnowledgeDistillation(temperature: 4, scalesByTemperatureSquared: false), student: student, teachers: [teacher], labels: labels)
        XCTAssertLessThan(plain4, plain1)
    }

    func testReductions() throws {
        let total = reference(student: student, teacher: teacher, temperature: 4, scale: 16)
        for (reduction, divisor) in [(KnowledgeDistillation.Reduction.batchmean, 4.0), (.mean, 20.0), (.sum, 1.0)] {
            let value = try lossValue(KnowledgeDistillation(temperature: 4, reduction: reduction), student: student, teachers: [teacher], labels: labels)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [total / divisor]), 1e-5, "\(reduction)")
        }
    }

    func testTemperatureSquaredToggle() throws {
        let scaled = try lossValue(KnowledgeDistillation(temperature: 4), student: student, teachers: [teacher], labels: labels)
        let unscaled = try lossValue(KnowledgeDistillation(temperature: 4, scalesByTemperatureSquared: false), student: student,
                                     teachers: [teacher], labels: labels)
        XCTAssertEqual(Double(unscaled), reference(student: student, teacher: teacher, temperature: 4, scale: 1.0 / 4), accuracy: 1e-5)
        XCTAssertEqual(scaled, 16 * unscaled, accuracy: 1e-5 * scaled)
    }

    func testSeveralTeachersGiveTheMean() throws {
        let second = randomLogits(4, 5, seed: 13)
        let value = try lossValue(KnowledgeDistillation(temperature: 2), student: student, teachers: [teacher, second], labels: labels)
        let expected = (reference(student: student, teacher: teacher, temperature: 2, scale: 1)
                        + reference(student: student, teacher: second, temperature: 2, scale: 1)) / 2
        XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5)

        // The gradient of the mean, teachers fixed.
        try checkGradients([(student, [4, classes])]) { inputs in
            let step = logitStep(student: inputs[0], teachers: [try tensor(teacher, [4, classes]), try tensor(second, [4, classes])], labels: labels)
            return try KnowledgeDistillation(temperature: 2).loss(step)
        }
    }

    func testGradientMatchesFiniteDifferencesAndSkipsTheTeacher() throws {
        for temperature: Float in [1, 4] {
            let loss = KnowledgeDistillation(temperature: temperature)
            try checkStudentGradients(loss, student: student, teacher: teacher, labels: labels)
            _ = try studentGradient(loss, student: student, teacher: teacher, labels: labels)
        }
    }

    func testMissingTeacherIsAnError() throws {
        let step = logitStep(student: try tensor(student, [4, classes]), teachers: [], labels: labels)
        XCTAssertThrowsError(try KnowledgeDistillation().loss(step)) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "kd"))
        }
    }
}
