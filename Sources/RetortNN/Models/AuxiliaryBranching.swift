import Retort

/// A classifier split at an intermediate feature map (the branch point), so that a second head can
/// read the same features: SOKD's auxiliary branch on a frozen teacher (kd-methods §4.6), where the
/// branch is a freshly initialised copy of the layers after the branch point.
///
/// The branch point is the input of the last stage: for a CIFAR ResNet the output of `layer2`, for
/// a WRN the output of `block2`, for a plain CNN the input of its last group of convolutions.
public protocol AuxiliaryBranching: Classifier {
    /// The features at the branch point, `[N, C, H, W]`.
    func trunk(_ input: Tensor) throws -> Tensor
    /// The network's own logits `[N, classes]` from the features at the branch point: the layers
    /// after it (`logits(fromTrunk: trunk(x))` equals `self(x)`).
    func logits(fromTrunk features: Tensor) throws -> Tensor
    /// A fresh copy of the layers after the branch point (last stage, pooling, classifier),
    /// initialised from `seed` as a new model of the same kind would be; it maps ``trunk(_:)``'s
    /// features to logits.
    func makeAuxiliaryBranch(seed: UInt64) throws -> AuxiliaryBranch
}

/// Layers that map branch-point features to logits, run in order. Children keep the names of the
/// layers they copy (`layer3`, `fc`), so a branch's state dict reads like the network's own.
public final class AuxiliaryBranch: Module {
    public let children: [(name: String, module: any Module)]
    public var isTraining = true

    public init(_ children: [(name: String, module: any Module)]) { self.children = children }

    public var entries: [ModuleEntry] { children.map { .child($0.name, $0.module) } }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try children.reduce(input) { try $1.module($0) }
    }
}

extension Classifier {
    /// This classifier's branch-point hook, or an error naming the models that have one.
    public func asAuxiliaryBranching(model name: String) throws -> any AuxiliaryBranching {
        guard let branching = self as? any AuxiliaryBranching else {
            throw ModelError.invalidConfiguration("\(name) has no auxiliary-branch point; use a plain CNN (plane2 … plane10), "
                                                  + "a CIFAR ResNet (resnet8 … resnet110, resnet8x4, resnet32x4) or a WRN (wrn_16_1 … wrn_40_2)")
        }
        return branching
    }
}

extension PlainCNN: AuxiliaryBranching {
    public func trunk(_ input: Tensor) throws -> Tensor {
        try layers.layers.prefix(try branchIndex()).output(for: input)
    }

    public func logits(fromTrunk features: Tensor) throws -> Tensor {
        try classify(from: features, startingAt: try branchIndex())
    }

    /// The last convolution group (its convs and pool), a flatten, and the FC layers of a new
    /// `PlainCNN` of the same specification.
    public func makeAuxiliaryBranch(seed: UInt64) throws -> AuxiliaryBranch {
        let start = try branchIndex()
        let fresh = try PlainCNN(spec: layerSpecs, inputChannels: inputChannels, inputSize: inputSize, classes: classes,
                                 context: layers.parameters()[0].context, seed: seed)
        let copied = fresh.layers.layers
        return AuxiliaryBranch([("layers", Sequential(Array(copied[start..<convolutionCount]) + [Flatten()] + Array(copied[convolutionCount...])))])
    }

    private func branchIndex() throws -> Int {
        guard let lastGroupStart else {
            throw ModelError.invalidConfiguration("plain CNN \(layerSpecs) has a single convolution group: no branch point before its last one")
        }
        return lastGroupStart
    }
}

extension ResNet: AuxiliaryBranching {
    /// The stem, `layer1` and `layer2`.
    public func trunk(_ input: Tensor) throws -> Tensor {
        try layer2(layer1(bn1(conv1(input), activation: .relu)))
    }

    public func logits(fromTrunk features: Tensor) throws -> Tensor {
        try fc(layer3(features).globalAvgPool2d())
    }

    /// `layer3`, global average pooling and `fc` of a new ResNet of the same depth and widths.
    public func makeAuxiliaryBranch(seed: UInt64) throws -> AuxiliaryBranch {
        let fresh = try ResNet(depth: depth, filters: filters, inputChannels: inputChannels, classes: classes,
                               context: fc.weight.context, seed: seed)
        return AuxiliaryBranch([("layer3", fresh.layer3), ("avgpool", AdaptiveAvgPool2d()), ("flatten", Flatten()), ("fc", fresh.fc)])
    }
}

extension WideResNet: AuxiliaryBranching {
    /// `conv1`, `block1` and `block2` (SOKD's `feat_T[-3]`).
    public func trunk(_ input: Tensor) throws -> Tensor {
        try block2(block1(conv1(input)))
    }

    public func logits(fromTrunk features: Tensor) throws -> Tensor {
        try fc(bn1(block3(features), activation: .relu).globalAvgPool2d())
    }

    /// `block3`, BN, ReLU, global average pooling and `fc` of a new WRN of the same depth and
    /// width: SOKD's `deepcopy(block3) → BN → ReLU → avgpool → FC`.
    public func makeAuxiliaryBranch(seed: UInt64) throws -> AuxiliaryBranch {
        let fresh = try WideResNet(depth: depth, widen: widen, inputChannels: inputChannels, classes: classes,
                                   context: fc.weight.context, seed: seed)
        return AuxiliaryBranch([("block3", fresh.block3), ("bn1", fresh.bn1), ("relu", ReLU()), ("avgpool", AdaptiveAvgPool2d()),
                                ("flatten", Flatten()), ("fc", fresh.fc)])
    }
}
