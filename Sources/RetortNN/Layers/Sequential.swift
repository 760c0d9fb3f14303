import Retort

/// Runs its children in order; they are named "0", "1", … as in PyTorch's `nn.Sequential`.
public final class Sequential: Module {
    public let layers: [any Module]
    public var isTraining = true

    public init(_ layers: [any Module]) { self.layers = layers }

    public var entries: [ModuleEntry] { layers.enumerated().map { .child("\($0.offset)", $0.element) } }

    /// Runs the children in order (a `BatchNorm2d` directly followed by a `ReLU` as one fused op).
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try layers.output(for: input) }

    /// Runs the children on `input` in order, then `activation` on the result: fused into the last
    /// child when it is a `BatchNorm2d`, else applied after it.
    public func callAsFunction(_ input: Tensor, activation: Tensor.Activation) throws -> Tensor {
        guard activation == .relu else { return try callAsFunction(input) }
        guard let norm = layers.last as? BatchNorm2d else { return try callAsFunction(input).relu() }
        return try norm(layers.dropLast().output(for: input), activation: .relu)
    }
}

extension Collection where Element == any Module {
    /// The modules applied in order to `input`. A `BatchNorm2d` directly followed by a `ReLU` runs as
    /// one op (``BatchNorm2d/callAsFunction(_:activation:)``): the same values in fewer passes.
    func output(for input: Tensor) throws -> Tensor {
        var x = input
        var index = startIndex
        while index != endIndex {
            let next = self.index(after: index)
            if let norm = self[index] as? BatchNorm2d, next != endIndex, self[next] is ReLU {
                x = try norm(x, activation: .relu)
                index = self.index(after: next)
            } else {
                x = try self[index](x)
                index = next
            }
        }
        return x
    }
}
