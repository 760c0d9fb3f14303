import Retort

/// `max(x, 0)` (PyTorch's `nn.ReLU`).
public final class ReLU: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.relu() }
}
