import Retort

/// A 2-D pooling layer's window (kernel size, stride, zero padding) and the op it slides: the common
/// part of ``MaxPool2d`` and ``AvgPool2d``.
public class Pool2d: Module {
    public let kernel: Int, stride: Int, padding: Int
    public var isTraining = true
    private let pool: (_ input: Tensor, _ kernel: Int, _ stride: Int, _ padding: Int) throws -> Tensor

    /// - Parameter stride: the kernel size when nil, as PyTorch's default.
    init(kernel: Int, stride: Int?, padding: Int, pool: @escaping (Tensor, Int, Int, Int) throws -> Tensor) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.pool = pool
    }

    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try pool(input, kernel, stride, padding) }
}

/// Max pooling (PyTorch's `nn.MaxPool2d`, floor mode).
public final class MaxPool2d: Pool2d {
    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        super.init(kernel: kernel, stride: stride, padding: padding) { try $0.maxPool2d(kernel: $1, stride: $2, padding: $3) }
    }
}

/// Average pooling (PyTorch's `nn.AvgPool2d`, padding counted in the divisor).
public final class AvgPool2d: Pool2d {
    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        super.init(kernel: kernel, stride: stride, padding: padding) { try $0.avgPool2d(kernel: $1, stride: $2, padding: $3) }
    }
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
