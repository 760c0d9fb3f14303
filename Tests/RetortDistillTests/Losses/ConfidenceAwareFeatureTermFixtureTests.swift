import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// CA-MKD's feature term against PyTorch. The fixture (`Fixtures/camkd_inter.safetensors`) comes from
/// `Benchmarks/peers/kd_fixtures.py`, which runs the reference's `CalWeight` and `CAMKD` forward
/// (three teachers of different map sizes, embeddings in training mode) and writes the value and
/// the autograd gradients with respect to the student's map and every embedding parameter.
final class ConfidenceAwareFeatureTermFixtureTests: ContextTestCase {
    func testValueAndGradientsMatchPyTorch() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/camkd_inter.safetensors")
        let fixtures = try SafeTensors(contentsOf: url)
        func values(_ name: String) throws -> [Float] { try XCTUnwrap(fixtures[name], "fixture lacks \(name)").floats() }
        func shape(_ name: String) throws -> [Int] { try XCTUnwrap(fixtures[name], "fixture lacks \(name)").shape }

        let labels = try values("labels").map { Int($0) }
        let studentShape = try shape("student")
        let teacherShapes = try (0..<3).map { Array(try shape("teacher\($0)").dropFirst()) }
        let classes = try shape("head0.weight")[0]
        let teachers = try teacherShapes.enumerated().map { k, teacherShape -> PoolingHeadTeacher in
            let teacher = try PoolingHeadTeacher(channels: teacherShape[0], classes: classes, seed: 0, context: context)
            try teacher.fc.weight.assign(values("head\(k).weight"))
            try XCTUnwrap(teacher.fc.bias).assign(values("head\(k).bias"))
            return teacher
        }
        let term = try ConfidenceAwareFeatureTerm(teachers: teachers, studentShape: Array(studentShape.dropFirst()),
                                                  teacherShapes: teacherShapes,
                                                  firstEpoch: 0, context: context)
        let named = term.embeddings.namedParameters()
        for (name, tensor) in named { try tensor.assign(values(name)) }

        let student = try tensor(values("student"), studentShape, requiresGrad: true)
        let logits = try tensor([Float](repeating: 0, count: labels.count * classes), [labels.count, classes])
        let teacherTaps = try teacherShapes.indices.map {
            FeatureTaps(stages: [try tensor(values("teacher\($0)"), try shape("teacher\($0)"))], pooled: logits, logits: logits)
        }
        let step = DistillationStep(student: FeatureTaps(stages: [student], pooled: logits, logits: logits), teachers: teacherTaps,
                                    labels: labels)
        let value = try term.loss(step)
        try value.backward()

        let expected = Double(try values("camkd_inter.value")[0])
        XCTAssertEqual(Double(try value.item()), expected, accuracy: 1e-4 * max(1, abs(expected)))
        var checked = [("student", try XCTUnwrap(student.grad).toArray(), try values("camkd_inter.grad"))]
        for (name, tensor) in named {
            checked.append((name, try XCTUnwrap(tensor.grad, "\(name) got no gradient").toArray(), try values("\(name).grad")))
        }
        XCTAssertEqual(checked.count, 13)
        // A conv bias before a training-mode batch norm has no effect (the norm subtracts the batch
        // mean): its true gradient is 0 and both sides give rounding noise, so each error is relative
        // to at least 1% of the largest gradient element of all.
        let largest = checked.flatMap { $0.2 }.map { abs(Double($0)) }.max()!
        for (name, actual, reference) in checked {
            let scale = max(reference.map { abs(Double($0)) }.max()!, largest / 100)
            let error = zip(actual, reference).map { abs(Double($0) - Double($1)) }.max()! / scale
            XCTAssertLessThanOrEqual(error, 1e-4, "\(name): gradient relative error \(error)")
        }
    }
}
