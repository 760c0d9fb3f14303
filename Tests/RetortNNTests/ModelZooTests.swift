import XCTest
@testable import RetortNN
import RetortTestSupport

final class ModelZooTests: ContextTestCase {
    /// Counts from the reference definitions (weights + BN affine, no buffers).
    func testParameterCountsEqualTheReference() throws {
        let hundred: [String: Int] = [
            // resnet14 and resnet44 are not in the reference table: counted from its §3.1 definition
            // (464 + n·4672 + 14528 + (n−1)·18560 + 57728 + (n−1)·73984 + 6500 for 100 classes).
            "resnet14": 181_108, "resnet44": 667_188,
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

    /// Every zoo model's classifier alone maps its pooled features to its logits, and global average
    /// pooling of its pooled map gives those features (Zipf's dense votes rely on both); its head
    /// maps its last stage map to its logits (``checkHead(of:name:on:taps:)``). resnet34 and
    /// mobilenetv2_1.4 are left out: resnet18's and mobilenetv2_1.0's classes, only deeper or wider.
    func testClassifierFromPooledFeaturesGivesTheLogits() throws {
        var generator = SplitMix64(seed: 6)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32, in: -1...1), shape: [2, 3, 32, 32], context: context)
        for name in ModelZoo.names where !["resnet34", "mobilenetv2_1.4"].contains(name) {
            let model = try ModelZoo.make(name, classes: 10, context: context, seed: 3)
            model.eval()
            let taps = try model.features(x)
            let logits = try model.logits(fromPooled: taps.pooled).toArray()
            XCTAssertLessThan(maxRelativeError(logits, try taps.logits.toArray().map(Double.init)), 1e-5, name)
            if let map = taps.pooledMap {
                let pooled = try map.globalAvgPool2d().toArray()
                XCTAssertLessThan(maxRelativeError(pooled, try taps.pooled.toArray().map(Double.init)), 1e-5, name)
            } else {
                XCTAssert(name.hasPrefix("plane"), "\(name) pools its last map but reports none")
            }
            try checkHead(of: model, name: name, on: x, taps: taps)
        }
    }

    /// The model's head maps its last stage tap to its logits, also frozen with its batch norms folded
    /// (a teacher in distillation), and passes a gradient back to that map through its frozen layers
    /// (CA-MKD trains its embeddings through a teacher's head).
    private func checkHead(of model: any Classifier, name: String, on x: Tensor, taps: FeatureTaps) throws {
        let stage = try XCTUnwrap(taps.stages.last, name)
        let logits = try model.logits(fromLastStage: stage).toArray()
        XCTAssertLessThan(maxRelativeError(logits, try taps.logits.toArray().map(Double.init)), 1e-5, "\(name) head")

        try model.freeze()
        try model.foldBatchNorms()
        let folded = try model.features(x)
        let map = try Tensor(try XCTUnwrap(folded.stages.last).toArray(), shape: stage.shape, context: context, requiresGrad: true)
        let head = try model.logits(fromLastStage: map)
        XCTAssertLessThan(maxRelativeError(try head.toArray(), try folded.logits.toArray().map(Double.init)), 1e-5, "\(name) folded head")
        try head.sum().backward()
        let gradient = try XCTUnwrap(map.grad, "\(name): no gradient reached the map").toArray()
        XCTAssert(gradient.contains { $0 != 0 } && gradient.allSatisfy(\.isFinite), "\(name): gradient \(gradient.prefix(4))")
        XCTAssert(model.parameters().allSatisfy { $0.grad == nil }, "\(name): a frozen parameter got a gradient")
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

    // MARK: RepDistiller's VGG, MobileNetV2 and ShuffleNets

    static let repDistillerModels = ["vgg8", "vgg11", "vgg13", "MobileNetV2", "ShuffleV1", "ShuffleV2"]

    /// Counted from the definitions in RepDistiller's `models/vgg.py` (the `_bn` variants),
    /// `mobilenetv2.py` (`mobile_half`), `ShuffleNetv1.py` and `ShuffleNetv2.py` (weights, biases and BN
    /// affine parameters; no buffers), which PyTorch's `sum(p.numel() for p in model.parameters())` agrees with.
    func testRepDistillerParameterCountsEqualTheReference() throws {
        let hundred = ["vgg8": 3_965_028, "vgg11": 9_277_284, "vgg13": 9_462_180, "MobileNetV2": 812_836, "ShuffleV1": 949_258,
                       "ShuffleV2": 1_355_528]
        let ten = ["vgg8": 3_918_858, "vgg11": 9_231_114, "vgg13": 9_416_010, "MobileNetV2": 697_546, "ShuffleV1": 862_768,
                   "ShuffleV2": 1_263_278]
        for (classes, table) in [(100, hundred), (10, ten)] {
            for name in Self.repDistillerModels {
                let model = try ModelZoo.make(name, classes: classes, context: context)
                XCTAssertEqual(model.parameterCount, table[name], "\(name), \(classes) classes")
            }
        }
        XCTAssert(Self.repDistillerModels.allSatisfy(ModelZoo.names.contains))
    }

    /// Spot checks of the `state_dict` keys, and their number (parameters, running statistics and
    /// `num_batches_tracked`) as PyTorch lists them for the reference models.
    func testRepDistillerStateDictKeys() throws {
        let expected: [String: (count: Int, keys: [String])] = [
            "vgg8": (37, ["block0.0.weight", "block0.0.bias", "block0.1.running_var", "block4.1.num_batches_tracked", "classifier.weight"]),
            "vgg11": (58, ["block2.3.weight", "block2.4.bias", "block4.4.running_mean", "classifier.bias"]),
            "vgg13": (72, ["block0.3.weight", "block1.4.weight", "block4.4.num_batches_tracked", "classifier.bias"]),
            "MobileNetV2": (320, ["conv1.0.weight", "conv1.1.running_mean", "blocks.0.0.conv.0.weight", "blocks.2.0.conv.3.weight",
                                  "blocks.6.0.conv.7.num_batches_tracked", "conv2.0.weight", "conv2.1.bias", "classifier.0.weight"]),
            "ShuffleV1": (296, ["conv1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.bn3.running_var", "layer2.7.conv3.weight",
                                "layer3.3.bn2.num_batches_tracked", "linear.weight", "linear.bias"]),
            "ShuffleV2": (338, ["conv1.weight", "layer1.0.conv5.weight", "layer1.0.bn4.running_mean", "layer1.3.conv3.weight",
                                "layer2.7.bn2.bias", "layer3.0.conv1.weight", "conv2.weight", "bn2.running_var", "linear.bias"]),
        ]
        for name in Self.repDistillerModels {
            let model = try ModelZoo.make(name, classes: 10, context: context)
            let keys = Set(model.walk().compactMap { entry -> String? in
                if case .child = entry.entry { return nil }
                return entry.name
            })
            let reference = try XCTUnwrap(expected[name])
            XCTAssertEqual(keys.count, reference.count, name)
            for key in reference.keys { XCTAssert(keys.contains(key), "\(name) lacks \(key)") }
        }
        // Shapes that pin the block structure: ShuffleV1's first conv is ungrouped on the 24-channel stem, grouped (3) after.
        let shuffle = try ModelZoo.make("ShuffleV1", classes: 10, context: context)
        let shapes = Dictionary(uniqueKeysWithValues: shuffle.namedParameters().map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(shapes["layer1.0.conv1.weight"], [54, 24, 1, 1])
        XCTAssertEqual(shapes["layer1.0.conv3.weight"], [216, 18, 1, 1])
        XCTAssertEqual(shapes["layer1.1.conv1.weight"], [60, 80, 1, 1])
        XCTAssertEqual(shapes["layer2.0.conv2.weight"], [60, 1, 3, 3])
    }

    /// Asking for the pre-activations (which turns off the fused sum + ReLU and BN + ReLU where a tap
    /// needs the value before the ReLU) changes no stage output or logit, and each tapped
    /// pre-activation gives its stage through a ReLU.
    func testPreactivationTapsLeaveTheOutputsUnchanged() throws {
        var generator = SplitMix64(seed: 8)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        for name in ["resnet8", "wrn_16_1", "plane4", "vgg8", "MobileNetV2", "ShuffleV1", "ShuffleV2"] {
            let model = try ModelZoo.make(name, classes: 10, context: context)
            model.eval()
            let (plain, tapped) = try context.noGrad { (try model.features(x), try model.features(x, preact: true)) }
            XCTAssertEqual(try plain.logits.toArray(), try tapped.logits.toArray(), name)
            for (a, b) in zip(plain.stages, tapped.stages) { XCTAssertEqual(try a.toArray(), try b.toArray(), name) }
            guard ["resnet8", "vgg8", "ShuffleV1"].contains(name) else { continue }
            for (stage, preactivation) in zip(tapped.stages, tapped.preactivations) {
                XCTAssertEqual(try stage.toArray(), try context.noGrad { try preactivation.relu() }.toArray(), name)
            }
        }
    }

    func testRepDistillerForwardShapesAndFeatureTaps() throws {
        var generator = SplitMix64(seed: 6)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        let gray = try Tensor(generator.floats(2 * 28 * 28), shape: [2, 1, 28, 28], context: context)
        let vgg32 = [[2, 64, 32, 32], [2, 128, 16, 16], [2, 256, 8, 8], [2, 512, 4, 4], [2, 512, 4, 4]]
        let vgg28 = [[2, 64, 28, 28], [2, 128, 14, 14], [2, 256, 7, 7], [2, 512, 3, 3], [2, 512, 3, 3]]
        let expected: [String: (color: [[Int]], gray: [[Int]], pooled: Int)] = [
            "vgg8": (vgg32, vgg28, 512), "vgg11": (vgg32, vgg28, 512), "vgg13": (vgg32, vgg28, 512),
            "MobileNetV2": ([[2, 16, 16, 16], [2, 12, 16, 16], [2, 16, 8, 8], [2, 48, 4, 4], [2, 160, 2, 2]],
                            [[2, 16, 14, 14], [2, 12, 14, 14], [2, 16, 7, 7], [2, 48, 4, 4], [2, 160, 2, 2]], 1280),
            "ShuffleV1": ([[2, 24, 32, 32], [2, 240, 16, 16], [2, 480, 8, 8], [2, 960, 4, 4]],
                          [[2, 24, 28, 28], [2, 240, 14, 14], [2, 480, 7, 7], [2, 960, 4, 4]], 960),
            "ShuffleV2": ([[2, 24, 32, 32], [2, 116, 16, 16], [2, 232, 8, 8], [2, 464, 4, 4]],
                          [[2, 24, 28, 28], [2, 116, 14, 14], [2, 232, 7, 7], [2, 464, 4, 4]], 1024),
        ]
        for name in Self.repDistillerModels {
            let reference = try XCTUnwrap(expected[name])
            let model = try ModelZoo.make(name, classes: 100, context: context)
            let taps = try context.noGrad { try model.features(x, preact: true) }
            XCTAssertEqual(taps.stages.map(\.shape), reference.color, name)
            XCTAssertEqual(taps.preactivations.map(\.shape), reference.color, name)
            XCTAssertEqual(taps.pooled.shape, [2, reference.pooled], name)
            XCTAssertEqual(taps.logits.shape, [2, 100], name)
            XCTAssertEqual(try context.noGrad { try model.features(x) }.preactivations.count, 0, name)
            // Stage outputs after a ReLU are non-negative and their pre-activations are not; MobileNetV2's
            // stage outputs are linear bottlenecks, identical with and without `preact`.
            let last = try taps.stages[taps.stages.count - 1].toArray(), lastPreactivation = try taps.preactivations.last!.toArray()
            if name == "MobileNetV2" {
                XCTAssertEqual(last, lastPreactivation)
                XCTAssert(last.contains { $0 < 0 }, name)
            } else {
                XCTAssert(last.allSatisfy { $0 >= 0 }, name)
                XCTAssert(lastPreactivation.contains { $0 < 0 }, name)
            }
            // One channel, 28×28 (Fashion-MNIST).
            let grayModel = try ModelZoo.make(name, inputChannels: 1, classes: 10, context: context)
            let grayTaps = try context.noGrad { try grayModel.features(gray) }
            XCTAssertEqual(grayTaps.stages.map(\.shape), reference.gray, "\(name) on 1×28×28")
            XCTAssertEqual(grayTaps.logits.shape, [2, 10], "\(name) on 1×28×28")
        }
        // The reference VGG pools after block 3 only for 64×64 inputs.
        let large = try Tensor(generator.floats(2 * 3 * 64 * 64), shape: [2, 3, 64, 64], context: context)
        let vgg = try ModelZoo.make("vgg8", classes: 10, context: context)
        XCTAssertEqual(try context.noGrad { try vgg.features(large) }.stages.map(\.shape).suffix(2), [[2, 512, 8, 8], [2, 512, 4, 4]])
    }

    /// Activations, gradients and the optimizer's scratch are recycled: from step 2 on (after the
    /// momentum buffers exist) every step holds the same bytes at its peak and the same bytes after it.
    func testTrainingStepsDoNotGrowTheirPeakMemory() throws {
        let model = try ModelZoo.make("resnet8", classes: 10, context: context, seed: 3)
        let optimizer = try SGDOptimizer(parameters: model.parameters(), options: .init(learningRate: 0.05, momentum: 0.9),
                                         context: context)
        var generator = SplitMix64(seed: 4)
        let x = try Tensor(generator.floats(4 * 3 * 32 * 32), shape: [4, 3, 32, 32], context: context)
        var peaks: [UInt64] = [], after: [UInt64] = []
        for _ in 0..<5 {
            let device = context.device
            device.resetPeakBytesInUse()
            let before = device.bytesInUse
            try optimizer.zeroGrad()
            let loss = try model(x).crossEntropy(labels: [1, 2, 3, 4])
            try loss.backward()
            try optimizer.step()
            XCTAssert(try loss.item().isFinite)
            peaks.append(device.peakBytesInUse)
            after.append(device.bytesInUse)
            XCTAssertGreaterThan(peaks.last!, before + UInt64(4 * 16 * 32 * 32 * 4), "the step's activations count")
        }
        XCTAssertEqual(Set(peaks.dropFirst()), [peaks[1]], "peaks per step: \(peaks)")
        XCTAssertEqual(Set(after.dropFirst()), [after[1]], "bytes held after each step: \(after)")
    }

    /// Forward in training mode, cross-entropy, backward: every parameter gets a finite gradient and the
    /// device reports no validation messages (checked in tearDown).
    func testRepDistillerModelsTrainOneStep() throws {
        var generator = SplitMix64(seed: 7)
        let x = try Tensor(generator.floats(2 * 3 * 32 * 32), shape: [2, 3, 32, 32], context: context)
        for name in Self.repDistillerModels {
            let model = try ModelZoo.make(name, classes: 10, context: context, seed: 3)
            model.train()
            let loss = try model(x).crossEntropy(labels: [3, 8])
            try loss.backward()
            let value = try loss.item()
            XCTAssert(value.isFinite && value > 0, "\(name): loss \(value)")
            for (parameter, tensor) in model.namedParameters() {
                let gradient = try XCTUnwrap(tensor.grad, "\(name).\(parameter) got no gradient").toArray()
                XCTAssert(gradient.allSatisfy(\.isFinite), "\(name).\(parameter)")
            }
            // The gradient reaches both ends: the classifier bias and the stem conv (through every concatenation,
            // split and shuffle on the way).
            for tensor in [model.namedParameters().last?.tensor, model.namedParameters().first?.tensor] {
                XCTAssert(try XCTUnwrap(tensor?.grad).toArray().contains { $0 != 0 }, "\(name): a zero gradient")
            }
        }
    }
}
