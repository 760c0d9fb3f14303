import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// `−(1/B) Σ_i Σ_c ỹ[i, c] log softmax(z_i)_c` and its gradient `(softmax(z) − ỹ)/B`.
private func softCrossEntropy(_ logits: [Float], targets: [[Double]]) -> (value: Double, gradient: [Double]) {
    let classes = targets[0].count
    var value = 0.0, gradient: [Double] = []
    for (i, target) in targets.enumerated() {
        let z = logits[(i * classes)..<((i + 1) * classes)].map(Double.init)
        let top = z.max()!
        let lse = top + Foundation.log(z.map { Foundation.exp($0 - top) }.reduce(0, +))
        value -= zip(target, z).map { $0 * ($1 - lse) }.reduce(0, +)
        gradient += zip(z, target).map { (Foundation.exp($0 - lse) - $1) / Double(targets.count) }
    }
    return (value / Double(targets.count), gradient)
}

/// PyTorch's smoothed one-hot: `(1 − ε)·onehot + ε/C`.
private func smoothedOneHot(_ labels: [Int], classes: Int, epsilon: Double) -> [[Double]] {
    labels.map { y in (0..<classes).map { ($0 == y ? 1 - epsilon : 0) + epsilon / Double(classes) } }
}

final class LabelSmoothingTests: ContextTestCase {
    private func step(_ logits: Tensor, _ labels: [Int], targets: Tensor? = nil) -> DistillationStep {
        DistillationStep(student: FeatureTaps(pooled: logits, logits: logits), labels: labels, targets: targets)
    }

    private let classes = 5
    private let labels = [0, 3, 4, 1, 3, 2]

    private func logits(seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return generator.floats(labels.count * classes, in: -4...4)
    }

    /// Mixed soft labels: rows of a·onehot(y1) + (1 − a)·onehot(y2).
    private var mixedTargets: [[Double]] {
        let pairs: [(Int, Int, Double)] = [(0, 2, 0.6), (3, 3, 1), (4, 1, 0.25), (1, 0, 0.5), (3, 4, 0.8), (2, 1, 0.9)]
        return pairs.map { y1, y2, a -> [Double] in
            (0..<classes).map { c -> Double in (c == y1 ? a : 0) + (c == y2 ? 1 - a : 0) }
        }
    }

    func testSmoothedLabelsMatchTheReference() throws {
        let z = logits(seed: 1)
        for epsilon in [Float(0.1), 0, 0.5] {
            let x = try tensor(z, [labels.count, classes], requiresGrad: true)
            let value = try CrossEntropyLoss(labelSmoothing: epsilon).loss(step(x, labels))
            let expected = softCrossEntropy(z, targets: smoothedOneHot(labels, classes: classes, epsilon: Double(epsilon)))
            XCTAssertEqual(Double(try value.item()), expected.value, accuracy: 1e-5 * max(1, expected.value), "ε = \(epsilon)")
            try value.backward()
            XCTAssertLessThan(maxRelativeError(try XCTUnwrap(x.grad).toArray(), expected.gradient), 1e-6, "ε = \(epsilon)")
        }
        XCTAssertEqual(CrossEntropyLoss(labelSmoothing: 0.1).name, "ce(ls 0.1)")
        XCTAssertEqual(CrossEntropyLoss().name, "ce")
    }

    func testSmoothingRaisesTheLossOfAConfidentCorrectPrediction() throws {
        // Hand check: z = [10, 0, 0], label 0. Without smoothing the loss is log(1 + 2e⁻¹⁰) ≈ 9.08e-5;
        // with ε = 0.1 it adds (ε/3)·(10 + 10) (the two wrong classes at log p ≈ −10) ≈ 0.6667.
        let x = try tensor([10, 0, 0], [1, 3])
        let plain = try CrossEntropyLoss().loss(step(x, [0])).item()
        let smoothed = try CrossEntropyLoss(labelSmoothing: 0.1).loss(step(x, [0])).item()
        let logP0 = -Foundation.log(1 + 2 * Foundation.exp(-10.0)), logPk = -10 + logP0
        XCTAssertEqual(Double(plain), -logP0, accuracy: 1e-6)
        XCTAssertEqual(Double(smoothed), -(0.9 + 0.1 / 3) * logP0 - 2 * (0.1 / 3) * logPk, accuracy: 1e-5)
    }

    func testSoftTargetsMatchTheReference() throws {
        let z = logits(seed: 2)
        for epsilon in [Float(0), 0.1] {
            let targets = try tensor(mixedTargets.flatMap { $0.map(Float.init) }, [labels.count, classes])
            let x = try tensor(z, [labels.count, classes], requiresGrad: true)
            let value = try CrossEntropyLoss(labelSmoothing: epsilon).loss(step(x, labels, targets: targets))
            // Smoothing applies to the soft targets the same way: (1 − ε)·ỹ + ε/C.
            let smoothed = mixedTargets.map { $0.map { (1 - Double(epsilon)) * $0 + Double(epsilon) / Double(classes) } }
            let expected = softCrossEntropy(z, targets: smoothed)
            XCTAssertEqual(Double(try value.item()), expected.value, accuracy: 1e-5 * max(1, expected.value), "ε = \(epsilon)")
            try value.backward()
            XCTAssertLessThan(maxRelativeError(try XCTUnwrap(x.grad).toArray(), expected.gradient), 1e-6, "ε = \(epsilon)")
            try checkGradients([(z, [labels.count, classes])], tolerance: 2e-3) { t in
                try CrossEntropyLoss(labelSmoothing: epsilon).loss(self.step(t[0], self.labels, targets: targets))
            }
        }
    }

    func testOneHotSoftTargetsEqualTheHardLabelPath() throws {
        let z = logits(seed: 3)
        let oneHot = try Tensor.oneHot(labels, classes: classes, context: context)
        for epsilon in [Float(0), 0.1] {
            let hard = try CrossEntropyLoss(labelSmoothing: epsilon).loss(step(tensor(z, [labels.count, classes]), labels)).item()
            let soft = try CrossEntropyLoss(labelSmoothing: epsilon).loss(step(tensor(z, [labels.count, classes]), labels, targets: oneHot)).item()
            XCTAssertEqual(soft, hard, accuracy: 1e-5, "ε = \(epsilon)")
        }
    }
}
