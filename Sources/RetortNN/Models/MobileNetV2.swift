import Retort

/// The CIFAR MobileNetV2 of RepDistiller (`mobilenetv2_T_w`; the zoo's `MobileNetV2` is its `mobile_half`:
/// expansion 6, width multiplier 0.5). A stride-2 conv3×3 – BN – ReLU stem, seven stages of inverted
/// residual blocks (t, c, n, s) = (1, 16, 1, 1), (T, 24, 2, 1), (T, 32, 3, 2), (T, 64, 4, 2), (T, 96, 3, 1),
/// (T, 160, 3, 2), (T, 320, 1, 1) with c scaled by the width multiplier, a conv1×1 – BN – ReLU to 1280
/// channels (1280 · width for widths above 1), average pooling and a linear classifier. Plain ReLU (not
/// ReLU6) and no dropout, as the reference. Parameter names match `models/mobilenetv2.py`
/// (`conv1.0.weight`, `blocks.2.0.conv.3.weight`, `conv2.1.running_var`, `classifier.0.weight`).
///
/// Feature taps as its `forward(x, is_feat=True)`: f0 = stem, f1…f4 = after stages 1, 2, 4 and 6 (block
/// outputs, which have no ReLU, so `preact` gives the same tensors), pooled = the 1280-wide vector.
/// The reference's `AvgPool2d(2, ceil_mode=True)` covers the whole final map for inputs up to 32×32
/// (the sizes it accepts); this averages the whole final map for any input size.
public final class MobileNetV2: Classifier {
    public let conv1: Sequential
    /// RepDistiller's `blocks` (an `nn.ModuleList` of one `nn.Sequential` per stage).
    public let blocks: Sequential
    public let conv2: Sequential
    public let classifier: Sequential
    public var isTraining = true

    /// - Parameters: `expansion` = T (the expand ratio of stages 2–7); `widthMultiplier` scales the
    ///   stem and stage widths (truncating, as `int(c * width_mult)`).
    /// Initialisation as the reference: conv weights N(0, 2 / (KH·KW·out_channels)) (depthwise too), BN
    /// weight 1 and bias 0, classifier weights N(0, 0.01²) and bias 0.
    public init(expansion: Int = 6, widthMultiplier: Double = 0.5, inputChannels: Int = 3, classes: Int, context: Context,
                seed: UInt64 = 0) throws {
        guard expansion > 0, widthMultiplier > 0, Int(16 * widthMultiplier) > 0 else {
            throw ModelError.invalidConfiguration("MobileNetV2 needs a positive expansion and a width multiplier of at least 1/16; got \(expansion), \(widthMultiplier)")
        }
        let settings = [(1, 16, 1, 1), (expansion, 24, 2, 1), (expansion, 32, 3, 2), (expansion, 64, 4, 2), (expansion, 96, 3, 1),
                        (expansion, 160, 3, 2), (expansion, 320, 1, 1)]
        var generator = SplitMix64(seed: seed)
        var channels = Int(32 * widthMultiplier)
        conv1 = try Self.convBNReLU(inputChannels, channels, kernelSize: 3, stride: 2, context: context, generator: &generator)
        var stages: [any Module] = []
        for (expand, width, count, stride) in settings {
            let outChannels = Int(Double(width) * widthMultiplier)
            var stage: [any Module] = []
            for index in 0..<count {
                stage.append(try InvertedResidual(channels, outChannels, stride: index == 0 ? stride : 1, expansion: expand,
                                                  context: context, generator: &generator))
                channels = outChannels
            }
            stages.append(Sequential(stage))
        }
        blocks = Sequential(stages)
        let lastChannels = widthMultiplier > 1 ? Int(1280 * widthMultiplier) : 1280
        conv2 = try Self.convBNReLU(channels, lastChannels, kernelSize: 1, stride: 1, context: context, generator: &generator)
        classifier = Sequential([try Linear.smallNormal(lastChannels, classes, context: context, generator: &generator)])
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("blocks", blocks), .child("conv2", conv2), .child("classifier", classifier)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try conv1(input)
        var x = f0
        var stages = [f0]
        for (index, stage) in blocks.layers.enumerated() {
            x = try stage(x)
            if [1, 2, 4, 6].contains(index) { stages.append(x) }
        }
        let map = try conv2(x)
        let pooled = try map.globalAvgPool2d()
        return FeatureTaps(stages: stages, preactivations: preact ? stages : [], pooled: pooled, logits: try classifier(pooled),
                           pooledMap: map)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try classifier(pooled)
    }

    /// `conv2` (the last stage tap is the last block's output), global average pooling, the classifier.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try classifier(conv2(stage).globalAvgPool2d())
    }

    /// conv (no bias, padding k/2) – BN – ReLU (`conv_bn` / `conv_1x1_bn` of the reference).
    private static func convBNReLU(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int, context: Context,
                                   generator: inout SplitMix64) throws -> Sequential {
        try Sequential.convolutionNormActivation(inChannels, outChannels, kernelSize: kernelSize, stride: stride, initializer: .wideResNet,
                                                 activation: ReLU(), context: context, generator: &generator)
    }
}

/// conv1×1 expand – BN – ReLU – depthwise conv3×3 (stride) – BN – ReLU – conv1×1 project – BN, all in
/// `conv` (indices 0–7 as the reference); the input is added back when the stride is 1 and the width
/// does not change. The expand conv is there even for an expand ratio of 1, as in the reference.
/// (torchvision's blocks, ``ImageNetMobileNetV2/block(_:_:stride:expansion:context:generator:)``, are
/// made of other layers in `conv`, added back the same way.)
final class InvertedResidual: Module {
    let conv: Sequential
    let usesResidual: Bool
    var isTraining = true

    /// `conv`, with its input added back when `usesResidual`.
    init(conv: Sequential, usesResidual: Bool) {
        self.conv = conv
        self.usesResidual = usesResidual
    }

    convenience init(_ inChannels: Int, _ outChannels: Int, stride: Int, expansion: Int, context: Context,
                     generator: inout SplitMix64) throws {
        let hidden = inChannels * expansion
        self.init(conv: Sequential([
            try Conv2d(inChannels, hidden, kernelSize: 1, bias: false, initializer: .wideResNet, context: context, generator: &generator),
            try BatchNorm2d(hidden, context: context), ReLU(),
            try Conv2d(hidden, hidden, kernelSize: 3, stride: stride, padding: 1, groups: hidden, bias: false, initializer: .wideResNet,
                       context: context, generator: &generator),
            try BatchNorm2d(hidden, context: context), ReLU(),
            try Conv2d(hidden, outChannels, kernelSize: 1, bias: false, initializer: .wideResNet, context: context, generator: &generator),
            try BatchNorm2d(outChannels, context: context),
        ]), usesResidual: stride == 1 && inChannels == outChannels)
    }

    var entries: [ModuleEntry] { [.child("conv", conv)] }

    func callAsFunction(_ input: Tensor) throws -> Tensor {
        usesResidual ? try input + conv(input) : try conv(input)
    }
}
