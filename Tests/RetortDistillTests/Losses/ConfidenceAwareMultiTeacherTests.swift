import Foundation
import XCTest
import Retort
import RetortNN
import RetortDistill
import RetortTestSupport

/// CA-MKD in Double, following the reference code: per-sample teacher CE, weights
/// `(1 − softmax over teachers) / (K − 1)`, `Σ_k Σ_i w·T²·KL_i / (B·K)`.
private struct CAMKDReference {
    let student: [Float]
    let teachers: [[Float]]
    let labels: [Int]
    let classes: Int
    var batch: Int { labels.count }

    static func logSoftmax(_ row: ArraySlice<Float>, _ temperature: Double) -> [Double] {
        let scaled = row.map { Double($0) / temperature }
        let top = scaled.max()!
        let logSum = log(scaled.reduce(0) { $0 + exp($1 - top) }) + top
        return scaled.map { $0 - logSum }
    }

    func row(_ logits: [Float], _ i: Int) -> ArraySlice<Float> { logits[(i * classes)..<((i + 1) * classes)] }

    /// w[i][k]
    func weights() -> [[Double]] {
        let k = teachers.count
        return (0..<batch).map { i in
            guard k > 1 else { return [1] }
            let losses = teachers.map { -Self.logSoftmax(row($0, i), 1)[labels[i]] }
            let top = losses.max()!
            let e = losses.map { exp($0 - top) }
            let total = e.reduce(0, +)
            return e.map { (1 - $0 / total) / Double(k - 1) }
        }
    }

    func value(temperature t: Double) -> Double {
        let w = weights()
        var total = 0.0
        for (k, teacher) in teachers.enumerated() {
            for i in 0..<batch {
                let logS = Self.logSoftmax(row(student, i), t), logT = Self.logSoftmax(row(teacher, i), t)
                let kl = zip(logT, logS).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                total += w[i][k] * t * t * kl
            }
        }
        return total / Double(batch * teachers.count)
    }
}

final class ConfidenceAwareMultiTeacherTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    private func taps(_ logits: [Float], _ shape: [Int], requiresGrad: Bool = false) throws -> FeatureTaps {
        FeatureTaps(pooled: try tensor([Float](repeating: 0, count: shape[0]), [shape[0], 1]), logits: try tensor(logits, shape, requiresGrad: requiresGrad))
    }

    private func step(student: [Float], teachers: [[Float]], labels: [Int], classes: Int) throws -> DistillationStep {
        DistillationStep(student: try taps(student, [labels.count, classes]),
                         teachers: try teachers.map { try taps($0, [labels.count, classes]) }, labels: labels)
    }

    func testWeightsSumToOneAndMatchReference() throws {
        let (batch, classes) = (4, 5)
        let teachers = (0..<3).map { _ in random.floats(batch * classes, in: -3...3) }
        let labels = [0, 4, 2, 2]
        let s = try step(student: random.floats(batch * classes), teachers: teachers, labels: labels, classes: classes)
        let weights = try ConfidenceAwareMultiTeacher().teacherWeights(s)
        XCTAssertEqual(weights.shape, [batch, 3])
        let values = try weights.toArray()
        let reference = CAMKDReference(student: [], teachers: teachers, labels: labels, classes: classes).weights()
        XCTAssertLessThan(maxRelativeError(values, reference.flatMap { $0 }), 1e-5)
        for i in 0..<batch {
            XCTAssertEqual(values[(i * 3)..<(i * 3 + 3)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testMoreConfidentTeacherGetsMoreWeight() throws {
        // Label 1 for both samples; teacher 0 is confident and right, teacher 1 is wrong, teacher 2 unsure.
        let right: [Float] = [0, 6, 0, 0, 6, 0], wrong: [Float] = [6, 0, 0, 6, 0, 0], unsure: [Float] = [0, 0, 0, 0, 0, 0]
        let s = try step(student: random.floats(6), teachers: [right, wrong, unsure], labels: [1, 1], classes: 3)
        let w = try ConfidenceAwareMultiTeacher().teacherWeights(s).toArray()
        for i in 0..<2 {
            XCTAssertGreaterThan(w[i * 3], w[i * 3 + 2])
            XCTAssertGreaterThan(w[i * 3 + 2], w[i * 3 + 1])
        }
        // Two teachers with equal losses share equally.
        let tie = try step(student: random.floats(6), teachers: [right, right], labels: [1, 1], classes: 3)
        XCTAssertLessThan(maxRelativeError(try ConfidenceAwareMultiTeacher().teacherWeights(tie).toArray(), [0.5, 0.5, 0.5, 0.5]), 1e-6)
    }

    func testValueMatchesReference() throws {
        let (batch, classes) = (4, 6)
        for temperature: Float in [1, 4] {
            let student = random.floats(batch * classes, in: -2...2)
            let teachers = (0..<3).map { _ in random.floats(batch * classes, in: -4...4) }
            let labels = [5, 0, 3, 3]
            let value = try ConfidenceAwareMultiTeacher(temperature: temperature)
                .loss(step(student: student, teachers: teachers, labels: labels, classes: classes)).item()
            let expected = CAMKDReference(student: student, teachers: teachers, labels: labels, classes: classes).value(temperature: Double(temperature))
            XCTAssertGreaterThan(expected, 1e-3)
            XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected), "T = \(temperature)")
        }
    }

    /// With one teacher every weight is 1: Hinton's KD, batchmean, times T².
    func testOneTeacherIsKnowledgeDistillation() throws {
        let (batch, classes) = (3, 5)
        let student = random.floats(batch * classes, in: -2...2), teacher = random.floats(batch * classes, in: -3...3)
        let s = try step(student: student, teachers: [teacher], labels: [1, 2, 3], classes: classes)
        let value = try ConfidenceAwareMultiTeacher(temperature: 4).loss(s).item()
        let kd = try KnowledgeDistillation(temperature: 4).loss(s).item()
        XCTAssertEqual(value, kd, accuracy: 1e-5 * max(1, abs(kd)))
        let expected = CAMKDReference(student: student, teachers: [teacher], labels: [1, 2, 3], classes: classes).value(temperature: 4)
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected))
    }

    func testIdenticalLogitsGiveZero() throws {
        let logits = random.floats(3 * 4, in: -2...2)
        let value = try ConfidenceAwareMultiTeacher().loss(step(student: logits, teachers: [logits, logits], labels: [0, 1, 2], classes: 4)).item()
        XCTAssertEqual(value, 0, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let (batch, classes) = (3, 4)
        let teachers = try (0..<3).map { _ in try taps(random.floats(batch * classes, in: -4...4), [batch, classes]) }
        try checkGradients([(random.floats(batch * classes, in: -2...2), [batch, classes])], step: 1e-2, tolerance: 1e-2) { inputs in
            let student = FeatureTaps(pooled: try tensor([0, 0, 0], [3, 1]), logits: inputs[0])
            // × 100 so that the gradient is O(1) and the check can fail.
            return try ConfidenceAwareMultiTeacher(temperature: 2).loss(DistillationStep(student: student, teachers: teachers, labels: [0, 3, 1]))
                .scaled(by: 100)
        }
    }

    func testTeachersGetNoGradient() throws {
        let teacherLogits = try tensor(random.floats(6), [2, 3], requiresGrad: true)
        let teacher = FeatureTaps(pooled: try tensor([0, 0], [2, 1]), logits: teacherLogits)
        let student = try taps(random.floats(6), [2, 3], requiresGrad: true)
        try ConfidenceAwareMultiTeacher().loss(DistillationStep(student: student, teachers: [teacher, teacher], labels: [0, 2])).backward()
        XCTAssertNotNil(student.logits.grad)
        XCTAssertNil(teacherLogits.grad)
    }

    func testMissingTeacherIsAnError() throws {
        let s = try step(student: random.floats(6), teachers: [], labels: [0, 1], classes: 3)
        XCTAssertThrowsError(try ConfidenceAwareMultiTeacher().loss(s)) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "camkd"))
        }
        let loss = ConfidenceAwareMultiTeacher()
        XCTAssertEqual(loss.name, "camkd")
        XCTAssertEqual(loss.teacherCount, 1...Int.max)
        XCTAssertEqual(loss.temperature, 4)
    }
}
