import RetortCompute

// Matrix product and its backward.
//   a: [M, K], b: [K, N] → c: [M, N]
//   da = dc · bᵀ  ([M, N]·[N, K]),  db = aᵀ · dc  ([K, M]·[M, N])
//   all in one precision: fp16/bf16 under autocast (the operands are cast to it), else fp32

extension Tensor {
    /// The matrix product of two 2-D tensors. Inside ``Context/autocast(_:_:)`` with fp16 or bf16 both are
    /// cast to that precision (fp32 sums, 16-bit result and gradients).
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard context === other.context else { throw TensorError.contextMismatch(op: "matmul") }
        let precision = Tensor.matrixPrecision(of: [self, other])
        if self.precision != precision || other.precision != precision {
            return try cast(to: precision).matmul(other.cast(to: precision))
        }
        guard shape.count == 2, other.shape.count == 2, shape[1] == other.shape[0] else {
            throw TensorError.shapeMismatch(op: "matmul", lhs: shape, rhs: other.shape)
        }
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        let c = try Tensor.gemm(self, other, m: m, n: n, k: k)
        context.countFLOPs(2 * Double(m * n * k))
        return c.recorded(from: [self, other]) { [self] outputGradient in
            let g = try outputGradient.cast(to: precision)
            return [try Tensor.gemm(g, other, m: m, n: k, k: n, transposeB: true),
                    try Tensor.gemm(self, g, m: k, n: n, k: m, transposeA: true)]
        }
    }

    /// `op(a) · op(b)` into a new [m, n] tensor of their precision (both have it), not recorded.
    static func gemm(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let context = a.context
        let gemm = try context.launcher(MatMulLauncher.self) { try MatMulLauncher(device: $0) }
        let c = try Tensor.empty(shape: [m, n], context: context, precision: a.precision)
        try gemm.encode(into: context.stream, a: a.buffer, b: b.buffer, c: c.buffer,
                        shape: MatMulLauncher.Shape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB),
                        precision: a.precision)
        return c
    }
}
