import Retort

/// The CIFAR ShuffleNetV2 of RepDistiller (`ShuffleV2`: net size 1, out channels [116, 232, 464, 1024],
/// [3, 7, 3] basic blocks). A conv1×1 (3 → 24) – BN – ReLU stem; three stages, each a stride-2 down
/// block followed by basic blocks that split the channels in halves, transform one half and
/// concatenate and shuffle them; a conv1×1 – BN – ReLU to 1024 channels, global average pooling and a
/// linear classifier. PyTorch's default initialisation, as the reference. Parameter names match
/// `models/ShuffleNetv2.py` (`layer1.0.conv4.weight` in a down block, `layer1.1.bn3.running_var`,
/// `conv2.weight`, `linear.bias`).
///
/// Feature taps as its `forward(x, is_feat=True, preact=…)`: f0 = stem, f1…f3 = stage outputs (with
/// `preact`, the last block's concatenation before its ReLU and shuffle), pooled = the 1024-wide vector.
/// The reference's `avg_pool2d(out, 4)` is the whole 4×4 final map of the 32×32 (and 28×28) inputs it
/// accepts; this averages the whole final map for any input size.
public final class ShuffleNetV2: Classifier {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let linear: Linear
    public var isTraining = true

    /// - Parameters: `outChannels`: the three stage widths and the final conv's; `blockCounts`: basic
    ///   blocks per stage (after its down block). The defaults are the reference's net size 1.
    public init(outChannels: [Int] = [116, 232, 464, 1024], blockCounts: [Int] = [3, 7, 3], inputChannels: Int = 3, classes: Int,
                context: Context, seed: UInt64 = 0) throws {
        guard outChannels.count == 4, blockCounts.count == 3, blockCounts.allSatisfy({ $0 > 0 }),
              outChannels.prefix(3).allSatisfy({ $0 > 1 && $0 % 2 == 0 }) else {
            throw ModelError.invalidConfiguration("ShuffleNetV2 needs 4 widths (the first three even) and 3 positive block counts; got \(outChannels), \(blockCounts)")
        }
        var generator = SplitMix64(seed: seed)
        conv1 = try Conv2d(inputChannels, 24, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn1 = try BatchNorm2d(24, context: context)
        var channels = 24
        func stage(_ width: Int, _ count: Int) throws -> Sequential {
            var blocks: [any Module] = [try ShuffleV2DownBlock(channels, width, context: context, generator: &generator)]
            for _ in 0..<count { blocks.append(try ShuffleV2Block(width, context: context, generator: &generator)) }
            channels = width
            return Sequential(blocks)
        }
        layer1 = try stage(outChannels[0], blockCounts[0])
        layer2 = try stage(outChannels[1], blockCounts[1])
        layer3 = try stage(outChannels[2], blockCounts[2])
        conv2 = try Conv2d(outChannels[2], outChannels[3], kernelSize: 1, bias: false, context: context, generator: &generator)
        bn2 = try BatchNorm2d(outChannels[3], context: context)
        linear = try Linear(outChannels[3], classes, context: context, generator: &generator)
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("layer1", layer1), .child("layer2", layer2), .child("layer3", layer3),
         .child("conv2", conv2), .child("bn2", bn2), .child("linear", linear)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try bn1(conv1(input), activation: .relu)
        var x = f0
        var stages = [f0], preactivations = [f0]
        for stage in [layer1, layer2, layer3] {
            var preactivation = x
            for layer in stage.layers {
                if let block = layer as? ShuffleV2Block, preact, layer === stage.layers.last {
                    (x, preactivation) = try block.forward(x, keepingPreactivation: true)
                } else {
                    x = try layer(x)
                }
            }
            stages.append(x)
            preactivations.append(preactivation)
        }
        let map = try bn2(conv2(x), activation: .relu)
        let pooled = try map.globalAvgPool2d()
        return FeatureTaps(stages: stages, preactivations: preact ? preactivations : [], pooled: pooled, logits: try linear(pooled),
                           pooledMap: map)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try linear(pooled)
    }

    /// `conv2`–`bn2`–ReLU, global average pooling, then `linear`.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try linear(bn2(conv2(stage), activation: .relu).globalAvgPool2d())
    }
}

/// Splits the channels in halves (x1, x2); x2 goes through conv1×1 – BN – ReLU – depthwise conv3×3 –
/// BN – conv1×1 – BN – ReLU; the output is [x1, that] concatenated, then shuffled in 2 groups.
final class ShuffleV2Block: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let channels: Int
    var isTraining = true

    init(_ channels: Int, context: Context, generator: inout SplitMix64) throws {
        let half = channels / 2
        conv1 = try Conv2d(half, half, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn1 = try BatchNorm2d(half, context: context)
        conv2 = try Conv2d(half, half, kernelSize: 3, padding: 1, groups: half, bias: false, context: context, generator: &generator)
        bn2 = try BatchNorm2d(half, context: context)
        conv3 = try Conv2d(half, half, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn3 = try BatchNorm2d(half, context: context)
        self.channels = channels
    }

    var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("conv2", conv2), .child("bn2", bn2), .child("conv3", conv3), .child("bn3", bn3)]
    }

    /// The block output and, when asked for, the concatenation [x1, BN output] before the last ReLU and
    /// the shuffle (otherwise the output again, to save a copy).
    func forward(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        let half = x.shape[1] / 2
        let parts = try x.split([half, x.shape[1] - half], along: 1)
        let middle = try conv3(bn2(conv2(bn1(conv1(parts[1]), activation: .relu))))
        guard keepingPreactivation else {
            let output = try Tensor.concatenated([parts[0], bn3(middle, activation: .relu)], along: 1).channelShuffled(groups: 2)
            return (output, output)
        }
        let transformed = try bn3(middle)
        let output = try Tensor.concatenated([parts[0], transformed.relu()], along: 1).channelShuffled(groups: 2)
        return (output, try Tensor.concatenated([parts[0], transformed], along: 1))
    }

    func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input, keepingPreactivation: false).output }
}

/// Two stride-2 branches over the whole input: depthwise conv3×3 – BN – conv1×1 – BN – ReLU, and
/// conv1×1 – BN – ReLU – depthwise conv3×3 – BN – conv1×1 – BN – ReLU, each to half the output width;
/// concatenated and shuffled in 2 groups.
final class ShuffleV2DownBlock: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let conv4: Conv2d, bn4: BatchNorm2d, conv5: Conv2d, bn5: BatchNorm2d
    var isTraining = true

    init(_ inChannels: Int, _ outChannels: Int, context: Context, generator: inout SplitMix64) throws {
        let middle = outChannels / 2
        conv1 = try Conv2d(inChannels, inChannels, kernelSize: 3, stride: 2, padding: 1, groups: inChannels, bias: false, context: context,
                           generator: &generator)
        bn1 = try BatchNorm2d(inChannels, context: context)
        conv2 = try Conv2d(inChannels, middle, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn2 = try BatchNorm2d(middle, context: context)
        conv3 = try Conv2d(inChannels, middle, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn3 = try BatchNorm2d(middle, context: context)
        conv4 = try Conv2d(middle, middle, kernelSize: 3, stride: 2, padding: 1, groups: middle, bias: false, context: context,
                           generator: &generator)
        bn4 = try BatchNorm2d(middle, context: context)
        conv5 = try Conv2d(middle, middle, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn5 = try BatchNorm2d(middle, context: context)
    }

    var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("conv2", conv2), .child("bn2", bn2), .child("conv3", conv3), .child("bn3", bn3),
         .child("conv4", conv4), .child("bn4", bn4), .child("conv5", conv5), .child("bn5", bn5)]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let left = try bn2(conv2(bn1(conv1(x))), activation: .relu)
        let right = try bn5(conv5(bn4(conv4(bn3(conv3(x), activation: .relu)))), activation: .relu)
        return try Tensor.concatenated([left, right], along: 1).channelShuffled(groups: 2)
    }
}
