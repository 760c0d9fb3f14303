import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Every method's objective, as `retort distill` / `retort selfdistill` build it, runs a step and
/// sends a gradient to the student; defaults follow the references.
final class DistillationMethodTests: ContextTestCase {
    private var random = SplitMix64(seed: 41)
    // batch == classes: per-row and per-column operands look alike, so every loss must name its axis.
    private let (batch, classes, width) = (5, 5, 8)

    private func taps(requiresGrad: Bool) throws -> FeatureTaps {
        let stage = try tensor(random.floats(batch * 2 * 2 * 2), [batch, 2, 2, 2], requiresGrad: requiresGrad)
        let pooled = try tensor(random.floats(batch * width), [batch, width], requiresGrad: requiresGrad)
        let logits = try tensor(random.floats(batch * classes, in: -3...3), [batch, classes], requiresGrad: requiresGrad)
        return FeatureTaps(stages: [stage], pooled: pooled, logits: logits)
    }

    private func setup(_ options: [String: Double] = [:], teachers: [any Classifier] = []) -> DistillationSetup {
        DistillationSetup(options: options, classes: classes, trainingLabels: (0..<40).map { $0 % classes }, studentFeatures: width,
                          teacherFeatures: [width, width], teachers: teachers, studentStage: [2, 2, 2],
                          teacherStages: teachers.map { _ in [2, 2, 2] }, seed: 1, context: context)
    }

    func testEveryMethodRunsAStepAndTrainsTheStudent() throws {
        let labels = [0, 1, 2, 3, 4]
        // CA-MKD's feature term runs the teachers' heads on the student's embedded map, from epoch 0 here.
        let heads = try (0..<2).map { try PoolingHeadTeacher(channels: 2, classes: classes, seed: UInt64($0), context: context) }
        for method in DistillationMethod.allCases {
            // These taps come from no network: Zipf ranks by the logits here (its dense votes are tested in its own tests).
            let (objective, mixUp) = try method.makeObjective(method == .camkd ? setup(["camkd-inter-from": 0], teachers: heads)
                                                              : setup(method == .zipf ? ["zipf-dense": 0] : [:]))
            let student = try taps(requiresGrad: true)
            let teachers = try context.noGrad { try (0..<(method == .camkd ? 2 : 1)).map { _ in try taps(requiresGrad: false) } }
            let needsTeacher = DistillationMethod.offline.contains(method)
            var targets: Tensor?
            if let mixUp {
                XCTAssertEqual(method, .mixkd)
                XCTAssertEqual(mixUp.unmixedFraction, 0.9)
                targets = try Tensor.oneHot(labels, classes: classes, context: context)
            }
            let step = DistillationStep(student: student, teachers: needsTeacher ? teachers : [], labels: labels, indices: Array(0..<batch),
                                        epoch: 0, targets: targets)
            let loss = try objective.loss(step)
            let value = try loss.item()
            XCTAssert(value.isFinite, "\(method): \(value)")
            try loss.backward()
            let gradient = try XCTUnwrap(student.logits.grad, "\(method) gives the logits no gradient").toArray()
            XCTAssert(gradient.contains { $0 != 0 }, "\(method)")
            try context.noGrad { try objective.update(after: step) }
            XCTAssertEqual(objective.teacherCount.contains(0), !needsTeacher || method == .crossEntropy, "\(method): \(objective.teacherCount)")
        }
    }

    func testKDObjectiveIsTheReferenceWeightedSum() throws {
        let student = try taps(requiresGrad: false), teacher = try taps(requiresGrad: false)
        let labels = [4, 3, 2, 1, 0]
        let step = DistillationStep(student: student, teachers: [teacher], labels: labels)
        let objective = try DistillationMethod.kd.makeObjective(setup()).objective
        let ce = try student.logits.crossEntropy(labels: labels).item()
        let kd = try KnowledgeDistillation(temperature: 4).loss(step).item()
        XCTAssertEqual(try objective.loss(step).item(), 0.1 * ce + 0.9 * kd, accuracy: 1e-5)
        let custom = try DistillationMethod.kd.makeObjective(setup(["ce-weight": 1, "loss-weight": 0.5, "temperature": 1])).objective
        let kd1 = try KnowledgeDistillation(temperature: 1).loss(step).item()
        XCTAssertEqual(try custom.loss(step).item(), ce + 0.5 * kd1, accuracy: 1e-5)
        XCTAssertEqual(objective.name, "0.1·ce + 0.9·kd")
    }

    func testNamesAndErrors() {
        XCTAssertEqual(try DistillationMethod(name: "dkd"), .dkd)
        XCTAssertThrowsError(try DistillationMethod(name: "bake", among: DistillationMethod.offline)) { error in
            XCTAssert("\(error)".contains("unknown method 'bake'") && "\(error)".contains("kd, dkd"), "\(error)")
        }
        XCTAssertEqual(DistillationMethod.sp.defaultLossWeight, 3000)
        XCTAssertEqual(DistillationMethod.kd.defaultCrossEntropyWeight, 0.1)
    }
}
