import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

final class DISTTests: ContextTestCase {
    private let labels = [0, 1, 2, 3, 1, 0]
    private let classes = 4
    private lazy var student = randomLogits(6, 4, seed: 51)
    private lazy var teacher = randomLogits(6, 4, seed: 52, in: -5...5)

    /// DIST in Double: τ²·(β·(1 − mean_i ρ(rows)) + γ·(1 − mean_c ρ(columns))).
    private func reference(student: [Float], teacher: [Float], columns: Int, beta: Double, gamma: Double, temperature: Double) -> Double {
        let ys = Reference.rows(student, columns: columns).map { Reference.softmax($0, temperature: temperature) }
        let yt = Reference.rows(teacher, columns: columns).map { Reference.softmax($0, temperature: temperature) }
        func pearson(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            let ca = a.map { $0 - ma }, cb = b.map { $0 - mb }
            let dot = zip(ca, cb).map(*).reduce(0, +)
            let norms = ca.map { $0 * $0 }.reduce(0, +).squareRoot() * cb.map { $0 * $0 }.reduce(0, +).squareRoot()
            return dot / (norms + 1e-8)
        }
        let inter = 1 - zip(ys, yt).map(pearson).reduce(0, +) / Double(ys.count)
        let intra = 1 - (0..<columns).map { c in pearson(ys.map { $0[c] }, yt.map { $0[c] }) }.reduce(0, +) / Double(columns)
        return temperature * temperature * (beta * inter + gamma * intra)
    }

    func testValueMatchesTheReference() throws {
        for (beta, gamma, temperature) in [(1.0, 1.0, 1.0), (1.0, 1.0, 4.0), (2.0, 0.5, 2.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0)] {
            let loss = DIST(beta: Float(beta), gamma: Float(gamma), temperature: Float(temperature))
            let value = try lossValue(loss, student: student, teachers: [teacher], labels: labels)
            let expected = reference(student: student, teacher: teacher, columns: classes, beta: beta, gamma: gamma, temperature: temperature)
            XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5, "β \(beta) γ \(gamma) τ \(temperature)")
        }
    }

    func testSquareBatchMatchesTheReference() throws {
        // B = C: a per-row vector must not be mistaken for a per-column one.
        let square = randomLogits(5, 5, seed: 53), squareTeacher = randomLogits(5, 5, seed: 54, in: -4...4)
        let value = try lossValue(DIST(temperature: 1), student: square, teachers: [squareTeacher], labels: [0, 1, 2, 3, 4])
        let expected = reference(student: square, teacher: squareTeacher, columns: 5, beta: 1, gamma: 1, temperature: 1)
        XCTAssertLessThanOrEqual(maxRelativeError([value], [expected]), 1e-5)
        try checkStudentGradients(DIST(temperature: 1), student: square, teacher: squareTeacher, labels: [0, 1, 2, 3, 4])
    }

    func testDefaults() {
        let loss = DIST()
        XCTAssertEqual([loss.beta, loss.gamma, loss.temperature], [1, 1, 1])
        XCTAssertEqual(loss.name, "dist")
    }

    func testIdenticalTeacherAndStudentGiveZero() throws {
        for temperature: Float in [1, 4] {
            let value = try lossValue(DIST(temperature: temperature), student: student, teachers: [student], labels: labels)
            XCTAssertEqual(value, 0, accuracy: 1e-5 * temperature * temperature, "τ \(temperature)")
        }
    }

    func testTwoClassCorrelationsAreSignsByHand() throws {
        // C = 2, B = 2, τ = 1: centred rows and columns are ±(x, −x), so every ρ is ±1 (up to the
        // 1e-8). Student first-class probabilities (0.7, 0.2); a teacher on the same sides of
        // 1/2 and in the same order, (0.9, 0.4), gives 0; a flipped one, (0.1, 0.6), gives
        // β·2 + γ·2.
        func logits(_ p: [Double]) -> [Float] { p.flatMap { [Float(Foundation.log($0)), Float(Foundation.log(1 - $0))] } }
        let studentLogits = logits([0.7, 0.2])
        let agreeing = try lossValue(DIST(), student: studentLogits, teachers: [logits([0.9, 0.4])], labels: [0, 1])
        XCTAssertEqual(agreeing, 0, accuracy: 1e-5)
        let flipped = try lossValue(DIST(beta: 1, gamma: 0.5), student: studentLogits, teachers: [logits([0.1, 0.6])], labels: [0, 1])
        XCTAssertEqual(flipped, 2 * 1 + 2 * 0.5, accuracy: 1e-5)
    }

    func testGradientMatchesFiniteDifferencesAndSkipsTheTeacher() throws {
        for temperature: Float in [1, 4] {
            let loss = DIST(temperature: temperature)
            try checkStudentGradients(loss, student: student, teacher: teacher, labels: labels)
            _ = try studentGradient(loss, student: student, teacher: teacher, labels: labels)
        }
    }

    /// A student whose outputs are the same for every sample (a network whose ReLUs all died: its
    /// logits are its bias) has constant columns; its loss and gradient stay finite.
    func testConstantStudentGetsAFiniteGradient() throws {
        let constant = Array(student.prefix(classes))
        let rows = Array((0..<6).map { _ in constant }.joined())
        let value = try lossValue(DIST(), student: rows, teachers: [teacher], labels: labels)
        XCTAssert(value.isFinite, "\(value)")
        let gradient = try studentGradient(DIST(), student: rows, teacher: teacher, labels: labels)
        XCTAssert(gradient.allSatisfy(\.isFinite), "\(gradient)")
    }

    func testMissingTeacherIsAnError() throws {
        let step = logitStep(student: try tensor(student, [6, classes]), teachers: [], labels: labels)
        XCTAssertThrowsError(try DIST().loss(step)) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "dist"))
        }
    }
}
