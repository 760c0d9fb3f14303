import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

final class TeacherFreeNKDTests: ContextTestCase {
    private let labels = [3, 0, 2, 2]
    private let classes = 5
    private lazy var student = randomLogits(4, 5, seed: 41)

    /// y_t per row, the detached weights w_t = y_t + 1 − mean(y_t), the loss and its gradient with
    /// the weights held constant: dL/dz[i,j] = −(w_i / B)·(δ_{j,t} − p[i,j]).
    private func reference(student: [Float], labels: [Int]) -> (value: Double, gradient: [Double]) {
        let p = Reference.rows(student, columns: classes).map { Reference.softmax($0) }
        let y = labels.enumerated().map { p[$0.offset][$0.element] }
        let mean = y.reduce(0, +) / Double(y.count)
        let w = y.map { $0 + 1 - mean }
        let rows = Double(labels.count)
        let value = -zip(w, y).map { $0 * Foundation.log($1) }.reduce(0, +) / rows
        var gradient = [Double](repeating: 0, count: student.count)
        for (row, label) in labels.enumerated() {
            for column in 0..<classes {
                gradient[row * classes + column] = -w[row] / rows * ((column == label ? 1 : 0) - p[row][column])
            }
        }
        return (value, gradient)
    }

    func testValueAndGradientMatchTheReference() throws {
        let loss = TeacherFreeNKD()
        let expected = reference(student: student, labels: labels)
        let value = try lossValue(loss, student: student, teachers: [], labels: labels)
        XCTAssertLessThanOrEqual(maxRelativeError([value], [expected.value]), 1e-5)
        // The weights are detached, so the gradient is checked against the analytic one rather than
        // finite differences of the whole loss (which would also differentiate the weights).
        let gradient = try studentGradient(loss, student: student, teacher: nil, labels: labels)
        XCTAssertLessThanOrEqual(maxRelativeError(gradient, expected.gradient), 1e-6)
    }

    func testNeedsNoTeacher() {
        let loss = TeacherFreeNKD()
        XCTAssertEqual(loss.teacherCount, 0...0)
        XCTAssertEqual(loss.name, "tf-nkd")
    }

    func testUniformLogitsByHand() throws {
        // y_t = 1/C for every row: w_t = 1, so L = log C.
        let value = try lossValue(TeacherFreeNKD(), student: [Float](repeating: -0.7, count: 4 * classes), teachers: [], labels: labels)
        XCTAssertEqual(Double(value), Foundation.log(Double(classes)), accuracy: 1e-6)
    }

    func testWeightsFollowTheBatchMean() throws {
        // Two rows, C = 2: y = (1/2, e/(1+e)). w = y + 1 − mean(y), L = −(w₁ log y₁ + w₂ log y₂)/2.
        let value = try lossValue(TeacherFreeNKD(), student: [0, 0, 1, 0], teachers: [], labels: [0, 0])
        let y = [0.5, Foundation.exp(1.0) / (1 + Foundation.exp(1.0))]
        let mean = (y[0] + y[1]) / 2
        let expected = -((y[0] + 1 - mean) * Foundation.log(y[0]) + (y[1] + 1 - mean) * Foundation.log(y[1])) / 2
        XCTAssertEqual(Double(value), expected, accuracy: 1e-6)
    }

    func testGradientOfTheFrozenWeightSurrogateMatchesFiniteDifferences() throws {
        // With the weights computed once from the base logits, −mean(w · log y_t) is a function of
        // the logits alone: its finite differences are what backward must give.
        let weights = try context.noGrad { () -> [Float] in
            let target = try (tensor(student, [4, classes]).softmax() * Tensor.oneHot(labels, classes: classes, context: context)).sum(alongAxis: 1)
            let y = try target.toArray().map(Double.init)
            let mean = y.reduce(0, +) / Double(y.count)
            return y.map { Float($0 + 1 - mean) }
        }
        let gradient = try studentGradient(TeacherFreeNKD(), student: student, teacher: nil, labels: labels)
        try checkGradients([(student, [4, classes])], tolerance: 2e-3) { inputs in
            let target = try (inputs[0].softmax() * Tensor.oneHot(labels, classes: classes, context: context)).sum(alongAxis: 1)
            return try (tensor(weights, [4]) * target.log()).mean().scaled(by: -1)
        }
        // The surrogate's backward (checked above) and the loss's backward agree.
        let surrogate = try tensor(student, [4, classes], requiresGrad: true)
        let target = try (surrogate.softmax() * Tensor.oneHot(labels, classes: classes, context: context)).sum(alongAxis: 1)
        try (tensor(weights, [4]) * target.log()).mean().scaled(by: -1).backward()
        XCTAssertLessThanOrEqual(maxRelativeError(gradient, try XCTUnwrap(surrogate.grad).toArray().map(Double.init)), 1e-6)
    }
}
