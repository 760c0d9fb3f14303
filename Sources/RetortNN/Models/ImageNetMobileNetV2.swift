import Retort

/// torchvision's MobileNetV2 for ImageNet-size inputs (`mobilenet_v2(width_mult=…)`; the zoo's
/// `mobilenetv2_1.0` and `mobilenetv2_1.4`): `features.0` a stride-2 conv3×3 – BN – ReLU6 stem,
/// `features.1`…`features.17` inverted residual blocks (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2),
/// (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1), `features.18` a
/// conv1×1 – BN – ReLU6 to 1280 channels (1280 · width above width 1), global average pooling and
/// `classifier` = Dropout(0.2), Linear. Widths are torchvision's `_make_divisible(c · width, 8)`.
/// Parameter and buffer names and shapes are torchvision's `state_dict()` (`features.0.0.weight`,
/// `features.1.conv.0.0.weight`, `features.2.conv.1.1.running_var`, `features.17.conv.3.bias`,
/// `classifier.1.weight`). Any input of at least 32×32 runs.
///
/// Not RepDistiller's CIFAR `MobileNetV2` (the zoo's `MobileNetV2`): ReLU6, torchvision's widths and
/// strides, dropout. The dropout mask of a training step is drawn from the seed and the number of
/// training batches the network has seen (the last batch norm's `num_batches_tracked`, which
/// checkpoints keep), so a resumed run drops what an uninterrupted one does.
///
/// Feature taps: f0 = the stem's output, f1…f4 = the outputs of the last block at strides 4, 8, 16
/// and 32 (`features.3`, `.6`, `.13`, `.17`; block outputs have no activation, so `preact` gives the
/// same tensors); pooledMap = `features.18`'s output, pooled = its channel averages.
public final class ImageNetMobileNetV2: Classifier {
    /// torchvision's `features` (an `nn.Sequential` of the stem, the 17 blocks and the last conv).
    public let featureLayers: Sequential
    /// torchvision's `classifier`: `dropout`, then `fc`.
    public let classifier: Sequential
    public let dropout: Dropout
    public let fc: Linear
    public let widthMultiplier: Double
    public var isTraining = true
    /// The `features` indices whose outputs are the stage taps after the stem.
    static let tappedBlocks = [3, 6, 13, 17]

    /// Initialisation as torchvision: convs `kaiming_normal_(mode="fan_out")`, batch norms γ 1 β 0,
    /// the classifier N(0, 0.01²) with bias 0.
    public init(widthMultiplier: Double = 1, inputChannels: Int = 3, classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard widthMultiplier > 0, widthMultiplier.isFinite else {
            throw ModelError.invalidConfiguration("MobileNetV2 needs a positive width multiplier; got \(widthMultiplier)")
        }
        let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        var generator = SplitMix64(seed: seed)
        var channels = Self.divisible(32 * widthMultiplier)
        var layers: [any Module] = [
            try Self.convBNReLU6(inputChannels, channels, kernelSize: 3, stride: 2, context: context, generator: &generator),
        ]
        for (expansion, width, count, stride) in settings {
            let outChannels = Self.divisible(Double(width) * widthMultiplier)
            for index in 0..<count {
                layers.append(try Self.block(channels, outChannels, stride: index == 0 ? stride : 1, expansion: expansion, context: context,
                                             generator: &generator))
                channels = outChannels
            }
        }
        let lastChannels = Self.divisible(1280 * max(1, widthMultiplier))
        layers.append(try Self.convBNReLU6(channels, lastChannels, kernelSize: 1, stride: 1, context: context, generator: &generator))
        featureLayers = Sequential(layers)
        dropout = try Dropout(0.2, seed: seed)
        fc = try Linear.smallNormal(lastChannels, classes, context: context, generator: &generator)
        classifier = Sequential([dropout, fc])
        self.widthMultiplier = widthMultiplier
    }

    public var entries: [ModuleEntry] {
        [.child("features", featureLayers), .child("classifier", classifier)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        var x = try featureLayers.layers[0](input)
        var stages = [x]
        for (index, layer) in featureLayers.layers.enumerated().dropFirst() {
            x = try layer(x)
            if Self.tappedBlocks.contains(index) { stages.append(x) }
        }
        let pooled = try x.globalAvgPool2d()
        return FeatureTaps(stages: stages, preactivations: preact ? stages : [], pooled: pooled, logits: try logits(fromPooled: pooled),
                           pooledMap: x)
    }

    /// `classifier`: dropout (training mode only), then `fc`.
    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        let lastNorm = featureLayers.layers.last.flatMap { ($0 as? Sequential)?.layers[1] as? BatchNorm2d }
        return try fc(dropout(pooled, step: lastNorm?.batchesTracked.value ?? 0))
    }

    /// `features.18` (the last stage tap is `features.17`'s output), global average pooling, the classifier.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try logits(fromPooled: featureLayers.layers[featureLayers.layers.count - 1](stage).globalAvgPool2d())
    }

    /// torchvision's `_make_divisible(value, 8)`: the nearest multiple of 8 (at least 8), one step up
    /// when rounding down would lose more than 10 %.
    static func divisible(_ value: Double, by divisor: Int = 8) -> Int {
        let rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        return Double(rounded) < 0.9 * value ? rounded + divisor : rounded
    }

    /// torchvision's MobileNetV2 `InvertedResidual`: `conv` = [conv1×1 expand – BN – ReLU6 (only when the
    /// expand ratio is not 1)], depthwise conv3×3 (stride) – BN – ReLU6, conv1×1 project, BN
    /// (`conv.0.0` … `conv.3` with the expansion, `conv.0.0` … `conv.2` without); the input is added back
    /// when the stride is 1 and the width does not change.
    static func block(_ inChannels: Int, _ outChannels: Int, stride: Int, expansion: Int, context: Context,
                      generator: inout SplitMix64) throws -> InvertedResidual {
        let hidden = inChannels * expansion
        var layers: [any Module] = []
        if expansion != 1 {
            layers.append(try convBNReLU6(inChannels, hidden, kernelSize: 1, stride: 1, context: context, generator: &generator))
        }
        layers.append(try convBNReLU6(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, context: context,
                                      generator: &generator))
        layers.append(try Conv2d(hidden, outChannels, kernelSize: 1, bias: false, initializer: .kaimingNormalFanOut, context: context,
                                 generator: &generator))
        layers.append(try BatchNorm2d(outChannels, context: context))
        return InvertedResidual(conv: Sequential(layers), usesResidual: stride == 1 && inChannels == outChannels)
    }

    /// torchvision's `Conv2dNormActivation` with ReLU6: conv (no bias, padding k/2, `groups`) – BN – ReLU6.
    static func convBNReLU6(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int, groups: Int = 1, context: Context,
                            generator: inout SplitMix64) throws -> Sequential {
        try Sequential.convolutionNormActivation(inChannels, outChannels, kernelSize: kernelSize, stride: stride, groups: groups,
                                                 activation: ReLU6(), context: context, generator: &generator)
    }
}

extension Sequential {
    /// conv (no bias, padding k/2, `groups`) – BN – `activation` (torchvision's `Conv2dNormActivation`,
    /// RepDistiller's `conv_bn`), the conv initialised as `initializer`.
    static func convolutionNormActivation(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int, groups: Int = 1,
                                          initializer: Conv2d.Initializer = .kaimingNormalFanOut, activation: any Module,
                                          context: Context, generator: inout SplitMix64) throws -> Sequential {
        Sequential([try Conv2d(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: kernelSize / 2, groups: groups,
                               bias: false, initializer: initializer, context: context, generator: &generator),
                    try BatchNorm2d(outChannels, context: context), activation])
    }
}
