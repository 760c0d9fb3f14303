import XCTest
@testable import RetortNN
import RetortTestSupport

final class ModelZooTests: ContextTestCase {
    /// Counts from the reference definitions (weights + BN affine, no buffers).
    func testParameterCountsEqualTheReference() throws {
        let hundred: [String: Int] = [
            "resnet8": 83_892, "resnet20": 278_324, "resnet32": 472_756, "resnet56": 861_620, "resnet110": 1_736_564,
            "resnet8x4": 1_233_540, "resnet32x4": 7_433_860,
            "wrn_16_1": 180_916, "wrn_16_2": 703_284, "wrn_40_1": 569_780, "wrn_40_2": 2_255_156,
        ]
        let ten: [String: Int] = [
            "resnet8": 78_042, "resnet20": 272_474, "resnet32": 466_906, "resnet56": 855_770, "resnet110": 1_730_714,
            "resnet8x4": 1_210_410, "resnet32x4": 7_410_730,
            "plane2": 13_082, "plane4": 37_338, "plane6": 82_778, "plane8": 327_962, "plane10": 2_487_850,
        ]
        for (classes, table) in [(100, hundred), (10, ten)] {
            for (name, expected) in table.sorted(by: { $0.key < $1.key }) {
                let model = try ModelZoo.make(name, classes: classes, context: context)
                XCTAssertEqual(model.parameterCount, expected, "\(name), \(classes) classes")
            }
        }
    }

    func testStateDictKeysFollowRepDistiller() throws {
        let resnet = Set(try ModelZoo.make("resnet8x4", classes: 100, context: context).namedParameters().map(\.name))
        for key in ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight", "layer1.0.downsample.1.bias",
                    "layer3.0.bn2.weight", "fc.weight", "fc.bias"] {
            XCTAssert(resnet.contains(key), "resnet8x4 lacks \(key)")
        }
        let wrn = try ModelZoo.make("wrn_16_2", classes: 100, context: context)
        let keys = try wrn.stateDict().names
        for key in ["conv1.weight", "block1.layer.0.bn1.running_mean", "block1.layer.0.convShortcut.weight", "block3.layer.1.conv2.weight",
                    "bn1.num_batches_tracked", "fc.bias"] {
            XCTAssert(keys.contains(key), "wrn_16_2 lacks \(key)")
        }
        XCTAssertEqual(try ModelZoo.make("plane2", classes: 10, context: context).namedParameters().map(\.name).first, "layers.0.weight")
    }

    func testForwardShapesAndFeatureTaps() throws {
        var generator = SplitMix64(seed: 5)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        let resnet = try ModelZoo.make("resnet8", classes: 10, context: context)
        let taps = try resnet.features(x, preact: true)
        XCTAssertEqual(taps.stages.map(\.shape), [[2, 16, 32, 32], [2, 16, 32, 32], [2, 32, 16, 16], [2, 64, 8, 8]])
        XCTAssertEqual(taps.preactivations.count, 4)
        XCTAssertEqual(taps.pooled.shape, [2, 64])
        XCTAssertEqual(taps.logits.shape, [2, 10])
        let preactivation = try taps.preactivations[3].toArray()
        XCTAssert(preactivation.contains { $0 < 0 }, "pre-activations keep negative values")
        let wrn = try ModelZoo.make("wrn_16_1", classes: 100, context: context)
        XCTAssertEqual(try wrn.features(x, preact: true).stages.map(\.shape), [[2, 16, 32, 32], [2, 16, 32, 32], [2, 32, 16, 16], [2, 64, 8, 8]])
        XCTAssertEqual(try wrn.features(x).logits.shape, [2, 100])
        // Fashion-MNIST: one channel, 28×28.
        let gray = try Tensor(generator.floats(2 * 28 * 28), shape: [2, 1, 28, 28], context: context)
        let plane = try ModelZoo.make("plane4", inputChannels: 1, inputSize: 28, classes: 10, context: context)
        XCTAssertEqual(try plane.features(gray).logits.shape, [2, 10])
        let resnet20 = try ModelZoo.make("resnet20", inputChannels: 1, classes: 10, context: context)
        XCTAssertEqual(try resnet20.features(gray).logits.shape, [2, 10])
    }

    func testUnknownNamesAndBadConfigurationsAreErrors() {
        XCTAssertThrowsError(try ModelZoo.make("resnet9", classes: 10, context: context)) { error in
            XCTAssert("\(error)".contains("Unknown model 'resnet9'") && "\(error)".contains("wrn_40_2"), "\(error)")
        }
        XCTAssertThrowsError(try ResNet(depth: 9, filters: [16, 16, 32, 64], classes: 10, context: context))
    }

    func testSameSeedSameWeights() throws {
        let a = try ModelZoo.make("plane2", classes: 10, context: context, seed: 7)
        let b = try ModelZoo.make("plane2", classes: 10, context: context, seed: 7)
        let c = try ModelZoo.make("plane2", classes: 10, context: context, seed: 8)
        XCTAssertEqual(try a.parameters()[0].toArray(), try b.parameters()[0].toArray())
        XCTAssertNotEqual(try a.parameters()[0].toArray(), try c.parameters()[0].toArray())
    }
}
