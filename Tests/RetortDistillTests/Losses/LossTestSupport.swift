import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Taps carrying only logits (the logit losses read nothing else).
func logitTaps(_ logits: Tensor) -> FeatureTaps {
    FeatureTaps(pooled: logits, logits: logits)
}

extension ContextTestCase {
    /// One step with the student's and teachers' logits given as tensors.
    func logitStep(student: Tensor, teachers: [Tensor], labels: [Int], epoch: Int = 0) -> DistillationStep {
        DistillationStep(student: logitTaps(student), teachers: teachers.map(logitTaps), labels: labels, epoch: epoch)
    }

    /// The loss of `loss` on logits given as values (`[B, C]` each).
    func lossValue(_ loss: any DistillationLoss, student: [Float], teachers: [[Float]], labels: [Int], epoch: Int = 0) throws -> Float {
        let shape = [labels.count, student.count / labels.count]
        let step = logitStep(student: try tensor(student, shape), teachers: try teachers.map { try tensor($0, shape) }, labels: labels, epoch: epoch)
        let value = try loss.loss(step)
        XCTAssertEqual(value.shape, [1])
        return try value.item()
    }

    /// The gradient `backward()` gives the student, and checks that the teacher (a tensor that
    /// would accept one) gets none.
    func studentGradient(_ loss: any DistillationLoss, student: [Float], teacher: [Float]?, labels: [Int], epoch: Int = 0,
                         file: StaticString = #filePath, line: UInt = #line) throws -> [Float] {
        let shape = [labels.count, student.count / labels.count]
        let studentTensor = try tensor(student, shape, requiresGrad: true)
        let teacherTensor = try teacher.map { try tensor($0, shape, requiresGrad: true) }
        let step = logitStep(student: studentTensor, teachers: teacherTensor.map { [$0] } ?? [], labels: labels, epoch: epoch)
        try loss.loss(step).backward()
        XCTAssertNil(teacherTensor?.grad, "the teacher got a gradient", file: file, line: line)
        return try XCTUnwrap(studentTensor.grad, "the student got no gradient", file: file, line: line).toArray()
    }

    /// Central finite differences of the loss with respect to the student logits, teacher fixed.
    func checkStudentGradients(_ loss: any DistillationLoss, student: [Float], teacher: [Float]?, labels: [Int], epoch: Int = 0,
                               step: Float = 1e-2, tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line) throws {
        let shape = [labels.count, student.count / labels.count]
        try checkGradients([(student, shape)], step: step, tolerance: tolerance, file: file, line: line) { inputs in
            let teachers = try teacher.map { [try tensor($0, shape)] } ?? []
            return try loss.loss(logitStep(student: inputs[0], teachers: teachers, labels: labels, epoch: epoch))
        }
    }
}

/// Double-precision row helpers for the CPU references.
enum Reference {
    static func rows(_ values: [Float], columns: Int) -> [[Double]] {
        stride(from: 0, to: values.count, by: columns).map { values[$0..<$0 + columns].map(Double.init) }
    }

    static func softmax(_ row: [Double], temperature: Double = 1) -> [Double] {
        let scaled = row.map { $0 / temperature }
        let top = scaled.max()!
        let exponentials = scaled.map { Foundation.exp($0 - top) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }

    static func logSoftmax(_ row: [Double], temperature: Double = 1) -> [Double] {
        let scaled = row.map { $0 / temperature }
        let top = scaled.max()!
        let logTotal = Foundation.log(scaled.map { Foundation.exp($0 - top) }.reduce(0, +)) + top
        return scaled.map { $0 - logTotal }
    }

    /// Σ_c p_c (log p_c − log q_c), with 0 where p_c = 0.
    static func kl(_ p: [Double], _ q: [Double]) -> Double {
        zip(p, q).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * (Foundation.log($1.0) - Foundation.log($1.1)) : 0) }
    }
}

/// Random logits `[rows, columns]` spread over `range`.
func randomLogits(_ rows: Int, _ columns: Int, seed: UInt64, in range: ClosedRange<Float> = -3...3) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return generator.floats(rows * columns, in: range)
}
