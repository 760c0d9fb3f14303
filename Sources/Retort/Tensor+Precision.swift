import RetortCheckpoint
import RetortCompute

// Mixed precision: 16-bit tensors, the cast between precisions (forward and backward side by side), and
// the host-side conversions.
//   x: [any] (precision p) → y: [same shape] (precision q); dx = cast(dy, to: p)

extension Tensor {
    /// The same values in `precision` (rounded to nearest even when narrowing); `self` when it already is.
    /// The gradient flows back cast to this tensor's precision, as PyTorch's `x.to(dtype)`.
    public func cast(to target: Precision) throws -> Tensor {
        guard target != precision else { return self }
        guard !precision.isReduced || !target.isReduced else { return try cast(to: .float32).cast(to: target) }
        let y = try Tensor.empty(shape: shape, context: context, precision: target)
        let launcher = try context.launcher(CastLauncher.self) { CastLauncher(device: $0) }
        if target.isReduced {
            try launcher.encodeNarrow(into: context.stream, input: buffer, output: y.buffer, count: max(1, count), precision: target)
        } else {
            try launcher.encodeWiden(into: context.stream, input: buffer, output: y.buffer, count: max(1, count), precision: precision)
        }
        let source = precision
        return y.recorded(from: [self]) { g in [try g.cast(to: source)] }
    }

    /// This tensor in fp32: what the ops without 16-bit kernels (and autocast's fp32 ops: softmax,
    /// cross-entropy, KL, reductions) compute on.
    public func float32() throws -> Tensor { try cast(to: .float32) }

    /// Both operands in fp32 when either is 16-bit (how a two-operand op without 16-bit kernels runs
    /// under mixed precision); nil when both already are fp32.
    func fp32Operands(_ other: Tensor) throws -> (Tensor, Tensor)? {
        guard precision.isReduced || other.precision.isReduced else { return nil }
        return (try float32(), try other.float32())
    }

    /// `self` cast to the context's ``Context/autocastPrecision`` (what the matrix ops compute in under
    /// ``Context/autocast(_:_:)``).
    package func autocast() throws -> Tensor { try cast(to: context.autocastPrecision) }
}

extension Precision {
    /// 16-bit words of this precision as `Float`s.
    package func widen(_ words: [UInt16]) -> [Float] {
        self == .float16 ? words.map(ReducedPrecision.float(fromFloat16:)) : words.map(ReducedPrecision.float(fromBFloat16:))
    }

    /// `Float`s rounded to 16-bit words of this precision (nearest even; NaN stays NaN).
    package func narrow(_ values: [Float]) -> [UInt16] {
        self == .float16 ? values.map(ReducedPrecision.float16(from:)) : values.map(ReducedPrecision.bfloat16(from:))
    }

    /// `value` as this precision stores it (the rounding a 16-bit kernel applies on store).
    package func rounded(_ value: Float) -> Float {
        switch self {
        case .float32: return value
        case .float16: return ReducedPrecision.float(fromFloat16: ReducedPrecision.float16(from: value))
        case .bfloat16: return ReducedPrecision.float(fromBFloat16: ReducedPrecision.bfloat16(from: value))
        }
    }
}

extension Tensor {
    /// In place, not recorded: `x ← factor · x` (an fp32 tensor; how gradients are unscaled).
    public func scaleInPlace(by factor: Float) throws {
        guard precision == .float32 else { throw TensorError.invalidShape(op: "scaleInPlace", shape: shape, expected: "an fp32 tensor") }
        let launcher = try context.launcher(CastLauncher.self) { CastLauncher(device: $0) }
        try launcher.encodeNarrow(into: context.stream, input: buffer, output: buffer, count: max(1, count), precision: .float32,
                                  scale: factor)
    }

    /// A one-element tensor that is 0 when every value of `tensors` is finite and NaN otherwise
    /// (Σ x·0: an infinity or a NaN anywhere makes it NaN), recorded but not run.
    public static func nonFiniteFlag(_ tensors: [Tensor], context: Context) throws -> Tensor {
        try context.noGrad {
            try tensors.reduce(try Tensor.zeros(shape: [1], context: context)) { flag, tensor in
                try flag + tensor.float32().scaled(by: 0).sum()
            }
        }
    }
}
