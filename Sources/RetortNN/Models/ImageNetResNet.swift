import Retort

/// torchvision's ResNets for ImageNet-size inputs (`resnet18`, `resnet34` with basic blocks, `resnet50`
/// with bottlenecks, torchvision's v1.5: the stride on the 3×3 conv): a 7×7 stride-2 conv – BN – ReLU
/// stem, 3×3 stride-2 max pooling, four stages of residual blocks (64, 128, 256, 512 planes; stages
/// 2–4 stride by 2), global average pooling and a linear classifier. Parameter and buffer names and
/// shapes are torchvision's `state_dict()` (`conv1.weight`, `layer2.0.downsample.1.running_var`,
/// `layer4.2.conv3.weight`, `fc.bias`), so a torchvision checkpoint converted to safetensors loads
/// unchanged. Any input of at least 32×32 runs (Tiny-ImageNet's 64×64 gives a 2×2 final map).
///
/// Feature taps: f0 = the stem's output (after its ReLU, before the max pooling), f1…f4 = the stage
/// outputs; `preact` gives the stage sums before their last ReLU; pooled = the 512 (2048 for
/// bottlenecks) averages.
public final class ImageNetResNet: Classifier {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let maxpool: MaxPool2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let fc: Linear
    /// Blocks per stage (`[2, 2, 2, 2]` for resnet18, `[3, 4, 6, 3]` for resnet34 and resnet50).
    public let blocks: [Int]
    /// Whether the stages are made of bottlenecks (1×1 – 3×3 – 1×1, output 4 × planes) rather than basic blocks.
    public let usesBottlenecks: Bool
    public var isTraining = true

    /// Initialisation as torchvision: convs `kaiming_normal_(mode="fan_out", nonlinearity="relu")`,
    /// batch norms γ 1 β 0, the classifier PyTorch's `nn.Linear` default.
    public init(blocks: [Int], usesBottlenecks: Bool, inputChannels: Int = 3, classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard blocks.count == 4, blocks.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfiguration("an ImageNet ResNet needs 4 positive block counts, as [2, 2, 2, 2]; got \(blocks)")
        }
        var generator = SplitMix64(seed: seed)
        conv1 = try Conv2d(inputChannels, 64, kernelSize: 7, stride: 2, padding: 3, bias: false, initializer: .kaimingNormalFanOut,
                           context: context, generator: &generator)
        bn1 = try BatchNorm2d(64, context: context)
        maxpool = MaxPool2d(3, stride: 2, padding: 1)
        var inplanes = 64
        func stage(_ planes: Int, count: Int, stride: Int) throws -> Sequential {
            var layers: [any Module] = []
            for index in 0..<count {
                let blockStride = index == 0 ? stride : 1
                if usesBottlenecks {
                    layers.append(try ResNetBottleneck(inplanes, planes, stride: blockStride, context: context, generator: &generator))
                    inplanes = planes * ResNetBottleneck.expansion
                } else {
                    layers.append(try BasicBlock(inplanes, planes, stride: blockStride, context: context, generator: &generator))
                    inplanes = planes
                }
            }
            return Sequential(layers)
        }
        layer1 = try stage(64, count: blocks[0], stride: 1)
        layer2 = try stage(128, count: blocks[1], stride: 2)
        layer3 = try stage(256, count: blocks[2], stride: 2)
        layer4 = try stage(512, count: blocks[3], stride: 2)
        fc = try Linear(inplanes, classes, context: context, generator: &generator)
        self.blocks = blocks
        self.usesBottlenecks = usesBottlenecks
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("layer1", layer1), .child("layer2", layer2), .child("layer3", layer3),
         .child("layer4", layer4), .child("fc", fc)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try bn1(conv1(input), activation: .relu)
        return try FeatureTaps(stem: f0, stagesInput: try maxpool(f0), stages: [layer1, layer2, layer3, layer4], head: fc, preact: preact)
    }

    /// `fc` alone.
    public func logits(fromPooled pooled: Tensor) throws -> Tensor { try fc(pooled) }

    /// Global average pooling of the last stage's map, then `fc`.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor { try fc(stage.globalAvgPool2d()) }
}

/// torchvision's `Bottleneck` (v1.5): conv1×1 – BN – ReLU – conv3×3 (stride) – BN – ReLU – conv1×1 to
/// 4 × planes – BN, plus the shortcut (`downsample.0`/`downsample.1`, a 1×1 conv + BN projection when the
/// stride or width changes), then ReLU.
final class ResNetBottleneck: ResidualBlock {
    static let expansion = 4
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let downsample: Sequential?
    var isTraining = true

    init(_ inplanes: Int, _ planes: Int, stride: Int, context: Context, generator: inout SplitMix64) throws {
        let outplanes = planes * Self.expansion
        func conv(_ input: Int, _ output: Int, _ kernel: Int, stride: Int = 1) throws -> Conv2d {
            try Conv2d(input, output, kernelSize: kernel, stride: stride, padding: kernel / 2, bias: false,
                       initializer: .kaimingNormalFanOut, context: context, generator: &generator)
        }
        conv1 = try conv(inplanes, planes, 1)
        bn1 = try BatchNorm2d(planes, context: context)
        conv2 = try conv(planes, planes, 3, stride: stride)
        bn2 = try BatchNorm2d(planes, context: context)
        conv3 = try conv(planes, outplanes, 1)
        bn3 = try BatchNorm2d(outplanes, context: context)
        downsample = stride != 1 || inplanes != outplanes
            ? Sequential([try conv(inplanes, outplanes, 1, stride: stride), try BatchNorm2d(outplanes, context: context)])
            : nil
    }

    var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("conv2", conv2), .child("bn2", bn2), .child("conv3", conv3), .child("bn3", bn3)]
            + (downsample.map { [.child("downsample", $0)] } ?? [])
    }

    func forward(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        let out = try bn3(conv3(bn2(conv2(bn1(conv1(x), activation: .relu)), activation: .relu)))
        return try joined(out, shortcut: downsample.map { try $0(x) } ?? x, keepingPreactivation: keepingPreactivation)
    }
}
