import Retort

/// Flattens every dimension after the batch (PyTorch's `nn.Flatten()`).
public final class Flatten: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.flattened(from: 1) }
}
