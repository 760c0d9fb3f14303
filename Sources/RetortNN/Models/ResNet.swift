import Retort

/// The CIFAR ResNets of RepDistiller / mdistiller (`resnet8` … `resnet110`, `resnet8x4`, `resnet32x4`):
/// a 3×3 stem, three stages of basic blocks (the first block of stages 2 and 3 strides by 2), global
/// average pooling and a linear classifier. Parameter names match `models/resnet.py`.
public final class ResNet: Classifier {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let fc: Linear
    public let depth: Int, filters: [Int]
    let inputChannels: Int, classes: Int
    public var isTraining = true

    /// - Parameters: `depth` = 6n + 2; `filters` = [stem, stage 1, stage 2, stage 3] channels.
    public init(depth: Int, filters: [Int], inputChannels: Int = 3, classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard (depth - 2) % 6 == 0, depth >= 8, filters.count == 4 else {
            throw ModelError.invalidConfiguration("ResNet depth must be 6n + 2 (8, 14, 20, …) with 4 filter counts; got depth \(depth), filters \(filters)")
        }
        let blocks = (depth - 2) / 6
        var generator = SplitMix64(seed: seed)
        conv1 = try Conv2d(inputChannels, filters[0], kernelSize: 3, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
                           context: context, generator: &generator)
        bn1 = try BatchNorm2d(filters[0], context: context)
        var inplanes = filters[0]
        func stage(_ planes: Int, stride: Int) throws -> Sequential {
            var layers: [any Module] = []
            for index in 0..<blocks {
                let block = try BasicBlock(inplanes, planes, stride: index == 0 ? stride : 1, context: context, generator: &generator)
                layers.append(block)
                inplanes = planes
            }
            return Sequential(layers)
        }
        layer1 = try stage(filters[1], stride: 1)
        layer2 = try stage(filters[2], stride: 2)
        layer3 = try stage(filters[3], stride: 2)
        fc = try Linear(filters[3], classes, context: context, generator: &generator)
        self.depth = depth
        self.filters = filters
        self.inputChannels = inputChannels
        self.classes = classes
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("layer1", layer1), .child("layer2", layer2),
         .child("layer3", layer3), .child("fc", fc)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try bn1(conv1(input), activation: .relu)
        return try FeatureTaps(stem: f0, stagesInput: f0, stages: [layer1, layer2, layer3], head: fc, preact: preact)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try fc(pooled)
    }

    /// Global average pooling, then `fc`.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try fc(stage.globalAvgPool2d())
    }
}

/// conv3×3 – BN – ReLU – conv3×3 – BN, plus the shortcut (a 1×1 conv + BN projection when the
/// stride or width changes), then ReLU. `downsample.0`/`downsample.1` as in RepDistiller (and
/// torchvision's `BasicBlock`, which has the same members).
final class BasicBlock: ResidualBlock {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let downsample: Sequential?
    var isTraining = true

    init(_ inplanes: Int, _ planes: Int, stride: Int, context: Context, generator: inout SplitMix64) throws {
        conv1 = try Conv2d(inplanes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
                           context: context, generator: &generator)
        bn1 = try BatchNorm2d(planes, context: context)
        conv2 = try Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
                           context: context, generator: &generator)
        bn2 = try BatchNorm2d(planes, context: context)
        downsample = stride != 1 || inplanes != planes
            ? Sequential([try Conv2d(inplanes, planes, kernelSize: 1, stride: stride, bias: false, initializer: .kaimingNormalFanOut,
                                     context: context, generator: &generator),
                          try BatchNorm2d(planes, context: context)])
            : nil
    }

    var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("conv2", conv2), .child("bn2", bn2)]
            + (downsample.map { [.child("downsample", $0)] } ?? [])
    }

    func forward(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        let out = try bn2(conv2(bn1(conv1(x), activation: .relu)))
        return try joined(out, shortcut: downsample.map { try $0(x) } ?? x, keepingPreactivation: keepingPreactivation)
    }
}

/// A residual block ending in `relu(residual + shortcut)`, whose forward pass can keep the sum
/// before that ReLU (a `preact` feature tap).
protocol ResidualBlock: Module {
    /// The block output and, when asked for, its pre-ReLU sum (otherwise the output again).
    func forward(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor)
}

extension ResidualBlock {
    func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input, keepingPreactivation: false).output }

    /// `relu(out + shortcut)` and, when asked for, the sum before the ReLU; otherwise the output again:
    /// the sum and the ReLU then run as one op, and the sum is never stored.
    func joined(_ out: Tensor, shortcut: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        guard keepingPreactivation else {
            let output = try out.reluOfSum(with: shortcut)
            return (output, output)
        }
        let sum = try out + shortcut
        return (try sum.relu(), sum)
    }
}

extension FeatureTaps {
    /// A ResNet's taps: f0 = `stem`, then `stagesInput` (the stem's output, pooled or not) through the
    /// `stages` of residual blocks, each stage's output a tap (with `preact`, its last block's sum
    /// before the ReLU too), global average pooling of the last and the linear `head`.
    init(stem: Tensor, stagesInput: Tensor, stages: [Sequential], head: Linear, preact: Bool) throws {
        var x = stagesInput
        var taps = [stem], preactivations = [stem]
        for stage in stages {
            let (output, preactivation) = try stage.residualStage(x, keepingPreactivation: preact)
            x = output
            taps.append(output)
            preactivations.append(preactivation)
        }
        let pooled = try x.globalAvgPool2d()
        self.init(stages: taps, preactivations: preact ? preactivations : [], pooled: pooled, logits: try head(pooled), pooledMap: x)
    }
}

extension Sequential {
    /// A stage of residual blocks run in order: its output and, with `keepingPreactivation`, its last
    /// block's sum before the ReLU (otherwise the output again).
    func residualStage(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        var result = (output: x, preactivation: x)
        for (index, layer) in layers.enumerated() {
            if let block = layer as? any ResidualBlock {
                result = try block.forward(result.output, keepingPreactivation: keepingPreactivation && index == layers.count - 1)
            } else {
                let output = try layer(result.output)
                result = (output, output)
            }
        }
        return result
    }
}
