import RetortCompute

/// CPU oracle of `MatMulLauncher`, in Double.
public enum MatMulOracle {
    /// C = alpha · op(A) · op(B) + beta · C0 + bias for every batch entry of `shape` (or their sum when
    /// `shape.sumOverBatch`), with the launcher's strides.
    public static func gemm(_ a: [Float], _ b: [Float], _ c0: [Float], _ shape: MatMulLauncher.Shape, alpha: Double = 1, beta: Double = 0,
                            rowBias: [Float]? = nil, columnBias: [Float]? = nil) -> [Double] {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let (strideA, strideB, strideC) = (shape.strideA ?? m * k, shape.strideB ?? k * n, shape.sumOverBatch ? 0 : shape.strideC ?? m * n)
        var c = [Double](repeating: 0, count: (shape.batch - 1) * strideC + m * n)
        for (index, value) in c0.enumerated() where index < c.count { c[index] = Double(value) }
        for entry in 0..<shape.batch {
            let offsetA = entry * strideA, offsetB = entry * strideB, offsetC = entry * strideC
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k {
                        let x = shape.transposeA ? a[offsetA + p * m + i] : a[offsetA + i * k + p]
                        let y = shape.transposeB ? b[offsetB + j * k + p] : b[offsetB + p * n + j]
                        sum += Double(x) * Double(y)
                    }
                    if shape.sumOverBatch {
                        // Bias and beta apply once, after the last entry.
                        c[i * n + j] += alpha * sum - (entry == 0 ? (1 - beta) * c[i * n + j] : 0)
                        if entry == shape.batch - 1 {
                            if let rowBias { c[i * n + j] += Double(rowBias[i]) }
                            if let columnBias { c[i * n + j] += Double(columnBias[j]) }
                        }
                        continue
                    }
                    var value = alpha * sum + (beta == 0 ? 0 : beta * c[offsetC + i * n + j])
                    if let rowBias { value += Double(rowBias[i]) }
                    if let columnBias { value += Double(columnBias[j]) }
                    c[offsetC + i * n + j] = value
                }
            }
        }
        return c
    }
}
