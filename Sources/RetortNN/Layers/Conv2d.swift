import Retort

/// 2-D convolution layer (PyTorch's `nn.Conv2d`, same parameter names).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    public var isTraining = true
    /// This layer's weights with the next batch norm folded in, in a folded teacher (`foldBatchNorms()`).
    var folded: FoldedConvolution?

    /// How the weights start.
    public enum Initializer {
        /// PyTorch's default: U(±1/√fan_in) for weight and bias.
        case pytorchDefault
        /// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, bias 0 (the CIFAR ResNets, torchvision's
        /// ResNets and MobileNetV2): N(0, 2 / fan_out), fan_out = out_channels · KH · KW as PyTorch computes it
        /// (groups do not enter).
        case kaimingNormalFanOut
        /// N(0, 2 / (KH·KW·out_channels)) (the WRN definition; the same values as `kaimingNormalFanOut`).
        case wideResNet
    }

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true, initializer: Initializer = .pytorchDefault, context: Context,
                generator: inout SplitMix64) throws {
        guard groups > 0, inChannels % groups == 0, outChannels % groups == 0, kernelSize > 0 else {
            throw TensorError.invalidShape(op: "Conv2d", shape: [outChannels, inChannels, kernelSize, kernelSize],
                                           expected: "channel counts divisible by groups (\(groups)) and a positive kernel size")
        }
        let perGroup = inChannels / groups
        let count = outChannels * perGroup * kernelSize * kernelSize
        let fanIn = perGroup * kernelSize * kernelSize
        let values: [Float]
        switch initializer {
        case .pytorchDefault: values = Initialization.pytorchDefault(count: count, fanIn: fanIn, using: &generator)
        case .kaimingNormalFanOut, .wideResNet:
            // PyTorch's fan_out is out_channels · KH · KW, for a grouped (depthwise) conv too, as the WRN formula.
            let fanOut = outChannels * kernelSize * kernelSize
            values = Initialization.kaimingNormalFanOut(count: count, fanOut: fanOut, using: &generator)
        }
        weight = try Tensor(values, shape: [outChannels, perGroup, kernelSize, kernelSize], context: context, requiresGrad: true)
        if bias {
            let initial = initializer == .pytorchDefault
                ? Initialization.pytorchDefault(count: outChannels, fanIn: fanIn, using: &generator)
                : [Float](repeating: 0, count: outChannels)
            self.bias = try Tensor(initial, shape: [outChannels], context: context, requiresGrad: true)
        } else {
            self.bias = nil
        }
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public var entries: [ModuleEntry] {
        [.parameter("weight", weight)] + (bias.map { [.parameter("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let (weight, bias) = try forwardWeights()
        return try input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
