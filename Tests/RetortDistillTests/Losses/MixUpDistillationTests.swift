import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

private func rows(_ values: [Float], classes: Int) -> [[Double]] {
    stride(from: 0, to: values.count, by: classes).map { values[$0..<($0 + classes)].map(Double.init) }
}

private func logSoftmax(_ x: [Double]) -> [Double] {
    let top = x.max()!
    let lse = top + Foundation.log(x.map { Foundation.exp($0 - top) }.reduce(0, +))
    return x.map { $0 - lse }
}

/// torch.std (unbiased, ÷(C − 1)).
private func standardDeviation(_ x: [Double]) -> Double {
    let mean = x.reduce(0, +) / Double(x.count)
    return (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count - 1)).squareRoot()
}

/// MIX-KD's KD term: KLDivLoss(batchmean)(log_softmax(z_s/σ_s), softmax(z_t/σ_t)); with a fixed T,
/// T² · batchmean KL at temperature T. Plus `gamma · (−(1/B) Σ ỹ log_softmax(scaled z_s))`.
private func mixReference(student: [Float], teacher: [Float], classes: Int, temperature: Double?,
                          gamma: Double = 0, targets: [[Double]]? = nil) -> Double {
    let s = rows(student, classes: classes), t = rows(teacher, classes: classes)
    var kl = 0.0, ce = 0.0
    for i in s.indices {
        let ts = temperature ?? standardDeviation(s[i]), tt = temperature ?? standardDeviation(t[i])
        let logPs = logSoftmax(s[i].map { $0 / ts }), logPt = logSoftmax(t[i].map { $0 / tt })
        kl += zip(logPt, logPs).map { Foundation.exp($0) * ($0 - $1) }.reduce(0, +)
        if let targets { ce -= zip(targets[i], logPs).map(*).reduce(0, +) }
    }
    let scale = temperature.map { $0 * $0 } ?? 1
    return (scale * kl + gamma * ce) / Double(s.count)
}

final class MixUpDistillationTests: ContextTestCase {
    private func step(student: Tensor, teacher: [Float]?, labels: [Int], targets: Tensor? = nil) throws -> DistillationStep {
        let teachers = try teacher.map { values -> [FeatureTaps] in
            let t = try tensor(values, student.shape)
            return [FeatureTaps(pooled: t, logits: t)]
        } ?? []
        return DistillationStep(student: FeatureTaps(pooled: student, logits: student), teachers: teachers, labels: labels, targets: targets)
    }

    private func logits(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -3...3) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return generator.floats(count, in: range)
    }

    func testDefaultsAndName() {
        let loss = MixUpDistillation()
        XCTAssertNil(loss.temperature)
        XCTAssertEqual(loss.classificationWeight, 0)
        XCTAssertEqual(loss.name, "mixkd")
        XCTAssertEqual(loss.teacherCount, 1...1)
    }

    func testStandardDeviationTemperatureMatchesTheReference() throws {
        // B == C too: the per-row scaling must not be mistaken for a per-column one.
        for (batch, classes, seed) in [(6, 10, UInt64(1)), (5, 5, 2), (3, 100, 3)] {
            let (s, t) = (logits(batch * classes, seed: seed), logits(batch * classes, seed: seed + 100, in: -8...8))
            let value = try MixUpDistillation().loss(step(student: tensor(s, [batch, classes]), teacher: t, labels: Array(repeating: 0, count: batch))).item()
            let expected = mixReference(student: s, teacher: t, classes: classes, temperature: nil)
            XCTAssertGreaterThan(expected, 1e-3)
            XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected), "[\(batch), \(classes)]")
        }
    }

    func testFixedTemperatureIsPlainKD() throws {
        let (batch, classes) = (4, 7)
        let (s, t) = (logits(batch * classes, seed: 4), logits(batch * classes, seed: 5))
        for temperature in [Float(1), 4] {
            let value = try MixUpDistillation(temperature: temperature)
                .loss(step(student: tensor(s, [batch, classes]), teacher: t, labels: [0, 1, 2, 3])).item()
            let expected = mixReference(student: s, teacher: t, classes: classes, temperature: Double(temperature))
            XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected), "T = \(temperature)")
        }
    }

    func testGradientFlowsThroughTheStandardDeviation() throws {
        let (batch, classes) = (3, 5)
        let (s, t) = (logits(batch * classes, seed: 6), logits(batch * classes, seed: 7))
        try checkGradients([(s, [batch, classes])], tolerance: 2e-3) { x in
            try MixUpDistillation().loss(self.step(student: x[0], teacher: t, labels: [0, 1, 2]))
        }
        // Holding σ_s fixed would give a different gradient: (p_s − p_t)/σ_s per row. Make sure the
        // flow through σ_s is not negligible here, so the check above means something.
        let z = try tensor(s, [batch, classes], requiresGrad: true)
        try MixUpDistillation().loss(step(student: z, teacher: t, labels: [0, 1, 2])).backward()
        let gradient = try XCTUnwrap(z.grad).toArray()
        let student = rows(s, classes: classes), teacher = rows(t, classes: classes)
        let fixedSigma = (0..<batch).flatMap { i -> [Double] in
            let ss = standardDeviation(student[i]), st = standardDeviation(teacher[i])
            let ps = logSoftmax(student[i].map { $0 / ss }).map(Foundation.exp), pt = logSoftmax(teacher[i].map { $0 / st }).map(Foundation.exp)
            return zip(ps, pt).map { ($0 - $1) / ss / Double(batch) }
        }
        XCTAssertGreaterThan(maxRelativeError(gradient, fixedSigma), 1e-3)
        // Scaling a row by a positive factor leaves z/σ unchanged: the gradient is orthogonal to z.
        for i in 0..<batch {
            let dot = (0..<classes).map { Double(gradient[i * classes + $0]) * student[i][$0] }.reduce(0, +)
            XCTAssertEqual(dot, 0, accuracy: 1e-6)
        }
    }

    func testIdenticalLogitsGiveZero() throws {
        let values = logits(12, seed: 8)
        let z = try tensor(values, [3, 4], requiresGrad: true)
        let value = try MixUpDistillation().loss(step(student: z, teacher: values, labels: [0, 1, 2]))
        XCTAssertEqual(try value.item(), 0)
        try value.backward()
        XCTAssertEqual(try XCTUnwrap(z.grad).toArray(), [Float](repeating: 0, count: 12))
    }

    func testStandardizedTemperatureIgnoresScaleAndShift() throws {
        // softmax(z/σ(z)) is unchanged when a row is multiplied by a > 0 and shifted.
        let (s, t) = (logits(10, seed: 9), logits(10, seed: 10))
        let base = try MixUpDistillation().loss(step(student: tensor(s, [2, 5]), teacher: t, labels: [0, 1])).item()
        let moved = try MixUpDistillation().loss(step(student: tensor(s.map { 3 * $0 + 2 }, [2, 5]), teacher: t.map { 0.5 * $0 - 1 },
                                                      labels: [0, 1])).item()
        XCTAssertEqual(moved, base, accuracy: 1e-5)
        XCTAssertGreaterThan(base, 1e-3)
    }

    func testClassificationTermOnScaledLogits() throws {
        let (batch, classes) = (4, 6)
        let (s, t) = (logits(batch * classes, seed: 11), logits(batch * classes, seed: 12))
        // Mixed soft labels: a·onehot(y1) + (1 − a)·onehot(y2).
        let mix: [(Int, Int, Double)] = [(0, 3, 0.7), (1, 1, 1), (5, 2, 0.4), (4, 0, 0.9)]
        let soft = mix.map { y1, y2, a -> [Double] in (0..<classes).map { c -> Double in (c == y1 ? a : 0) + (c == y2 ? 1 - a : 0) } }
        let targets = try tensor(soft.flatMap { $0.map(Float.init) }, [batch, classes])
        let gamma: Float = 0.1 / 0.9
        let loss = MixUpDistillation(classificationWeight: gamma)
        let value = try loss.loss(step(student: tensor(s, [batch, classes]), teacher: t, labels: [0, 1, 5, 4], targets: targets)).item()
        let expected = mixReference(student: s, teacher: t, classes: classes, temperature: nil, gamma: Double(gamma), targets: soft)
        XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected))
        // Without soft targets the labels are used one-hot.
        let hard = try loss.loss(step(student: tensor(s, [batch, classes]), teacher: t, labels: [0, 1, 5, 4])).item()
        let oneHot = [0, 1, 5, 4].map { y in (0..<classes).map { $0 == y ? 1.0 : 0 } }
        XCTAssertEqual(Double(hard), mixReference(student: s, teacher: t, classes: classes, temperature: nil, gamma: Double(gamma), targets: oneHot),
                       accuracy: 1e-5)
        try checkGradients([(s, [batch, classes])], tolerance: 2e-3) { x in
            try loss.loss(self.step(student: x[0], teacher: t, labels: [0, 1, 5, 4], targets: targets))
        }
    }

    func testMissingTeacherIsAnError() throws {
        XCTAssertThrowsError(try MixUpDistillation().loss(step(student: tensor([1, 2, 3, 4], [2, 2]), teacher: nil, labels: [0, 1]))) { error in
            XCTAssertEqual(error as? DistillationError, .missingTeacher(loss: "mixkd"))
        }
    }
}
