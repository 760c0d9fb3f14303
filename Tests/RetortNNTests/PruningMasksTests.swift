import Foundation
import XCTest
@testable import RetortNN
import RetortHostTestSupport
import RetortTestSupport

/// Global unstructured pruning masks, the masked optimizer and the masks sidecar file.
final class PruningMasksTests: ContextTestCase {
    private func zeros(_ values: [Float]) -> Int { values.filter { $0 == 0 }.count }

    /// The weights of `model` named as the masks name them, read back.
    private func weights(_ model: any Module, _ masks: PruningMasks) throws -> [String: [Float]] {
        let byName = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        return try Dictionary(uniqueKeysWithValues: masks.names.map { ($0, try byName[$0]!.toArray()) })
    }

    func testPrunableWeightsAreTheConvolutionAndLinearWeights() throws {
        let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 1)
        // plane2: layers = [Conv, BN, ReLU, MP, Conv, BN, ReLU, MP, Linear].
        XCTAssertEqual(model.prunableWeights(.convolutions).map(\.name), ["layers.0.weight", "layers.4.weight"])
        XCTAssertEqual(model.prunableWeights(.convolutionsAndLinear).map(\.name), ["layers.0.weight", "layers.4.weight", "layers.8.weight"])
        let resnet = try ModelZoo.make("resnet8", classes: 10, context: context, seed: 1)
        let names = resnet.prunableWeights(.convolutions).map(\.name)
        XCTAssert(names.contains("conv1.weight") && names.allSatisfy { $0.hasSuffix(".weight") && !$0.contains("bn") }, "\(names)")
    }

    /// Exactly round(sparsity × total) zeros, and they are the globally smallest |w|.
    func testGlobalMagnitudeSelectionPrunesExactlyTheRequestedCount() throws {
        let model = try ModelZoo.make("plane4", classes: 10, context: context, seed: 3)
        let dense = PruningMasks(ones: model, layers: .convolutions)
        let before = try weights(model, dense)
        let total = before.values.reduce(0) { $0 + $1.count }
        for sparsity in [0.37, 0.5, 0.9] {
            let fresh = try ModelZoo.make("plane4", classes: 10, context: context, seed: 3)
            let masks = try dense.pruning(sparsity: sparsity, scores: dense.magnitudeScores(of: fresh))
            try masks.apply(to: fresh)
            let after = try weights(fresh, masks)
            let expected = Int((sparsity * Double(total)).rounded())
            XCTAssertEqual(after.values.reduce(0) { $0 + zeros($1) }, expected, "zeros in the weights at sparsity \(sparsity)")
            XCTAssertEqual(masks.prunedCount, expected)
            XCTAssertEqual(masks.sparsity, Double(expected) / Double(total), accuracy: 1e-12)
            // Global: every pruned magnitude ≤ every kept magnitude, across layers.
            var pruned: [Float] = [], kept: [Float] = []
            for name in masks.names {
                for (index, value) in before[name]!.enumerated() {
                    if after[name]![index] == 0 { pruned.append(abs(value)) } else { kept.append(abs(value)); XCTAssertEqual(after[name]![index], value) }
                }
            }
            XCTAssertLessThanOrEqual(pruned.max()!, kept.min()!)
            XCTAssertEqual(masks.layers.map(\.pruned).reduce(0, +), expected)
            // The layers are not pruned uniformly: the choice is global.
            XCTAssertEqual(Set(masks.layers.map(\.total)), Set(masks.names.map { before[$0]!.count }))
        }
        XCTAssertThrowsError(try dense.pruning(sparsity: 1, scores: [:])) { XCTAssert("\($0)".contains("strictly between 0 and 1"), "\($0)") }
        XCTAssertThrowsError(try dense.pruning(rate: 0, scores: [:])) { XCTAssert("\($0)".contains("strictly between 0 and 1"), "\($0)") }
    }

    /// Ties go to the earlier weight, then the lower index; pruned positions are not ranked again.
    func testTiesAreBrokenByPositionAndPrunedStayPruned() throws {
        let masks = PruningMasks(ones: [("a", [4]), ("b", [3])])
        let scores: [String: [Float]] = ["a": [1, 0, 1, 2], "b": [0, 1, 1]]
        let first = try masks.pruning(count: 3, scores: scores)
        XCTAssertEqual(first.values["a"], [0, 0, 1, 1])
        XCTAssertEqual(first.values["b"], [0, 1, 1])
        // Next: the remaining are a[2]=1, a[3]=2, b[1]=1, b[2]=1 → the two lowest by position: a[2], b[1].
        let second = try first.pruning(count: 2, scores: scores)
        XCTAssertEqual(second.values["a"], [0, 0, 0, 1])
        XCTAssertEqual(second.values["b"], [0, 0, 1])
        XCTAssertThrowsError(try masks.pruning(count: 1, scores: ["a": [1, 2, 3, 4]])) { XCTAssert("\($0)".contains("no scores for 'b'"), "\($0)") }
        XCTAssertThrowsError(try masks.pruning(count: 1, scores: ["a": [1, 2, 3], "b": [1, 2, 3]])) { XCTAssert("\($0)".contains("'a' has 4 weights"), "\($0)") }
        XCTAssertThrowsError(try first.pruning(sparsity: 0.2, scores: scores)) { XCTAssert("\($0)".contains("already prune 3"), "\($0)") }
    }

    /// Rounds of `rate` of the remaining weights: p_k = p_{k−1} + round(rate · (n − p_{k−1})), so
    /// the sparsity follows 1 − 0.8^k up to rounding, and earlier pruned weights stay pruned.
    func testRateComposesOverRounds() throws {
        let model = try ModelZoo.make("plane4", classes: 10, context: context, seed: 5)
        var masks = PruningMasks(ones: model, layers: .convolutionsAndLinear)
        let total = masks.totalCount
        var expected = 0
        for round in 1...5 {
            let previous = masks
            masks = try masks.pruning(rate: 0.2, scores: masks.magnitudeScores(of: model))
            try masks.apply(to: model)
            expected += Int((0.2 * Double(total - expected)).rounded())
            XCTAssertEqual(masks.prunedCount, expected, "round \(round)")
            XCTAssertEqual(masks.sparsity, 1 - pow(0.8, Double(round)), accuracy: 2.0 / Double(total), "round \(round)")
            XCTAssertEqual(try weights(model, masks).values.reduce(0) { $0 + zeros($1) }, expected, "zeros in the model, round \(round)")
            for name in masks.names {
                for (index, value) in previous.values[name]!.enumerated() where value == 0 {
                    XCTAssertEqual(masks.values[name]![index], 0, "\(name)[\(index)] came back in round \(round)")
                }
            }
        }
    }

    /// Five steps of SGD (momentum 0.9, Nesterov, weight decay) and of AdamW with nonzero gradients
    /// at the pruned positions: the pruned weights stay exactly 0, the kept ones train; without the
    /// masked optimizer they would not stay 0.
    func testPrunedWeightsStayZeroThroughSGDAndAdamW() throws {
        var generator = SplitMix64(seed: 21)
        let x = try Tensor(generator.floats(4 * 3 * 32 * 32), shape: [4, 3, 32, 32], context: context)
        let labels = [1, 4, 7, 9]
        for kind in ["sgd", "adamw", "unmasked"] {
            let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 2)
            let dense = PruningMasks(ones: model, layers: .convolutionsAndLinear)
            let masks = try dense.pruning(sparsity: 0.6, scores: dense.magnitudeScores(of: model))
            try masks.apply(to: model)
            let start = try weights(model, masks)
            let base: any Optimizer = kind == "adamw"
                ? try AdamWOptimizer(parameters: model.parameters(), options: .init(learningRate: 1e-2, weightDecay: 0.05), context: context)
                : try SGDOptimizer(parameters: model.parameters(),
                                   options: .init(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true), context: context)
            let optimizer: any Optimizer = kind == "unmasked" ? base : try MaskedOptimizer(wrapping: base, masks: masks, model: model)
            let parameters = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            for step in 1...5 {
                try optimizer.zeroGrad()
                try model(x).crossEntropy(labels: labels).backward()
                // The gradients reach pruned positions (so holding them at zero is the optimizer's work).
                let gradient = try parameters["layers.4.weight"]!.grad!.toArray()
                let mask = masks.values["layers.4.weight"]!
                XCTAssertGreaterThan(zip(gradient, mask).filter { $1 == 0 && $0 != 0 }.count, 0, "\(kind) step \(step)")
                try optimizer.step()
            }
            let after = try weights(model, masks)
            var revived = 0, changed = 0
            for name in masks.names {
                for (index, keep) in masks.values[name]!.enumerated() {
                    if keep == 0 { revived += after[name]![index] == 0 ? 0 : 1 } else if after[name]![index] != start[name]![index] { changed += 1 }
                }
            }
            if kind == "unmasked" {
                XCTAssertGreaterThan(revived, 0, "a plain optimizer moves pruned weights (the check can fail)")
            } else {
                XCTAssertEqual(revived, 0, "\(kind): pruned weights must stay exactly 0")
                XCTAssertGreaterThan(changed, masks.totalCount - masks.prunedCount - 10, "\(kind): the kept weights train")
                // The optimizer state never took in a pruned position.
                let state = try optimizer.state(parameterNames: model.parameterNamesByIdentity())
                let key = kind == "sgd" ? "layers.4.weight.momentum_buffer" : "layers.4.weight.exp_avg"
                let buffer = try XCTUnwrap(state[key]).floats()
                XCTAssertEqual(zip(buffer, masks.values["layers.4.weight"]!).filter { $1 == 0 && $0 != 0 }.count, 0, "\(kind) \(key)")
                XCTAssertEqual(optimizer.learningRate, base.learningRate)
            }
        }
    }

    func testMasksFileRoundTripAndMismatchErrors() throws {
        let directory = try makeTemporaryDirectory(for: self)
        let model = try ModelZoo.make("plane2", classes: 10, context: context, seed: 4)
        let dense = PruningMasks(ones: model, layers: .convolutionsAndLinear)
        let masks = try dense.pruning(sparsity: 0.3, scores: dense.magnitudeScores(of: model))
        let url = PruningMasks.sidecarURL(for: directory.appendingPathComponent("best.safetensors"))
        XCTAssertEqual(url.lastPathComponent, "best.masks.safetensors")
        try masks.write(to: url)

        // torch.nn.utils.prune's buffer names, float32 0/1 in the weights' shapes.
        let file = try SafeTensors(contentsOf: url)
        XCTAssertEqual(file.names, ["layers.0.weight_mask", "layers.4.weight_mask", "layers.8.weight_mask"])
        XCTAssertEqual(file["layers.4.weight_mask"]?.dtype, .float32)
        XCTAssertEqual(file["layers.4.weight_mask"]?.shape, [16, 16, 3, 3])
        XCTAssertEqual(file.tensors.values.reduce(0) { $0 + $1.floats().filter { $0 == 0 }.count }, masks.prunedCount)

        let loaded = try PruningMasks(contentsOf: url, for: model)
        XCTAssertEqual(loaded, masks)

        // Another architecture: the misshaped and missing names are named.
        let other = try ModelZoo.make("plane4", classes: 10, context: context, seed: 4)
        XCTAssertThrowsError(try PruningMasks(contentsOf: url, for: other)) { error in
            let message = "\(error)"
            // plane4's layers.4 and layers.8 are batch norms.
            XCTAssert(message.contains(url.path), message)
            XCTAssert(message.contains("layers.4.weight_mask: mask shape [16, 16, 3, 3], parameter shape [16]"), message)
            XCTAssert(message.contains("layers.8.weight_mask: mask shape [10, 1024], parameter shape [32]"), message)
            XCTAssertFalse(message.contains("layers.0.weight_mask"), message)
        }
        XCTAssertThrowsError(try masks.apply(to: other)) { XCTAssert("\($0)".contains("do not match the model"), "\($0)") }
        // A mask for a parameter the model lacks, and a value that is not 0/1.
        var stray = file
        stray["layers.99.weight_mask"] = try HostTensor([Float](repeating: 1, count: 4), shape: [2, 2])
        try stray.write(to: url)
        XCTAssertThrowsError(try PruningMasks(contentsOf: url, for: model)) {
            XCTAssert("\($0)".contains("layers.99.weight_mask: the model has no parameter 'layers.99.weight'"), "\($0)")
        }
        var fractional = file
        fractional["layers.0.weight_mask"] = try HostTensor([Float](repeating: 0.5, count: 432), shape: [16, 3, 3, 3])
        try fractional.write(to: url)
        XCTAssertThrowsError(try PruningMasks(contentsOf: url, for: model)) { XCTAssert("\($0)".contains("only 0 and 1"), "\($0)") }
    }
}
