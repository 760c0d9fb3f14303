import Retort

/// Passes its input through (PyTorch's `nn.Identity`).
public final class Identity: Module {
    public var isTraining = true
    public init() {}
    public var entries: [ModuleEntry] { [] }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { input }
}
