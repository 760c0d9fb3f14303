import Retort

/// The CIFAR VGGs of RepDistiller with batch norm (`vgg8`, `vgg11`, `vgg13`: its `vgg8_bn`, `vgg11_bn`,
/// `vgg13_bn`, which its model table registers under the short names). Five blocks of
/// conv3×3 (with bias) – BN – ReLU, each block's last ReLU applied by the forward pass so the stage
/// pre-activations can be tapped; 2×2 max pools after blocks 0–2 (and after block 3 for 64×64
/// inputs), global average pooling and a linear classifier. Parameter names match `models/vgg.py`
/// (`block1.0.weight`, `block1.1.running_mean`, `classifier.weight`).
///
/// Feature taps as its `forward(x, is_feat=True, preact=…)`: f0 = block 0 after ReLU, f1…f4 = blocks
/// 1–4 after ReLU (before it with `preact`), pooled = the 512-wide vector.
public final class VGG: Classifier {
    public let block0: Sequential, block1: Sequential, block2: Sequential, block3: Sequential, block4: Sequential
    public let classifier: Linear
    public var isTraining = true

    /// The conv widths of each block, by model name (`cfg` 'S', 'A' and 'B' of the reference).
    public static let configurations: [String: [[Int]]] = [
        "vgg8": [[64], [128], [256], [512], [512]],
        "vgg11": [[64], [128], [256, 256], [512, 512], [512, 512]],
        "vgg13": [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    ]

    /// - Parameters: `configuration`: five blocks of conv widths (see ``configurations``).
    /// Initialisation as the reference: conv weights N(0, 2 / (9 · out_channels)), conv biases 0,
    /// BN weight 1 and bias 0, classifier weights N(0, 0.01²) and bias 0.
    public init(configuration: [[Int]], inputChannels: Int = 3, classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard configuration.count == 5, configuration.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 > 0 } }) else {
            throw ModelError.invalidConfiguration("VGG needs five non-empty blocks of positive conv widths; got \(configuration)")
        }
        var generator = SplitMix64(seed: seed)
        var channels = inputChannels
        func block(_ widths: [Int]) throws -> Sequential {
            var layers: [any Module] = []
            for width in widths {
                layers += [try Conv2d(channels, width, kernelSize: 3, padding: 1, initializer: .wideResNet, context: context, generator: &generator),
                           try BatchNorm2d(width, context: context), ReLU()]
                channels = width
            }
            return Sequential(Array(layers.dropLast()))
        }
        block0 = try block(configuration[0])
        block1 = try block(configuration[1])
        block2 = try block(configuration[2])
        block3 = try block(configuration[3])
        block4 = try block(configuration[4])
        classifier = try Linear.smallNormal(channels, classes, context: context, generator: &generator)
    }

    public var entries: [ModuleEntry] {
        [.child("block0", block0), .child("block1", block1), .child("block2", block2), .child("block3", block3),
         .child("block4", block4), .child("classifier", classifier)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try block0(input, activation: .relu)
        var stages = [f0], preactivations = [f0]
        var x = try f0.maxPool2d(kernel: 2)
        for (index, block) in [block1, block2, block3, block4].enumerated() {
            if preact {
                let preactivation = try block(x)
                x = try preactivation.relu()
                preactivations.append(preactivation)
            } else {
                x = try block(x, activation: .relu)
            }
            stages.append(x)
            // The reference pools after blocks 1 and 2 always, after block 3 only for 64×64 inputs.
            if index < 2 || (index == 2 && input.shape.count == 4 && input.shape[2] == 64) { x = try x.maxPool2d(kernel: 2) }
        }
        let pooled = try x.globalAvgPool2d()
        return FeatureTaps(stages: stages, preactivations: preact ? preactivations : [], pooled: pooled, logits: try classifier(pooled),
                           pooledMap: x)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try classifier(pooled)
    }

    /// Global average pooling of block 4's output, then the classifier.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try classifier(stage.globalAvgPool2d())
    }
}

extension Linear {
    /// A linear layer initialised as RepDistiller's VGG and MobileNetV2 do: weights N(0, 0.01²), bias 0.
    static func smallNormal(_ inputs: Int, _ outputs: Int, context: Context, generator: inout SplitMix64) throws -> Linear {
        let layer = try Linear(inputs, outputs, context: context, generator: &generator)
        try layer.weight.assign(Initialization.normal(count: inputs * outputs, standardDeviation: 0.01, using: &generator))
        try layer.bias?.assign([Float](repeating: 0, count: outputs))
        return layer
    }
}
