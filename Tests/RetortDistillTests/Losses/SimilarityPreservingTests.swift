import XCTest
import Retort
import RetortNN
import RetortDistill
import RetortTestSupport

/// RepDistiller `SP.similarity_loss` in Double: `G = normalize(A Aᵀ, dim=1)`, `Σ (G_t − G_s)² / B²`.
private func similarityReference(student: [Float], teacher: [Float], batch: Int) -> Double {
    func gram(_ a: [Float]) -> [Double] {
        let width = a.count / batch
        var g = [Double](repeating: 0, count: batch * batch)
        for i in 0..<batch {
            for j in 0..<batch {
                g[i * batch + j] = (0..<width).reduce(0.0) { $0 + Double(a[i * width + $1]) * Double(a[j * width + $1]) }
            }
            let norm = max((0..<batch).reduce(0.0) { $0 + g[i * batch + $1] * g[i * batch + $1] }.squareRoot(), 1e-12)
            for j in 0..<batch { g[i * batch + j] /= norm }
        }
        return g
    }
    let (gs, gt) = (gram(student), gram(teacher))
    return zip(gt, gs).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(batch * batch)
}

final class SimilarityPreservingTests: ContextTestCase {
    private var random = SplitMix64(seed: 41)

    /// Taps with one stage feature map and pooled features; logits are unused by SP.
    private func taps(stage: [Float], _ stageShape: [Int], pooled: [Float]? = nil, width: Int = 3) throws -> FeatureTaps {
        let batch = stageShape[0]
        return FeatureTaps(stages: [try tensor(random.floats(batch * 2), [batch, 2]), try tensor(stage, stageShape)],
                           pooled: try tensor(pooled ?? random.floats(batch * width), [batch, width]),
                           logits: try tensor(random.floats(batch * 4), [batch, 4]))
    }

    func testValueMatchesReferenceOnTheLastStage() throws {
        let s = random.floats(5 * 3 * 2 * 2, in: 0...1), t = random.floats(5 * 4 * 2 * 2, in: 0...1)
        let step = DistillationStep(student: try taps(stage: s, [5, 3, 2, 2]), teachers: [try taps(stage: t, [5, 4, 2, 2])],
                                    labels: [0, 1, 2, 3, 0])
        let value = try SimilarityPreserving().loss(step).item()
        let expected = similarityReference(student: s, teacher: t, batch: 5)
        XCTAssertGreaterThan(expected, 1e-3)
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected) + 1e-6)
    }

    /// A square Gram matrix whose rows must be normalized (not its columns): B == D on pooled features.
    func testPooledTapNormalizesRowsOfSquareMatrices() throws {
        let s = random.floats(4 * 4), t = random.floats(4 * 4)
        let step = DistillationStep(student: try taps(stage: random.floats(4 * 2), [4, 2], pooled: s, width: 4),
                                    teachers: [try taps(stage: random.floats(4 * 2), [4, 2], pooled: t, width: 4)], labels: [0, 1, 2, 3])
        let value = try SimilarityPreserving(feature: .pooled).loss(step).item()
        let expected = similarityReference(student: s, teacher: t, batch: 4)
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected) + 1e-7)
    }

    func testStageIndexSelectsThatStage() throws {
        let s = random.floats(3 * 6), t = random.floats(3 * 5)
        let student = FeatureTaps(stages: [try tensor(s, [3, 6]), try tensor(random.floats(3 * 2), [3, 2])],
                                  pooled: try tensor(random.floats(3 * 2), [3, 2]), logits: try tensor(random.floats(6), [3, 2]))
        let teacher = FeatureTaps(stages: [try tensor(t, [3, 5]), try tensor(random.floats(3 * 2), [3, 2])],
                                  pooled: try tensor(random.floats(3 * 2), [3, 2]), logits: try tensor(random.floats(6), [3, 2]))
        let value = try SimilarityPreserving(feature: .stage(0)).loss(DistillationStep(student: student, teachers: [teacher], labels: [0, 1, 0])).item()
        XCTAssertEqual(Double(value), similarityReference(student: s, teacher: t, batch: 3), accuracy: 1e-6)
    }

    func testIdenticalOrRescaledFeaturesGiveZero() throws {
        let s = random.floats(4 * 3 * 2 * 2, in: 0...1)
        for factor: Float in [1, 3.5] {
            let step = DistillationStep(student: try taps(stage: s, [4, 3, 2, 2]), teachers: [try taps(stage: s.map { $0 * factor }, [4, 3, 2, 2])],
                                        labels: [0, 1, 2, 3])
            // Rows of the Gram matrix are normalized: scaling every feature leaves G unchanged.
            XCTAssertEqual(try SimilarityPreserving().loss(step).item(), 0, accuracy: 1e-6)
        }
    }

    func testSeveralTeachersAverage() throws {
        let s = random.floats(4 * 6), t1 = random.floats(4 * 5), t2 = random.floats(4 * 7)
        let step = DistillationStep(student: try taps(stage: s, [4, 6]),
                                    teachers: [try taps(stage: t1, [4, 5]), try taps(stage: t2, [4, 7])], labels: [0, 1, 2, 3])
        let expected = (similarityReference(student: s, teacher: t1, batch: 4) + similarityReference(student: s, teacher: t2, batch: 4)) / 2
        XCTAssertEqual(Double(try SimilarityPreserving().loss(step).item()), expected, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let t = random.floats(4 * 3 * 2 * 2, in: 0...1)
        let teacher = try taps(stage: t, [4, 3, 2, 2])
        // × 3000 (the reference weight) so that the gradient is O(1) and the check can fail.
        try checkGradients([(random.floats(4 * 2 * 2 * 2, in: 0...1), [4, 2, 2, 2])], step: 1e-2, tolerance: 2e-2) { inputs in
            let student = FeatureTaps(stages: [inputs[0]], pooled: try tensor(random.floats(8), [4, 2]), logits: try tensor(random.floats(8), [4, 2]))
            return try SimilarityPreserving().loss(DistillationStep(student: student, teachers: [teacher], labels: [0, 1, 0, 1]))
                .scaled(by: SimilarityPreserving.defaultWeight)
        }
    }

    func testTeacherGetsNoGradient() throws {
        let student = FeatureTaps(stages: [try tensor(random.floats(12), [3, 4], requiresGrad: true)], pooled: try tensor(random.floats(6), [3, 2]),
                                  logits: try tensor(random.floats(6), [3, 2]))
        let teacherFeature = try tensor(random.floats(12), [3, 4], requiresGrad: true)
        let teacher = FeatureTaps(stages: [teacherFeature], pooled: try tensor(random.floats(6), [3, 2]), logits: try tensor(random.floats(6), [3, 2]))
        try SimilarityPreserving().loss(DistillationStep(student: student, teachers: [teacher], labels: [0, 1, 0])).backward()
        XCTAssertNotNil(student.stages[0].grad)
        XCTAssertNil(teacherFeature.grad)
    }

    func testMissingTeacherOrStagesIsAnError() throws {
        let plain = FeatureTaps(pooled: try tensor(random.floats(6), [3, 2]), logits: try tensor(random.floats(6), [3, 2]))
        XCTAssertThrowsError(try SimilarityPreserving().loss(DistillationStep(student: plain, labels: [0, 1, 0]))) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "sp"))
        }
        XCTAssertThrowsError(try SimilarityPreserving().loss(DistillationStep(student: plain, teachers: [plain], labels: [0, 1, 0]))) { error in
            guard case .invalidConfiguration(let message) = error as? DistillationError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("stage"), message)
        }
        let loss = SimilarityPreserving()
        XCTAssertEqual(loss.name, "sp")
        XCTAssertEqual(loss.teacherCount, 1...Int.max)
    }
}
