import Retort

/// The CIFAR Wide ResNets of RepDistiller (`wrn_16_1`, `wrn_16_2`, `wrn_40_1`, `wrn_40_2`):
/// pre-activation blocks, widths [16, 16k, 32k, 64k]. Parameter names match `models/wrn.py`.
public final class WideResNet: Classifier {
    public let conv1: Conv2d
    public let block1: WideStage, block2: WideStage, block3: WideStage
    public let bn1: BatchNorm2d
    public let fc: Linear
    public let depth: Int, widen: Int
    let inputChannels: Int, classes: Int
    public var isTraining = true

    /// - Parameters: `depth` = 6n + 4; `widen` = k.
    public init(depth: Int, widen: Int, inputChannels: Int = 3, classes: Int, context: Context, seed: UInt64 = 0) throws {
        guard (depth - 4) % 6 == 0, depth >= 10, widen > 0 else {
            throw ModelError.invalidConfiguration("WRN depth must be 6n + 4 (10, 16, 22, 28, 40, …) and the widen factor positive; got \(depth), \(widen)")
        }
        let blocks = (depth - 4) / 6
        let channels = [16, 16 * widen, 32 * widen, 64 * widen]
        var generator = SplitMix64(seed: seed)
        conv1 = try Conv2d(inputChannels, channels[0], kernelSize: 3, padding: 1, bias: false, initializer: .wideResNet,
                           context: context, generator: &generator)
        block1 = try WideStage(blocks, channels[0], channels[1], stride: 1, context: context, generator: &generator)
        block2 = try WideStage(blocks, channels[1], channels[2], stride: 2, context: context, generator: &generator)
        block3 = try WideStage(blocks, channels[2], channels[3], stride: 2, context: context, generator: &generator)
        bn1 = try BatchNorm2d(channels[3], context: context)
        fc = try Linear(channels[3], classes, context: context, generator: &generator)
        self.depth = depth
        self.widen = widen
        self.inputChannels = inputChannels
        self.classes = classes
        try fc.bias?.assign([Float](repeating: 0, count: classes))
    }

    public var entries: [ModuleEntry] {
        [.child("conv1", conv1), .child("block1", block1), .child("block2", block2), .child("block3", block3),
         .child("bn1", bn1), .child("fc", fc)]
    }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let f0 = try conv1(input)
        let f1 = try block1(f0), f2 = try block2(f1), f3 = try block3(f2)
        let map = try bn1(f3, activation: .relu)
        let pooled = try map.globalAvgPool2d()
        var preactivations: [Tensor] = []
        if preact {
            // As RepDistiller: each stage output through the next batch norm (which, in training mode,
            // also updates that norm's running statistics, as there).
            preactivations = [f0, try block2.firstNorm(f1), try block3.firstNorm(f2), try bn1(f3)]
        }
        return FeatureTaps(stages: [f0, f1, f2, f3], preactivations: preactivations, pooled: pooled, logits: try fc(pooled), pooledMap: map)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try fc(pooled)
    }

    /// `bn1` and ReLU (the stage tap is block3's output, before them), global average pooling, `fc`.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try fc(bn1(stage, activation: .relu).globalAvgPool2d())
    }
}

/// RepDistiller's `NetworkBlock`: its blocks live under `layer` (`block1.layer.0.conv1.weight`).
public final class WideStage: Module {
    let layer: Sequential
    public var isTraining = true

    init(_ count: Int, _ inPlanes: Int, _ outPlanes: Int, stride: Int, context: Context, generator: inout SplitMix64) throws {
        layer = Sequential(try (0..<count).map { index in
            try WideBlock(index == 0 ? inPlanes : outPlanes, outPlanes, stride: index == 0 ? stride : 1, context: context, generator: &generator)
        })
    }

    public var entries: [ModuleEntry] { [.child("layer", layer)] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try layer(input) }

    /// The first block's input batch norm (`layer[0].bn1`).
    func firstNorm(_ input: Tensor) throws -> Tensor { try (layer.layers[0] as! WideBlock).bn1(input) }
}

/// BN – ReLU – conv3×3 – BN – ReLU – conv3×3, plus the input (or a 1×1 conv of the activated input
/// when the width changes).
final class WideBlock: Module {
    let bn1: BatchNorm2d, conv1: Conv2d, bn2: BatchNorm2d, conv2: Conv2d
    let convShortcut: Conv2d?
    var isTraining = true

    init(_ inPlanes: Int, _ outPlanes: Int, stride: Int, context: Context, generator: inout SplitMix64) throws {
        bn1 = try BatchNorm2d(inPlanes, context: context)
        conv1 = try Conv2d(inPlanes, outPlanes, kernelSize: 3, stride: stride, padding: 1, bias: false, initializer: .wideResNet,
                           context: context, generator: &generator)
        bn2 = try BatchNorm2d(outPlanes, context: context)
        conv2 = try Conv2d(outPlanes, outPlanes, kernelSize: 3, padding: 1, bias: false, initializer: .wideResNet,
                           context: context, generator: &generator)
        convShortcut = inPlanes == outPlanes ? nil
            : try Conv2d(inPlanes, outPlanes, kernelSize: 1, stride: stride, bias: false, initializer: .wideResNet,
                         context: context, generator: &generator)
    }

    var entries: [ModuleEntry] {
        [.child("bn1", bn1), .child("conv1", conv1), .child("bn2", bn2), .child("conv2", conv2)]
            + (convShortcut.map { [.child("convShortcut", $0)] } ?? [])
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let activated = try bn1(x, activation: .relu)
        let out = try conv2(bn2(conv1(activated), activation: .relu))
        return try out + (convShortcut.map { try $0(activated) } ?? x)
    }
}
