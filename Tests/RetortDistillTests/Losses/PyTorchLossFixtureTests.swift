import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Retort's logit losses against PyTorch on one fixed batch. The fixture
/// (`Fixtures/kd_losses.safetensors`) comes from `Benchmarks/peers/kd_fixtures.py`, which writes the
/// logits, the labels, and each loss's value and gradient with respect to the student logits
/// (autograd), computed with the formulas of the methods' reference code.
final class PyTorchLossFixtureTests: ContextTestCase {
    private var fixtures: SafeTensors!

    override func setUpWithError() throws {
        try super.setUpWithError()
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kd_losses.safetensors")
        fixtures = try SafeTensors(contentsOf: url)
    }

    func testKnowledgeDistillationT4() throws { try check("kd_t4", KnowledgeDistillation(temperature: 4)) }
    func testDecoupledKD() throws { try check("dkd", DecoupledKD(alpha: 1, beta: 8, temperature: 4, warmupEpochs: 20), epoch: 19) }
    func testDecoupledKDDuringWarmup() throws {
        // Warm-up factor 0.25: the fifth epoch (4, counted from 0) of 20.
        try check("dkd_t1", DecoupledKD(alpha: 2, beta: 0.5, temperature: 1, warmupEpochs: 20), epoch: 4)
    }
    func testNormalizedKDImageNetDefaults() throws { try check("nkd_t1", NormalizedKD(temperature: 1, gamma: 1.5)) }
    func testNormalizedKDCIFARSettings() throws { try check("nkd_t3", NormalizedKD(temperature: 3, gamma: 3.5)) }
    func testTeacherFreeNKD() throws { try check("tf_nkd", TeacherFreeNKD(), teacher: false) }
    func testDISTTau1() throws { try check("dist_t1", DIST(temperature: 1)) }
    func testDISTTau4() throws { try check("dist_t4", DIST(temperature: 4)) }

    /// The loss value (relative to max(1, |value|)) and the gradient (relative to its largest
    /// element) within 1e-4 of PyTorch's.
    private func check(_ name: String, _ loss: any DistillationLoss, epoch: Int = 0, teacher: Bool = true) throws {
        let studentValues = try XCTUnwrap(fixtures["student"]).floats(), teacherValues = try XCTUnwrap(fixtures["teacher"]).floats()
        let labels = try XCTUnwrap(fixtures["labels"]).floats().map { Int($0) }
        let shape = try XCTUnwrap(fixtures["student"]).shape
        XCTAssertEqual(shape, [labels.count, 10])
        let expectedValue = Double(try XCTUnwrap(fixtures["\(name).value"], "fixture lacks \(name)").floats()[0])
        let expectedGradient = try XCTUnwrap(fixtures["\(name).grad"]).floats().map(Double.init)

        let student = try tensor(studentValues, shape, requiresGrad: true)
        let teachers = teacher ? [try tensor(teacherValues, shape, requiresGrad: true)] : []
        let value = try loss.loss(logitStep(student: student, teachers: teachers, labels: labels, epoch: epoch))
        try value.backward()
        let actualValue = Double(try value.item())
        let gradient = try XCTUnwrap(student.grad).toArray()

        let valueError = abs(actualValue - expectedValue) / max(1, abs(expectedValue))
        let scale = expectedGradient.map(abs).max()!
        let gradientError = zip(gradient, expectedGradient).map { abs(Double($0) - $1) }.max()! / scale
        XCTAssert(gradient.allSatisfy(\.isFinite), "\(name): non-finite gradient")
        print("PyTorch \(name): value \(actualValue) vs \(expectedValue) (relative error \(valueError)), gradient relative error \(gradientError)")
        XCTAssertLessThanOrEqual(valueError, 1e-4, "\(name) value")
        XCTAssertLessThanOrEqual(gradientError, 1e-4, "\(name) gradient")
        XCTAssertNil(teachers.first?.grad, "\(name): the teacher got a gradient")
    }
}
