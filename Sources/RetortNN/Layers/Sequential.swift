import Retort

/// Runs its children in order; they are named "0", "1", … as in PyTorch's `nn.Sequential`.
public final class Sequential: Module {
    public let layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }

    public var entries: [ModuleEntry] { layers.enumerated().map { .child("\($0.offset)", $0.element) } }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try layers.reduce(input) { try $1($0) }
    }
}
