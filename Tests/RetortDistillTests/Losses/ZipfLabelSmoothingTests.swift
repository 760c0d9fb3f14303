import Foundation
import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Zipf targets in Double, as the reference builds them: scipy `rankdata(−s, method='min')` over
/// all classes, `rank^−power`, the target zeroed, normalised over the rest.
private func zipfTargets(_ logits: [Float], labels: [Int], power: Double) -> [[Double]] {
    let classes = logits.count / labels.count
    return labels.enumerated().map { i, label in
        let s = logits[(i * classes)..<((i + 1) * classes)].map(Double.init)
        let weights = (0..<classes).map { c -> Double in
            let rank = 1 + s.filter { $0 > s[c] }.count
            return c == label ? 0 : Foundation.pow(Double(rank), -power)
        }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}

/// The reference `kl_loss`: the target column removed, log-softmax over the C − 1 others,
/// Σ pdf·(log pdf − log p̂) per row, then the mean (or, masked, the mean over correct rows, 0 if none).
private func zipfLoss(_ logits: [Float], scores: [Float]? = nil, labels: [Int], power: Double, masked: Bool) -> Double {
    let classes = logits.count / labels.count
    let targets = zipfTargets(scores ?? logits, labels: labels, power: power)
    var rows: [Double] = [], correct: [Bool] = []
    for (i, label) in labels.enumerated() {
        let z = logits[(i * classes)..<((i + 1) * classes)].map(Double.init)
        let others = (0..<classes).filter { $0 != label }
        let top = others.map { z[$0] }.max()!
        let lse = top + Foundation.log(others.map { Foundation.exp(z[$0] - top) }.reduce(0, +))
        rows.append(others.map { j in targets[i][j] * (Foundation.log(targets[i][j]) - (z[j] - lse)) }.reduce(0, +))
        correct.append(z.firstIndex(of: z.max()!) == label)
    }
    guard masked else { return rows.reduce(0, +) / Double(rows.count) }
    let count = correct.filter { $0 }.count
    return count == 0 ? 0 : zip(rows, correct).filter(\.1).map(\.0).reduce(0, +) / Double(count)
}

final class ZipfLabelSmoothingTests: ContextTestCase {
    private func step(_ logits: Tensor, _ labels: [Int]) -> DistillationStep {
        DistillationStep(student: FeatureTaps(pooled: logits, logits: logits), labels: labels)
    }

    /// Rows of distinct logits at least 0.3 apart (finite differences never reorder them).
    private func spacedLogits(batch: Int, classes: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<batch).flatMap { _ -> [Float] in
            let order = Array(0..<classes).shuffled(using: &generator)
            let noise = generator.floats(classes, in: -0.1...0.1)
            return (0..<classes).map { Float(order[$0]) * 0.5 - Float(classes) * 0.25 + noise[$0] }
        }
    }

    func testDefaultsAndName() {
        let loss = ZipfLabelSmoothing()
        XCTAssertEqual(loss.power, 1)
        XCTAssertFalse(loss.masksIncorrect)
        XCTAssertTrue(loss.dense, "the reference's README commands rank by dense votes")
        XCTAssertTrue(loss.upsampled, "on the ×2 bilinear-upsampled map")
        XCTAssertEqual(loss.name, "zipf")
        XCTAssertEqual(loss.teacherCount, 0...0)
    }

    func testTiesShareTheSmallestRank() throws {
        let scores: [Float] = [4, 3, 3, 2, 1,
                               4, 3, 3, 2, 1,
                               1, 1, 1, 1, 1,
                               1, 5, 5, 0, 0]
        let (distribution, correct) = try tensor(scores, [4, 5]).zipfTargets(labels: [4, 0, 2, 1])
        // Ranks [1, 2, 2, 4, 5]; label 4: weights [1, ½, ½, ¼, 0] / 2.25.
        // Label 0: weights [0, ½, ½, ¼, ⅕] / 1.45 = [0, 10, 10, 5, 4] / 29.
        // All tied: every rank is 1; label 2: [1, 1, 0, 1, 1] / 4.
        // Ranks [3, 1, 1, 4, 4]; label 1: [⅓, 0, 1, ¼, ¼] / (11/6) = [2/11, 0, 6/11, 3/22, 3/22].
        let expected: [Double] = [4.0 / 9, 2.0 / 9, 2.0 / 9, 1.0 / 9, 0,
                                  0, 10.0 / 29, 10.0 / 29, 5.0 / 29, 4.0 / 29,
                                  0.25, 0.25, 0, 0.25, 0.25,
                                  2.0 / 11, 0, 6.0 / 11, 3.0 / 22, 3.0 / 22]
        XCTAssertLessThan(maxRelativeError(try distribution.toArray(), expected), 1e-6)
        // torch.argmax takes the first maximum: row 2 (all tied) picks class 0, row 3 picks class 1.
        XCTAssertEqual(try correct.toArray(), [0, 1, 0, 1])

        // power 2: weights [1, ¼, ¼, 1/16, 0] / (25/16).
        let squared = try tensor(Array(scores[0..<5]), [1, 5]).zipfTargets(labels: [4], power: 2).distribution.toArray()
        XCTAssertLessThan(maxRelativeError(squared, [16.0 / 25, 4.0 / 25, 4.0 / 25, 1.0 / 25, 0]), 1e-6)
    }

    func testDistributionSumsToOneWithZeroAtTheTarget() throws {
        // 150 classes: more columns than the kernel's 64 invocations per row.
        for (batch, classes, power) in [(9, 10, 1.0), (5, 150, 1.0), (6, 7, 1.7)] {
            var generator = SplitMix64(seed: UInt64(classes))
            let logits = generator.floats(batch * classes, in: -3...3)
            let labels = (0..<batch).map { ($0 * 7) % classes }
            let distribution = try tensor(logits, [batch, classes]).zipfTargets(labels: labels, power: Float(power)).distribution.toArray()
            for (i, label) in labels.enumerated() {
                let row = distribution[(i * classes)..<((i + 1) * classes)]
                XCTAssertEqual(row.map(Double.init).reduce(0, +), 1, accuracy: 1e-5)
                XCTAssertEqual(row[i * classes + label], 0, "the target gets exactly 0")
                XCTAssertTrue(row.enumerated().allSatisfy { $0.offset == label || $0.element > 0 })
            }
            XCTAssertLessThan(maxRelativeError(distribution, zipfTargets(logits, labels: labels, power: power).flatMap { $0 }), 1e-6)
        }
    }

    func testValueMatchesTheReference() throws {
        let (batch, classes) = (8, 6)
        let logits = spacedLogits(batch: batch, classes: classes, seed: 3)
        let labels = [0, 1, 2, 3, 4, 5, 0, 1]
        for power in [Float(1), 2] {
            for masked in [false, true] {
                let loss = ZipfLabelSmoothing(power: power, masksIncorrect: masked, dense: false)
                let value = try loss.loss(step(tensor(logits, [batch, classes]), labels)).item()
                let expected = zipfLoss(logits, labels: labels, power: Double(power), masked: masked)
                XCTAssertGreaterThan(expected, 1e-3)
                XCTAssertEqual(Double(value), expected, accuracy: 1e-5 * max(1, expected), "power \(power), masked \(masked)")
            }
        }
        // Some rows are correct and some are not, so the mask matters here.
        let argmaxes = (0..<batch).map { i in (0..<classes).max { logits[i * classes + $0] < logits[i * classes + $1] }! }
        let correct = zip(argmaxes, labels).filter { $0 == $1 }.count
        XCTAssertTrue(correct > 0 && correct < batch, "\(correct) correct rows")
    }

    func testGradientMatchesFiniteDifferences() throws {
        let (batch, classes) = (4, 5)
        let logits = spacedLogits(batch: batch, classes: classes, seed: 7)
        let labels = [1, 4, 0, 2]
        for masked in [false, true] {
            try checkGradients([(logits, [batch, classes])], tolerance: 2e-3) { t in
                try ZipfLabelSmoothing(masksIncorrect: masked, dense: false).loss(self.step(t[0], labels))
            }
        }
    }

    func testTargetLogitGetsExactlyZeroGradient() throws {
        let (batch, classes) = (5, 4)
        let logits = spacedLogits(batch: batch, classes: classes, seed: 11)
        let labels = [0, 1, 2, 3, 0]
        let z = try tensor(logits, [batch, classes], requiresGrad: true)
        try ZipfLabelSmoothing(dense: false).loss(step(z, labels)).backward()
        let gradient = try XCTUnwrap(z.grad).toArray()
        for (i, label) in labels.enumerated() {
            XCTAssertEqual(gradient[i * classes + label], 0, "row \(i): the loss does not depend on the target logit")
            // The non-target gradients of a row sum to 0 (softmax over the non-targets).
            XCTAssertEqual((0..<classes).map { Double(gradient[i * classes + $0]) }.reduce(0, +), 0, accuracy: 1e-6)
        }
    }

    func testLogitsThatMatchTheZipfPriorGiveZero() throws {
        // Non-target logits = log(dist) + const make the non-target softmax equal to dist: KL = 0.
        // The target (class 4) ranks first, so the others rank 2…5 → dist ∝ [½, ⅓, ¼, ⅕].
        let logits: [Float] = [2, 3, 4, 5].map { -Float(Foundation.log(Double($0))) } + [5]
        let value = try ZipfLabelSmoothing(dense: false).loss(step(tensor(logits, [1, 5]), [4])).item()
        XCTAssertEqual(value, 0, accuracy: 1e-6)
    }

    func testMaskWithNoCorrectSampleGivesZero() throws {
        let logits: [Float] = [3, 1, 0, -1, 2, 0.5]
        let z = try tensor(logits, [2, 3], requiresGrad: true)
        let value = try ZipfLabelSmoothing(masksIncorrect: true, dense: false).loss(step(z, [1, 2]))
        XCTAssertEqual(try value.item(), 0)
        try value.backward()
        XCTAssertEqual(try XCTUnwrap(z.grad).toArray(), [Float](repeating: 0, count: 6))
        XCTAssertGreaterThan(try ZipfLabelSmoothing(dense: false).loss(step(tensor(logits, [2, 3]), [1, 2])).item(), 0)
    }

    /// Dense mode ranks by the votes of the classifier over the (×2 upsampled) final feature map: a
    /// resnet8's map and fc on the host give the votes, and the loss is the reference's with them.
    func testDenseModeRanksByTheVotesOfTheFinalMap() throws {
        let model = try ModelZoo.make("resnet8", inputChannels: 1, inputSize: 28, classes: 10, context: context, seed: 5)
        var generator = SplitMix64(seed: 12)
        let x = try tensor(generator.floats(6 * 28 * 28, in: -1...1), [6, 1, 28, 28])
        let taps = try model.features(x)
        let map = try XCTUnwrap(taps.pooledMap)
        let labels = [0, 3, 5, 7, 9, 2]
        let weight = try model.namedParameters().first { $0.name == "fc.weight" }!.tensor.toArray().map(Double.init)
        let bias = try model.namedParameters().first { $0.name == "fc.bias" }!.tensor.toArray().map(Double.init)
        let logits = try taps.logits.toArray()
        for upsampled in [true, false] {
            let rows = ZipfOracle.positions(try map.toArray(), map.shape, upsampled: upsampled)
            let positionLogits = rows.map { row in
                (0..<10).map { c in bias[c] + row.indices.map { weight[c * row.count + $0] * row[$0] }.reduce(0, +) }
            }
            let votes = ZipfOracle.votes(positionLogits, samples: 6).flatMap { $0 }
            XCTAssertEqual(votes.reduce(0, +), Double(rows.count), "every position votes once")
            let loss = ZipfLabelSmoothing(upsampled: upsampled)
            let step = DistillationStep(student: taps, labels: labels, model: model)
            XCTAssertEqual(try loss.votes(step).toArray().map(Double.init), votes, "upsampled \(upsampled)")
            let expected = zipfLoss(logits, scores: votes.map(Float.init), labels: labels, power: 1, masked: false)
            XCTAssertEqual(Double(try loss.loss(step).item()), expected, accuracy: 1e-5 * max(1, expected))
            // The mask reads the logits' arg-max, not the votes'.
            let masked = zipfLoss(logits, scores: votes.map(Float.init), labels: labels, power: 1, masked: true)
            let maskedLoss = ZipfLabelSmoothing(masksIncorrect: true, upsampled: upsampled)
            XCTAssertEqual(Double(try maskedLoss.loss(step).item()), masked, accuracy: 1e-5 * max(1, masked))
            XCTAssertNotEqual(expected, zipfLoss(logits, labels: labels, power: 1, masked: false), accuracy: 1e-4,
                              "votes rank the classes otherwise than the logits")
        }
    }

    func testInvalidInputsThrow() throws {
        XCTAssertThrowsError(try ZipfLabelSmoothing(dense: false).loss(step(tensor([1, 2], [2, 1]), [0, 0])))
        XCTAssertThrowsError(try ZipfLabelSmoothing(dense: false).loss(step(tensor([1, 2, 3, 4], [2, 2]), [0, 2])))
        // Dense votes need the pooled map and the model.
        XCTAssertThrowsError(try ZipfLabelSmoothing().loss(step(tensor([1, 2, 3, 4], [2, 2]), [0, 1]))) {
            XCTAssert("\($0)".contains("--zipf-dense false"), "\($0)")
        }
        XCTAssertThrowsError(try tensor([1, 2, 3, 4], [2, 2]).zipfTargets(labels: [0]))
    }
}
