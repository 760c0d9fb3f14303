import XCTest
@testable import RetortNN
import RetortTestSupport

final class ImageNetResNetTests: ContextTestCase {
    /// The state dict torchvision's `resnet18`/`resnet34`/`resnet50` save (keys in order, shapes, dtypes),
    /// so their checkpoints load unchanged, and torchvision's parameter counts (its model table).
    func testStateDictsAndParameterCountsEqualTorchvisions() throws {
        for (name, count) in [("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032)] {
            try TorchvisionStateDicts.assertMatches(name, parameters: count, context: context)
        }
    }

    /// resnet50 on Tiny-ImageNet's 64×64 input, batch 2, one training step: the stem, stage and pooled shapes, logits,
    /// finite gradients reaching the first conv, running statistics that moved, and evaluation mode
    /// (running statistics) giving other logits than training mode, deterministically.
    func testTrainingStepAt64x64() throws {
        var generator = SplitMix64(seed: 11)
        let x = try tensor(generator.floats(2 * 3 * 64 * 64), [2, 3, 64, 64])
        let name = "resnet50", channels = [64, 256, 512, 1024, 2048]
        let model = try ModelZoo.make(name, classes: 200, context: context, seed: 2)
        let taps = try model.features(x, preact: true)
        XCTAssertEqual(taps.stages.map(\.shape), zip(channels, [32, 16, 8, 4, 2]).map { [2, $0, $1, $1] }, name)
        XCTAssertEqual(taps.preactivations.map(\.shape), taps.stages.map(\.shape), name)
        XCTAssertEqual(taps.pooled.shape, [2, channels[4]], name)
        XCTAssertEqual(taps.pooledMap?.shape, [2, channels[4], 2, 2], name)
        XCTAssertEqual(taps.logits.shape, [2, 200], name)
        for (stage, preactivation) in zip(taps.stages.dropFirst(), taps.preactivations.dropFirst()) {
            XCTAssertEqual(try stage.toArray(), try context.noGrad { try preactivation.relu() }.toArray(), "\(name) preact")
        }
        try taps.logits.crossEntropy(labels: [3, 150]).backward()
        for (key, parameter) in model.namedParameters() {
            let gradient = try XCTUnwrap(parameter.grad, "\(name) \(key) has no gradient").toArray()
            XCTAssert(gradient.allSatisfy(\.isFinite), "\(name) \(key)")
        }
        let stem = try XCTUnwrap(model.namedParameters().first { $0.name == "conv1.weight" }?.tensor.grad).toArray()
        XCTAssert(stem.contains { $0 != 0 }, "\(name): no gradient reached the stem")
        let state = try model.stateDict()
        XCTAssertNotEqual(state["bn1.running_mean"]?.floats(), [Float](repeating: 0, count: 64), name)
        XCTAssertEqual(try state["layer4.1.bn2.num_batches_tracked"]?.int64s(), [1], name)
        model.eval()
        let evaluated = try context.noGrad { try model(x) }.toArray()
        XCTAssertEqual(try context.noGrad { try model(x) }.toArray(), evaluated, name)
        XCTAssertNotEqual(evaluated, try taps.logits.toArray(), "\(name): evaluation mode uses the running statistics")
    }

    /// The smallest input the zoo promises (32×32: a 1×1 final map) with one channel: resnet18's taps.
    func testSmallGrayInputsRun() throws {
        var generator = SplitMix64(seed: 12)
        let model = try ModelZoo.make("resnet18", inputChannels: 1, classes: 10, context: context)
        let taps = try model.features(try tensor(generator.floats(2 * 32 * 32), [2, 1, 32, 32]))
        XCTAssertEqual(taps.stages.map(\.shape), [[2, 64, 16, 16], [2, 64, 8, 8], [2, 128, 4, 4], [2, 256, 2, 2], [2, 512, 1, 1]])
        XCTAssertEqual(taps.pooled.shape, [2, 512])
        XCTAssertEqual(taps.logits.shape, [2, 10])
    }

    func testBadBlockCountsAreErrors() {
        XCTAssertThrowsError(try ImageNetResNet(blocks: [2, 2, 2], usesBottlenecks: false, classes: 10, context: context)) { error in
            XCTAssert("\(error)".contains("4 positive block counts"), "\(error)")
        }
    }
}
