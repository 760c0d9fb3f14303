import XCTest
@testable import RetortNN
import RetortTestSupport

final class ImageNetMobileNetV2Tests: ContextTestCase {
    /// The state dict torchvision's `mobilenet_v2(width_mult=1.0)` and `(width_mult=1.4)` save (keys in
    /// order, shapes, dtypes), so their checkpoints load unchanged, and torchvision's parameter counts
    /// (3,504,872 in its model table; 6,108,776 as `sum(p.numel() for p in m.parameters())` for width 1.4).
    func testStateDictsAndParameterCountsEqualTorchvisions() throws {
        for (name, count) in [("mobilenetv2_1.0", 3_504_872), ("mobilenetv2_1.4", 6_108_776)] {
            try TorchvisionStateDicts.assertMatches(name, parameters: count, context: context)
        }
    }

    /// torchvision's `_make_divisible(v, 8)`: the widths of width 1.4 and 0.35 (rounding to the nearest
    /// multiple of 8, at least 8, one step up when rounding down loses more than 10 %).
    func testWidthsRoundAsTorchvision() {
        XCTAssertEqual([32, 16, 24, 64, 96, 160, 320, 1280].map { ImageNetMobileNetV2.divisible(Double($0) * 1.4) },
                       [48, 24, 32, 88, 136, 224, 448, 1792])
        XCTAssertEqual([32, 16, 24, 32, 64].map { ImageNetMobileNetV2.divisible(Double($0) * 0.35) }, [16, 8, 8, 16, 24])
        XCTAssertEqual(ImageNetMobileNetV2.divisible(20), 24)
        XCTAssertEqual(ImageNetMobileNetV2.divisible(27), 32, "24 would lose more than 10 %")
    }

    /// Tiny-ImageNet's 64×64 input, batch 2, one training step: tap shapes (strides 2, 4, 8, 16, 32),
    /// finite gradients reaching the stem, dropout drawn per step (the same step count gives the same
    /// logits, as after a resume), and evaluation mode without dropout, deterministic.
    func testTrainingStepAt64x64() throws {
        var generator = SplitMix64(seed: 13)
        let x = try tensor(generator.floats(2 * 3 * 64 * 64), [2, 3, 64, 64])
        let model = try ModelZoo.make("mobilenetv2_1.0", classes: 200, context: context, seed: 4)
        let initial = try model.stateDict()
        let taps = try model.features(x, preact: true)
        XCTAssertEqual(taps.stages.map(\.shape), [[2, 32, 32, 32], [2, 24, 16, 16], [2, 32, 8, 8], [2, 96, 4, 4], [2, 320, 2, 2]])
        XCTAssertEqual(taps.preactivations.count, 5)
        XCTAssertEqual(taps.pooledMap?.shape, [2, 1280, 2, 2])
        XCTAssertEqual(taps.pooled.shape, [2, 1280])
        XCTAssertEqual(taps.logits.shape, [2, 200])
        let stem = try taps.stages[0].toArray()
        XCTAssert(stem.allSatisfy { (0...6).contains($0) } && stem.contains(0), "ReLU6 bounds the stem")
        try taps.logits.crossEntropy(labels: [3, 150]).backward()
        for (key, parameter) in model.namedParameters() {
            XCTAssert(try XCTUnwrap(parameter.grad, "\(key) has no gradient").toArray().allSatisfy(\.isFinite), key)
        }
        let stemGradient = try XCTUnwrap(model.namedParameters().first { $0.name == "features.0.0.weight" }?.tensor.grad).toArray()
        XCTAssert(stemGradient.contains { $0 != 0 }, "no gradient reached the stem")

        // The same weights and step count again: the same dropout mask, the same logits.
        let again = try ModelZoo.make("mobilenetv2_1.0", classes: 200, context: context, seed: 4)
        try again.load(stateDict: initial)
        let trainLogits = try taps.logits.toArray()
        XCTAssertEqual(try context.noGrad { try again(x) }.toArray(), trainLogits)
        // The next step (batch statistics again, so only the mask differs) draws another mask.
        XCTAssertNotEqual(try context.noGrad { try again(x) }.toArray(), trainLogits, "the next step draws another mask")
        model.eval()
        let evaluated = try context.noGrad { try model(x) }.toArray()
        XCTAssertEqual(try context.noGrad { try model(x) }.toArray(), evaluated)
        XCTAssertNotEqual(evaluated, trainLogits)
    }

    func testBadWidthIsAnError() {
        XCTAssertThrowsError(try ImageNetMobileNetV2(widthMultiplier: 0, classes: 10, context: context)) { error in
            XCTAssert("\(error)".contains("positive width multiplier"), "\(error)")
        }
    }
}
