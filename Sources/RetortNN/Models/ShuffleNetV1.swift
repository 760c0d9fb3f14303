import Retort

/// The CIFAR ShuffleNet (v1) of RepDistiller (`ShuffleV1`: out planes [240, 480, 960], [4, 8, 4] blocks,
/// 3 groups). A conv1×1 (3 → 24) – BN – ReLU stem, three stages of bottlenecks whose first block
/// strides by 2 and concatenates an average-pooled shortcut, global average pooling and a linear
/// classifier. PyTorch's default initialisation, as the reference. Parameter names match
/// `models/ShuffleNetv1.py` (`layer1.0.conv1.weight`, `layer2.3.bn3.running_mean`, `linear.weight`).
///
/// Feature taps as its `forward(x, is_feat=True, preact=…)`: f0 = stem, f1…f3 = stage outputs (with
/// `preact`, the last block's sum or concatenation before its ReLU), pooled = the 960-wide vector.
/// The reference's `avg_pool2d(out, 4)` is the whole 4×4 final map of the 32×32 (and 28×28) inputs it
/// accepts; this averages the whole final map for any input size.
public final class ShuffleNetV1: Classifier {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let linear: Linear
    public var isTraining = true

    /// - Parameters: `outPlanes` and `blockCounts` per stage, `groups` of the grouped 1×1 convs.
    public init(outPlanes: [Int] = [240, 480, 960], blockCounts: [Int] = [4, 8, 4], groups: Int = 3, inputChannels: Int = 3,
                classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard outPlanes.count == 3, blockCounts.count == 3, blockCounts.allSatisfy({ $0 > 0 }), groups > 0 else {
            throw ModelError.invalidConfiguration("ShuffleNetV1 needs three stages with at least one block each; got planes \(outPlanes), blocks \(blockCounts)")
        }
        var generator = SplitMix64(seed: seed)
        conv1 = try Conv2d(inputChannels, 24, kernelSize: 1, bias: false, context: context, generator: &generator)
        bn1 = try BatchNorm2d(24, context: context)
        var inPlanes = 24
        func stage(_ planes: Int, _ count: Int) throws -> Sequential {
            var blocks: [any Module] = []
            for index in 0..<count {
                // The first block concatenates its input (pooled) to reach `planes` channels.
                let produced = index == 0 ? planes - inPlanes : planes
                blocks.append(try ShuffleV1Bottleneck(inPlanes, produced, stride: index == 0 ? 2 : 1, groups: groups, context: context,
                                                      generator: &generator))
                inPlanes = planes
            }
            return Sequential(blocks)
        }
        layer1 = try stage(outPlanes[0], blockCounts[0])
        layer2 = try stage(outPlanes[1], blockCounts[1])
        layer3 = try stage(outPlanes[2], blockCounts[2])
        linear = try Linear(outPlanes[2], classes, context: context, generator: &generator)
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("layer1", layer1), .child("layer2", layer2), .child("layer3", layer3),
         .child("linear", linear)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try bn1(conv1(input), activation: .relu)
        var x = f0
        var stages = [f0], preactivations = [f0]
        for stage in [layer1, layer2, layer3] {
            var preactivation = x
            for case let block as ShuffleV1Bottleneck in stage.layers {
                let tapped = preact && block === stage.layers.last as? ShuffleV1Bottleneck
                (x, preactivation) = try block.forward(x, keepingPreactivation: tapped)
            }
            stages.append(x)
            preactivations.append(preactivation)
        }
        let pooled = try x.globalAvgPool2d()
        return FeatureTaps(stages: stages, preactivations: preact ? preactivations : [], pooled: pooled, logits: try linear(pooled),
                           pooledMap: x)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try linear(pooled)
    }

    /// Global average pooling, then `linear`.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try linear(stage.globalAvgPool2d())
    }
}

/// Grouped conv1×1 – BN – ReLU – channel shuffle – depthwise conv3×3 (stride) – BN – ReLU – grouped
/// conv1×1 – BN; then plus the input (stride 1), or concatenated with the 3×3 average-pooled input
/// (stride 2); then ReLU. The first conv is ungrouped when the block's input has 24 channels (the stem).
final class ShuffleV1Bottleneck: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let shuffleGroups: Int
    let stride: Int
    var isTraining = true

    init(_ inPlanes: Int, _ outPlanes: Int, stride: Int, groups: Int, context: Context, generator: inout SplitMix64) throws {
        let middle = outPlanes / 4
        let firstGroups = inPlanes == 24 ? 1 : groups
        conv1 = try Conv2d(inPlanes, middle, kernelSize: 1, groups: firstGroups, bias: false, context: context, generator: &generator)
        bn1 = try BatchNorm2d(middle, context: context)
        conv2 = try Conv2d(middle, middle, kernelSize: 3, stride: stride, padding: 1, groups: middle, bias: false, context: context,
                           generator: &generator)
        bn2 = try BatchNorm2d(middle, context: context)
        conv3 = try Conv2d(middle, outPlanes, kernelSize: 1, groups: groups, bias: false, context: context, generator: &generator)
        bn3 = try BatchNorm2d(outPlanes, context: context)
        shuffleGroups = firstGroups
        self.stride = stride
    }

    var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("bn1", bn1), .child("conv2", conv2), .child("bn2", bn2), .child("conv3", conv3), .child("bn3", bn3)]
    }

    /// The block output and, when asked for, its pre-ReLU sum (or concatenation); otherwise the output
    /// again, the ReLU fused into the last batch norm or the sum.
    func forward(_ x: Tensor, keepingPreactivation: Bool) throws -> (output: Tensor, preactivation: Tensor) {
        var out = try bn1(conv1(x), activation: .relu)
        if shuffleGroups > 1 { out = try out.channelShuffled(groups: shuffleGroups) }
        let middle = try conv3(bn2(conv2(out), activation: .relu))
        let pooled = stride == 2 ? try x.avgPool2d(kernel: 3, stride: 2, padding: 1) : nil
        guard keepingPreactivation else {
            let output = try pooled.map { try Tensor.concatenated([try bn3(middle, activation: .relu), try $0.relu()], along: 1) }
                ?? bn3(middle).reluOfSum(with: x)
            return (output, output)
        }
        out = try bn3(middle)
        let preactivation = try pooled.map { try Tensor.concatenated([out, $0], along: 1) } ?? out + x
        return (try preactivation.relu(), preactivation)
    }

    func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input, keepingPreactivation: false).output }
}
