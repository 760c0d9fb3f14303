import Foundation
import XCTest
@testable import RetortNN
import RetortHostTestSupport
import RetortTestSupport

final class BatchNormFoldingTests: ContextTestCase {
    /// One model per zoo family (and the benchmark's teachers), with its input shape and classes.
    static let families: [(name: String, channels: Int, side: Int, classes: Int)] = [
        ("resnet8", 3, 32, 100), ("resnet32x4", 3, 32, 100), ("wrn_16_1", 3, 32, 100), ("vgg8", 3, 32, 100),
        ("MobileNetV2", 3, 32, 100), ("ShuffleV1", 3, 32, 100), ("ShuffleV2", 3, 32, 100), ("plane10", 1, 28, 10),
        ("resnet50", 3, 32, 10), ("mobilenetv2_1.0", 3, 32, 10),
    ]

    /// A zoo model whose batch norms have non-trivial statistics and affine parameters (a fresh norm
    /// is the identity in evaluation mode, which any folding passes).
    private func model(_ name: String, channels: Int = 3, side: Int = 32, classes: Int = 100, seed: UInt64 = 1) throws -> any Classifier {
        let model = try ModelZoo.make(name, inputChannels: channels, inputSize: side, classes: classes, context: context, seed: seed)
        var state = try model.stateDict()
        var generator = SplitMix64(seed: seed &+ 100)
        for key in state.names where key.hasSuffix(".running_var") {
            let prefix = String(key.dropLast("running_var".count)), count = state[key]!.shape[0]
            for (suffix, range) in [("weight", 0.5...1.5), ("bias", -0.5...0.5), ("running_mean", -0.5...0.5), ("running_var", 0.5...2.0)] {
                let values = generator.floats(count, in: Float(range.lowerBound)...Float(range.upperBound))
                state.tensors[prefix + suffix] = try HostTensor(values, shape: [count])
            }
        }
        try model.load(stateDict: state)
        try model.freeze()
        model.eval()
        return model
    }

    private func input(channels: Int = 3, side: Int = 32, batch: Int = 2) throws -> Tensor {
        var generator = SplitMix64(seed: 9)
        return try tensor(generator.floats(batch * channels * side * side), [batch, channels, side, side])
    }

    /// Largest |a − b| over the largest |b|: the error relative to the tensor's scale.
    private func scaledError(_ folded: Tensor, _ unfolded: Tensor) throws -> Double {
        let a = try folded.toArray(), b = try unfolded.toArray()
        XCTAssertEqual(a.count, b.count)
        let scale = b.reduce(0) { max($0, abs(Double($1))) }
        return zip(a, b).reduce(0) { max($0, abs(Double($1.0) - Double($1.1))) } / max(scale, 1e-30)
    }

    private func modules(in module: any Module) -> [any Module] {
        module.walk().compactMap { if case .child(_, let child) = $0.entry { return child } else { return nil } }
    }

    private func batchNorms(in module: any Module) -> [BatchNorm2d] { modules(in: module).compactMap { $0 as? BatchNorm2d } }

    func testFoldedLogitsAndFeatureTapsEqualTheUnfoldedNetworkOnEveryFamily() throws {
        for family in Self.families {
            let net = try model(family.name, channels: family.channels, side: family.side, classes: family.classes)
            let x = try input(channels: family.channels, side: family.side)
            let unfolded = try context.noGrad { try net.features(x, preact: true) }
            let pairs = try net.foldBatchNorms()
            // Every batch norm after a convolution folds; WRN's pre-activation norms (block inputs, the final norm) do not.
            let wideBlocks = modules(in: net).filter { $0 is WideBlock }.count
            XCTAssertEqual(pairs, family.name.hasPrefix("wrn") ? wideBlocks : batchNorms(in: net).count, family.name)
            XCTAssertEqual(net.foldedBatchNormCount, pairs, family.name)
            let folded = try context.noGrad { try net.features(x, preact: true) }
            XCTAssertLessThanOrEqual(try scaledError(folded.logits, unfolded.logits), 1e-5, "\(family.name) logits")
            XCTAssertLessThanOrEqual(try scaledError(folded.pooled, unfolded.pooled), 1e-5, "\(family.name) pooled")
            XCTAssertEqual(folded.stages.count, unfolded.stages.count)
            XCTAssertEqual(folded.preactivations.count, unfolded.preactivations.count)
            for (index, (a, b)) in zip(folded.stages + folded.preactivations, unfolded.stages + unfolded.preactivations).enumerated() {
                XCTAssertLessThanOrEqual(try scaledError(a, b), 1e-5, "\(family.name) tap \(index)")
            }
        }
    }

    /// Folding changes no parameter: names, the state dict and a saved checkpoint hold the unfolded weights.
    func testFoldingKeepsNamesAndSavesTheUnfoldedWeights() throws {
        let net = try model("resnet8")
        let names = net.namedParameters().map(\.name), before = try net.stateDict()
        try net.foldBatchNorms()
        XCTAssertEqual(net.namedParameters().map(\.name), names)
        XCTAssertEqual(try net.stateDict().tensors, before.tensors)
        let url = try makeTemporaryDirectory(for: self).appendingPathComponent("teacher.safetensors")
        try Checkpoint.save(model: net, optimizer: nil, to: url)
        let reloaded = try ModelZoo.make("resnet8", classes: 100, context: context, seed: 7)
        try reloaded.load(stateDict: SafeTensors(contentsOf: url))
        reloaded.eval()
        let x = try input()
        XCTAssertLessThanOrEqual(try scaledError(try context.noGrad { try net(x) }, try context.noGrad { try reloaded(x) }), 1e-5)
    }

    func testAFoldedNetworkRefusesTrainingModeUntilUnfolded() throws {
        let net = try model("plane4", channels: 1, side: 28, classes: 10)
        let x = try input(channels: 1, side: 28)
        try net.foldBatchNorms()
        XCTAssertFalse(net.isTraining, "folding switches to evaluation mode")
        net.train()
        XCTAssertThrowsError(try context.noGrad { try net(x) }) { error in
            XCTAssertEqual(error as? BatchNormFoldingError, .foldedInTraining(layer: "layers.0"))
            XCTAssert("\(error)".contains("unfoldBatchNorms()"), "\(error)")
        }
        net.unfoldBatchNorms()
        XCTAssertEqual(net.foldedBatchNormCount, 0)
        XCTAssertEqual(try net(x).shape, [2, 10], "unfolded, it trains again")
        XCTAssert(batchNorms(in: net).allSatisfy { $0.batchesTracked.value == 1 })
    }

    /// A network that trains (an online peer) never folds, and a folded one that is unfrozen refuses to run.
    func testOnlyFrozenNetworksFold() throws {
        let net = try model("resnet8")
        try net.freeze(false)
        XCTAssertThrowsError(try net.foldBatchNorms()) { error in
            XCTAssertEqual(error as? BatchNormFoldingError, .trainableParameter("conv1.weight"))
        }
        XCTAssertEqual(net.foldedBatchNormCount, 0)
        try net.freeze()
        try net.foldBatchNorms()
        try net.freeze(false)
        XCTAssertThrowsError(try net(try input())) { error in
            XCTAssertEqual(error as? BatchNormFoldingError, .trainableParameter("conv1.weight"))
        }
    }

    func testLoadingWeightsIntoAFoldedNetworkFoldsThem() throws {
        let net = try model("resnet8", seed: 1), other = try model("resnet8", seed: 2)
        try net.foldBatchNorms()
        try net.load(stateDict: other.stateDict())
        let x = try input()
        XCTAssertEqual(net.foldedBatchNormCount, try net.foldBatchNorms())
        XCTAssertLessThanOrEqual(try scaledError(try context.noGrad { try net(x) }, try context.noGrad { try other(x) }), 1e-5)
    }

    /// In a sequence only a convolution directly followed by a batch norm folds; a wrong pair is an error.
    func testSequencesPairAdjacentLayersAndBadPairsAreErrors() throws {
        var generator = SplitMix64(seed: 3)
        let sequence = Sequential([try Conv2d(2, 3, kernelSize: 3, padding: 1, context: context, generator: &generator),
                                   try BatchNorm2d(3, context: context), ReLU(),
                                   try Conv2d(3, 3, kernelSize: 1, context: context, generator: &generator), ReLU(),
                                   try BatchNorm2d(3, context: context)])
        XCTAssertEqual(sequence.convolutionNormPairs.count, 1)
        XCTAssert(sequence.convolutionNormPairs[0].convolution === sequence.layers[0])
        try sequence.freeze()
        XCTAssertEqual(try sequence.foldBatchNorms(), 1)
        let mismatched = MismatchedPair(convolution: try Conv2d(2, 4, kernelSize: 1, context: context, generator: &generator),
                                        norm: try BatchNorm2d(3, context: context))
        try mismatched.freeze()
        XCTAssertThrowsError(try mismatched.foldBatchNorms()) { error in
            XCTAssertEqual(error as? BatchNormFoldingError, .mismatchedPair(convolution: "conv", norm: "bn"))
        }
        XCTAssertEqual(mismatched.foldedBatchNormCount, 0)
    }
}

/// A module declaring a pair whose widths differ.
private final class MismatchedPair: BatchNormFoldable {
    let convolution: Conv2d, norm: BatchNorm2d
    var isTraining = true
    init(convolution: Conv2d, norm: BatchNorm2d) { (self.convolution, self.norm) = (convolution, norm) }
    var entries: [ModuleEntry] { [.child("conv", convolution), .child("bn", norm)] }
    var convolutionNormPairs: [(convolution: Conv2d, norm: BatchNorm2d)] { [(convolution, norm)] }
    func callAsFunction(_ input: Tensor) throws -> Tensor { try norm(convolution(input)) }
}
