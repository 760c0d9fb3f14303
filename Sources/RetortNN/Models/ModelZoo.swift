import Retort

/// Builds the model zoo of the distillation literature by name: the CIFAR models of RepDistiller and
/// TAKD, and torchvision's ImageNet-size ResNets and MobileNetV2s.
public enum ModelZoo {
    /// Every model name, in listing order.
    public static let names = ["resnet8", "resnet14", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
                               "resnet8x4", "resnet32x4", "wrn_16_1", "wrn_16_2", "wrn_40_1", "wrn_40_2",
                               "vgg8", "vgg11", "vgg13", "MobileNetV2", "ShuffleV1", "ShuffleV2",
                               "plane2", "plane4", "plane6", "plane8", "plane10"]
        + imageNetNames

    /// torchvision's ImageNet-size models (any input of at least 32×32; 224×224 for ImageNet, 64×64 for
    /// Tiny-ImageNet), with torchvision's `state_dict` names.
    public static let imageNetNames = ["resnet18", "resnet34", "resnet50", "mobilenetv2_1.0", "mobilenetv2_1.4"]

    /// A freshly initialised model.
    /// - Parameters: `inputSize` is the (square) image side (32 for CIFAR, 28 for (Fashion-)MNIST);
    ///   only the plain CNNs depend on it (the other models pool their final map globally).
    ///   `MobileNetV2` is RepDistiller's `mobile_half` (expansion 6, width 0.5); `vgg8`/`vgg11`/`vgg13` are
    ///   its batch-norm VGGs. `resnet18`/`resnet34`/`resnet50` are torchvision's ResNets
    ///   (``ImageNetResNet``), `mobilenetv2_1.0`/`mobilenetv2_1.4` its `mobilenet_v2(width_mult:)`
    ///   (``ImageNetMobileNetV2``). `seed` makes initialisation reproducible.
    public static func make(_ name: String, inputChannels: Int = 3, inputSize: Int = 32, classes: Int, context: Context,
                            seed: UInt64 = 0) throws -> any Classifier {
        let resnetDepths = ["resnet8": 8, "resnet14": 14, "resnet20": 20, "resnet32": 32, "resnet44": 44, "resnet56": 56, "resnet110": 110]
        if let depth = resnetDepths[name] {
            return try ResNet(depth: depth, filters: [16, 16, 32, 64], inputChannels: inputChannels, classes: classes, context: context, seed: seed)
        }
        switch name {
        case "resnet8x4", "resnet32x4":
            return try ResNet(depth: name == "resnet8x4" ? 8 : 32, filters: [32, 64, 128, 256], inputChannels: inputChannels,
                              classes: classes, context: context, seed: seed)
        case "wrn_16_1", "wrn_16_2", "wrn_40_1", "wrn_40_2":
            let parts = name.split(separator: "_").compactMap { Int($0) }
            return try WideResNet(depth: parts[0], widen: parts[1], inputChannels: inputChannels, classes: classes, context: context, seed: seed)
        case "vgg8", "vgg11", "vgg13":
            return try VGG(configuration: VGG.configurations[name] ?? [], inputChannels: inputChannels, classes: classes, context: context,
                           seed: seed)
        case "MobileNetV2":
            return try MobileNetV2(expansion: 6, widthMultiplier: 0.5, inputChannels: inputChannels, classes: classes, context: context,
                                   seed: seed)
        case "ShuffleV1":
            return try ShuffleNetV1(inputChannels: inputChannels, classes: classes, context: context, seed: seed)
        case "ShuffleV2":
            return try ShuffleNetV2(inputChannels: inputChannels, classes: classes, context: context, seed: seed)
        case "resnet18", "resnet34", "resnet50":
            return try ImageNetResNet(blocks: name == "resnet18" ? [2, 2, 2, 2] : [3, 4, 6, 3], usesBottlenecks: name == "resnet50",
                                      inputChannels: inputChannels, classes: classes, context: context, seed: seed)
        case "mobilenetv2_1.0", "mobilenetv2_1.4":
            return try ImageNetMobileNetV2(widthMultiplier: name == "mobilenetv2_1.0" ? 1 : 1.4, inputChannels: inputChannels,
                                           classes: classes, context: context, seed: seed)
        default:
            // TAKD's CIFAR-100 book uses wider plain CNNs than its CIFAR-10 book.
            if let spec = PlainCNN.specification(name, hundred: classes > 10) {
                return try PlainCNN(spec: spec, inputChannels: inputChannels, inputSize: inputSize, classes: classes, context: context, seed: seed)
            }
            throw ModelError.unknownModel(name: name, available: names)
        }
    }
}
