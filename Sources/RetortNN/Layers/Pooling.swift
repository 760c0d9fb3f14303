import Retort

/// Max pooling (PyTorch's `nn.MaxPool2d`, floor mode).
public final class MaxPool2d: Module {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.maxPool2d(kernel: kernel, stride: stride, padding: padding) }
}

/// Average pooling (PyTorch's `nn.AvgPool2d`, padding counted in the divisor).
public final class AvgPool2d: Module {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.avgPool2d(kernel: kernel, stride: stride, padding: padding) }
}

/// `AdaptiveAvgPool2d(1)`: the mean of each channel, [N, C, H, W] → [N, C, 1, 1].
public final class AdaptiveAvgPool2d: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.globalAvgPool2d().reshaped([input.shape[0], input.shape[1], 1, 1])
    }
}
