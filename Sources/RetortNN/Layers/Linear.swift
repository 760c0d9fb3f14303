import Retort

/// `y = x · weightᵀ + bias` (PyTorch's `nn.Linear`, same parameter names and default init).
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    /// - Parameters: `inputs`/`outputs` features; `generator` seeds the initial values.
    public init(_ inputs: Int, _ outputs: Int, bias: Bool = true, context: Context, generator: inout SplitMix64) throws {
        weight = try Tensor(Initialization.pytorchDefault(count: outputs * inputs, fanIn: inputs, using: &generator),
                            shape: [outputs, inputs], context: context, requiresGrad: true)
        self.bias = bias ? try Tensor(Initialization.pytorchDefault(count: outputs, fanIn: inputs, using: &generator),
                                      shape: [outputs], context: context, requiresGrad: true) : nil
    }

    public var entries: [ModuleEntry] {
        [.parameter("weight", weight)] + (bias.map { [.parameter("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.linear(weight: weight, bias: bias)
    }
}
