// Softmax and log-softmax over rows.
//   input, output, gradients: [rows, columns]

/// Softmax and log-softmax over the rows of a `[rows, columns]` matrix, with temperature, and their
/// backward passes, for use as standalone autograd ops.
///
/// Forward: `y = softmax(x / T)` or `y = log_softmax(x / T)` (max-subtracted: finite for logits of
/// any magnitude). Backward, from the forward output `y` and its gradient `dy`:
/// softmax `dx = y ⊙ (dy − Σ_c dy ⊙ y) / T`; log-softmax `dx = (dy − exp(y) · Σ_c dy) / T`.
public struct SoftmaxLauncher: Sendable {

    /// The push constants of `softmax.comp`.
    ///
    /// - `rows`: rows
    /// - `cols`: columns (classes)
    /// - `invT`: 1 / temperature
    /// - `mode`: 0 softmax, 1 log-softmax
    public struct Push: PushConstants {
        public static let count = 4
        public var rows, cols: Int
        public var invT: Float
        public var mode: UInt32

        public var values: [ShaderValue] { [.count(rows), .count(cols), .float(invT), .uint(mode)] }
    }

    /// The push constants of `softmax_backward.comp`.
    ///
    /// - `rows`: rows
    /// - `cols`: columns (classes)
    /// - `invT`: 1 / temperature
    /// - `mode`: 0 softmax, 1 log-softmax
    /// - `flags`: bit 0: accumulate into the input gradient
    public struct BackwardPush: PushConstants {
        public static let count = 5
        public var rows, cols: Int
        public var invT: Float
        public var mode: UInt32
        public var flags: Int

        public var values: [ShaderValue] { [.count(rows), .count(cols), .float(invT), .uint(mode), .count(flags)] }
    }
    /// Which function of the row the forward computes.
    public enum Variant: Sendable, Hashable {
        /// `softmax(x / T)`: probabilities.
        case softmax
        /// `log_softmax(x / T)`: log-probabilities.
        case logSoftmax
    }

    /// How rows map onto invocations.
    public let mapping: SoftmaxRowMapping
    private let forwardKernels: SoftmaxKernelPair
    private let backwardKernels: SoftmaxKernelPair

    /// Builds the kernels for `mapping` (by default the one preferred for `device`).
    public init(device: Device, mapping: SoftmaxRowMapping? = nil) throws {
        let mapping = mapping ?? .preferred(for: device)
        self.mapping = mapping
        forwardKernels = try SoftmaxKernelPair(device: device, shader: .softmax, bindings: { [.texel($0), .storage(.write)] },
                                               pushConstants: Push.self, mapping: mapping)
        backwardKernels = try SoftmaxKernelPair(device: device, shader: .softmaxBackward,
                                                bindings: { [.texel($0), .texel($0), .storage(.readWrite)] },
                                                pushConstants: BackwardPush.self, mapping: mapping)
    }

    /// Records `output = variant(input / temperature)` row by row; both are `[rows, columns]`.
    public func encode(into stream: CommandStream, input: Buffer, output: Buffer, rows: Int, columns: Int,
                       temperature: Float = 1, variant: Variant = .softmax) throws {
        let name = "Softmax"
        try SoftmaxShape.validate(name, rows: rows, columns: columns, buffers: [
            ("input", input, columns), ("output", output, columns),
        ])
        try SoftmaxShape.validate(name, temperature: temperature)
        try stream.dispatch(forwardKernels.kernel(columns: columns), [input, output],
                            push: Push(rows: rows, cols: columns, invT: 1 / temperature, mode: variant == .softmax ? 0 : 1),
                            groups: mapping.groups(rows: rows))
    }

    /// Records the gradient with respect to the forward input, from the forward `output` and its
    /// gradient `outputGradient`; all three are `[rows, columns]`. `temperature` and `variant` must be
    /// the forward's. With `accumulate`, adds into `inputGradient` instead of overwriting it.
    public func encodeBackward(into stream: CommandStream, output: Buffer, outputGradient: Buffer, inputGradient: Buffer,
                               rows: Int, columns: Int, temperature: Float = 1, variant: Variant = .softmax,
                               accumulate: Bool = false) throws {
        let name = "Softmax backward"
        try SoftmaxShape.validate(name, rows: rows, columns: columns, buffers: [
            ("output", output, columns), ("output gradient", outputGradient, columns),
            ("input gradient", inputGradient, columns),
        ])
        try SoftmaxShape.validate(name, temperature: temperature)
        try stream.dispatch(backwardKernels.kernel(columns: columns), [output, outputGradient, inputGradient],
                            push: BackwardPush(rows: rows, cols: columns, invT: 1 / temperature, mode: variant == .softmax ? 0 : 1,
                                               flags: accumulate ? 1 : 0),
                            groups: mapping.groups(rows: rows))
    }
}
