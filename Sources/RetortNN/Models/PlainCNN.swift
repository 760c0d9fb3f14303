import Retort

/// TAKD's plain CNNs (`plane2` … `plane10`): `Conv<n>` = conv3×3 (bias) – BN – ReLU, `MP` = 2×2 max
/// pool, `FC<n>` = linear (ReLU after all but the last). All layers sit in one `layers` sequence, as
/// `nn.Sequential(*(conv_layers + fc_layers))` in `plain_cnn_cifar.py`.
public final class PlainCNN: Classifier {
    public let layers: Sequential
    /// The layer specs (without the final classifier) and the shapes it was built for.
    public let layerSpecs: [String]
    let inputChannels: Int, inputSize: Int, classes: Int
    /// Modules before the flatten (convolutions and pools).
    let convolutionCount: Int
    /// The module index where the last group of convolutions starts (after the pool before it);
    /// nil for a single group.
    let lastGroupStart: Int?
    public var isTraining = true

    /// The layer specs of each model for CIFAR-10-sized class counts and for CIFAR-100 (`hundred`).
    public static func specification(_ name: String, hundred: Bool) -> [String]? {
        let tenClass: [String: [String]] = [
            "plane2": ["Conv16", "MP", "Conv16", "MP"],
            "plane4": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP"],
            "plane6": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP"],
            "plane8": ["Conv16", "Conv16", "MP", "Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP", "FC64"],
            "plane10": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP",
                        "Conv256", "Conv256", "Conv256", "Conv256", "MP", "FC128"],
        ]
        let hundredClass: [String: [String]] = [
            "plane2": ["Conv32", "MP", "Conv32", "MP"],
            "plane4": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP"],
            "plane6": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128"],
            "plane8": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP", "Conv256", "Conv256", "MP", "FC64"],
            "plane10": ["Conv32", "Conv32", "MP", "Conv64", "Conv64", "MP", "Conv128", "Conv128", "MP",
                        "Conv256", "Conv256", "Conv256", "Conv256", "MP", "FC512"],
        ]
        return (hundred ? hundredClass : tenClass)[name]
    }

    /// - Parameters: `spec` as in ``specification(_:hundred:)`` (the final `FC<classes>` is added).
    public init(spec: [String], inputChannels: Int = 3, inputSize: Int = 32, classes: Int, context: Context, seed: UInt64 = 0) throws {
        var generator = SplitMix64(seed: seed)
        var modules: [any Module] = []
        var channels = inputChannels, size = inputSize, features = 0, convolutions = 0
        var groupStart: Int?, previous: String?
        for item in spec {
            defer { previous = item }
            if item == "MP" {
                modules.append(MaxPool2d(2))
                size /= 2
                convolutions = modules.count
            } else if item.hasPrefix("Conv"), let width = Int(item.dropFirst(4)) {
                if previous == "MP" { groupStart = modules.count }
                modules += [try Conv2d(channels, width, kernelSize: 3, padding: 1, context: context, generator: &generator),
                            try BatchNorm2d(width, context: context), ReLU()]
                channels = width
                convolutions = modules.count
            } else if item.hasPrefix("FC"), let width = Int(item.dropFirst(2)) {
                if features == 0 { features = channels * size * size }
                modules += [try Linear(features, width, context: context, generator: &generator), ReLU()]
                features = width
            } else {
                throw ModelError.invalidConfiguration("plain CNN: unknown layer '\(item)' (use Conv<n>, MP, FC<n>)")
            }
        }
        guard size > 0 else { throw ModelError.invalidConfiguration("plain CNN: a \(inputSize)×\(inputSize) input is too small for \(spec)") }
        if features == 0 { features = channels * size * size }
        modules.append(try Linear(features, classes, context: context, generator: &generator))
        layers = Sequential(modules)
        convolutionCount = convolutions
        lastGroupStart = groupStart
        layerSpecs = spec
        self.inputChannels = inputChannels
        self.inputSize = inputSize
        self.classes = classes
    }

    public var entries: [ModuleEntry] { [.child("layers", layers)] }

    public func features(_ input: Tensor, preact: Bool) throws -> FeatureTaps {
        let x = try layers.layers.prefix(convolutionCount).output(for: input)
        let pooled = try x.flattened(from: 1)
        let logits = try classify(from: pooled, startingAt: convolutionCount)
        return FeatureTaps(stages: [x], preactivations: preact ? [x] : [], pooled: pooled, logits: logits)
    }

    public func logits(fromPooled pooled: Tensor) throws -> Tensor {
        try classify(from: pooled, startingAt: convolutionCount)
    }

    /// Flatten, then the fully connected layers.
    public func logits(fromLastStage stage: Tensor) throws -> Tensor {
        try classify(from: stage, startingAt: convolutionCount)
    }

    /// Runs the modules from index `start` on `x` (flattening it after the convolutions).
    func classify(from x: Tensor, startingAt start: Int) throws -> Tensor {
        var x = x
        for (index, layer) in layers.layers.enumerated().dropFirst(start) {
            if index == convolutionCount, x.shape.count > 2 { x = try x.flattened(from: 1) }
            x = try layer(x)
        }
        return x
    }
}
