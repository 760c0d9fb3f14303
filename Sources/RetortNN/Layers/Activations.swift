import Retort

/// `max(x, 0)` (PyTorch's `nn.ReLU`).
public final class ReLU: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.relu() }
}

/// Passes its input through (PyTorch's `nn.Identity`).
public final class Identity: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { input }
}

/// Flattens every dimension after the batch (PyTorch's `nn.Flatten()`).
public final class Flatten: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.flattened(from: 1) }
}
