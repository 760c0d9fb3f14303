import Foundation
import XCTest
@testable import RetortDistill
import RetortTestSupport

/// PrUE's class means and scores against a host reference: class means from read-back softmax, and
/// each score as a central finite difference of `L = Σ_i |p̄[y_i] − p_i[y_i]|` (forward passes only)
/// with respect to the weight's mask, i.e. scaling the one weight by 1 ± h.
final class PredictionUncertaintyTests: ContextTestCase {
    private let source = SyntheticSource(count: 24, batchSize: 8, classes: 3, side: 8, seed: 5)

    /// A small plain CNN whose batch norms hold running statistics away from (0, 1).
    private func model() throws -> any Classifier {
        let model = try ModelZoo.make("plane2", inputChannels: 1, inputSize: 8, classes: 3, context: context, seed: 11)
        model.train()
        try context.noGrad {
            for batch in try source.epochBatches(7) { _ = try model(Tensor(batch.images, shape: batch.shape, context: context)) }
        }
        return model
    }

    /// Per sample of `epoch`: the label and the softmax of the logits, computed on the host in Double.
    private func probabilities(_ model: any Classifier, epoch: Int) throws -> [(label: Int, p: [Double])] {
        model.eval()
        var rows: [(Int, [Double])] = []
        for batch in try source.epochBatches(epoch) {
            let logits = try context.noGrad { try model(Tensor(batch.images, shape: batch.shape, context: context)).toArray() }
            for (row, label) in batch.labels.enumerated() {
                let z = logits[row * 3..<(row + 1) * 3].map(Double.init)
                let top = z.max()!
                let e = z.map { Foundation.exp($0 - top) }
                rows.append((label, e.map { $0 / e.reduce(0, +) }))
            }
        }
        return rows
    }

    private func referenceMeans(_ model: any Classifier) throws -> [Double] {
        var sums = [0.0, 0, 0], counts = [0.0, 0, 0]
        for (label, p) in try probabilities(model, epoch: 0) { sums[label] += p[label]; counts[label] += 1 }
        return zip(sums, counts).map { $0 / $1 }
    }

    private func referenceObjective(_ model: any Classifier, means: [Double]) throws -> Double {
        try probabilities(model, epoch: 1).reduce(0) { $0 + abs(means[$1.label] - $1.p[$1.label]) }
    }

    func testClassMeansMatchTheHostReference() throws {
        let model = try model()
        let means = try PredictionUncertainty.classMeanProbabilities(of: model, on: source, classes: 3)
        let expected = try referenceMeans(model)
        for c in 0..<3 { XCTAssertEqual(means[c], expected[c], accuracy: 1e-5, "class \(c)") }
        XCTAssert(means.allSatisfy { $0 > 0 && $0 < 1 })
    }

    func testScoresAreTheMaskGradientsOfTheUncertaintyObjective() throws {
        let model = try model()
        let masks = PruningMasks(ones: model, layers: .convolutions)
        let means = try referenceMeans(model)
        let result = try PredictionUncertainty.scores(of: model, masks: masks, on: source, classMeans: means)
        XCTAssertEqual(result.objective, try referenceObjective(model, means: means), accuracy: 1e-4)
        XCTAssertEqual(Set(result.values.keys), Set(masks.names))
        for parameter in model.parameters() { XCTAssertEqual(try parameter.grad?.toArray().allSatisfy { $0 == 0 }, true, "gradients are zeroed after") }

        let parameters = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        let h: Float = 4e-3
        var checked = 0
        for name in masks.names {
            let scores = result.values[name]!
            XCTAssertEqual(scores.count, parameters[name]!.count)
            let ranked = scores.indices.sorted { scores[$0] > scores[$1] }
            // The three largest and two middling scores of each layer.
            for index in Array(ranked.prefix(3)) + [ranked[ranked.count / 4], ranked[ranked.count / 3]] {
                let weight = parameters[name]!
                let original = try weight.toArray()
                func objective(scale: Float) throws -> Double {
                    var values = original
                    values[index] *= scale
                    try weight.assign(values)
                    return try referenceObjective(model, means: means)
                }
                let numeric = abs(try objective(scale: 1 + h) - objective(scale: 1 - h)) / (2 * Double(h))
                try weight.assign(original)
                XCTAssertEqual(Double(scores[index]), numeric, accuracy: 0.03 * numeric + 2e-4, "\(name)[\(index)]")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 10)
        XCTAssertGreaterThan(result.values.values.flatMap { $0 }.max()!, 1e-3, "the scores are not all vanishing")
    }

    /// PrUE's ranking differs from magnitude's: the selection uses the scores, not |w|.
    func testPrUEMasksFollowTheScores() throws {
        let model = try model()
        let dense = PruningMasks(ones: model, layers: .convolutions)
        let means = try PredictionUncertainty.classMeanProbabilities(of: model, on: source, classes: 3)
        let scores = try PredictionUncertainty.scores(of: model, masks: dense, on: source, classMeans: means).values
        let prue = try dense.pruning(sparsity: 0.5, scores: scores)
        let magnitude = try dense.pruning(sparsity: 0.5, scores: dense.magnitudeScores(of: model))
        XCTAssertEqual(prue.prunedCount, magnitude.prunedCount)
        XCTAssertNotEqual(prue, magnitude)
        let pruned = prue.names.flatMap { name in zip(scores[name]!, prue.values[name]!).filter { $1 == 0 }.map(\.0) }
        let kept = prue.names.flatMap { name in zip(scores[name]!, prue.values[name]!).filter { $1 == 1 }.map(\.0) }
        XCTAssertLessThanOrEqual(pruned.max()!, kept.min()!)
    }

    func testSortedByLabelKeepsEachImageWithItsLabel() throws {
        // Four 1×1×2 images whose pixels encode their original index.
        let dataset = try Dataset(name: "tiny", classes: 3, channels: 1, height: 1, width: 2, images: [0, 0, 1, 1, 2, 2, 3, 3],
                                  labels: [2, 0, 2, 1], normalization: Normalization(mean: [0], std: [1]))
        let sorted = dataset.sortedByLabel()
        XCTAssertEqual(sorted.labels, [0, 1, 2, 2])
        XCTAssertEqual(sorted.images, [1, 1, 3, 3, 0, 0, 2, 2], "stable: the two 2s keep their order")
    }
}
