import Retort
import RetortCompute

// Memory-bank ops of contrastive distillation (CRD), on a bank M: [N, D] of constant rows.
//   v.dotProducts(withRowsOf: M, at: idx):  v: [B, D], idx: [B, J] → s: [B, J], s[i, j] = M[idx[i, j]] · v[i]
//                                           dv[i] = Σ_j ds[i, j] · M[idx[i, j]]   (M gets no gradient)
//   s.nceLoss(normalizer: Z, …):            s: [B, J] → [1]; the score gradient is computed in the forward
//   M.updateRows(at:toward:momentum:):       M[idx[i]] ← normalize(m · M[idx[i]] + (1 − m) · v[i]), in place

extension Tensor {
    /// `out[i, j] = memory[indices[i, j]] · self[i]` for anchors `self: [B, D]`, a memory bank
    /// `memory: [N, D]` and `indices: [B, J]`, read straight from the bank (the gathered rows are
    /// never materialized). Gradients flow to the anchors only: the bank's rows are constants, and a
    /// bank that requires a gradient is refused.
    public func dotProducts(withRowsOf memory: Tensor, at indices: RowIndices) throws -> Tensor {
        let op = "dotProducts(withRowsOf:at:)"
        guard context === memory.context, context === indices.context else { throw TensorError.contextMismatch(op: op) }
        guard shape.count == 2, memory.shape.count == 2, memory.shape[1] == shape[1] else {
            throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: memory.shape)
        }
        guard indices.rows == shape[0] else {
            throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: [indices.rows, indices.columns])
        }
        guard indices.upperBound <= memory.shape[0] else {
            throw TensorError.invalidShape(op: op, shape: memory.shape,
                                           expected: "at least \(indices.upperBound) rows (the largest index is \(indices.upperBound - 1))")
        }
        guard !memory.requiresGrad else {
            throw TensorError.invalidBackward("\(op): the memory bank is a constant of the scores; give one that requires no gradient")
        }
        let (rows, columns, dimension, bankRows) = (shape[0], indices.columns, shape[1], memory.shape[0])
        let kernels = try context.launcher(ContrastiveMemoryLauncher.self) { try ContrastiveMemoryLauncher(device: $0) }
        let scores = try Tensor.empty(shape: [rows, columns], context: context)
        try kernels.encodeScores(into: context.stream, bank: memory.buffer, anchors: buffer, indices: indices.buffer, scores: scores.buffer,
                                 rows: rows, columns: columns, dimension: dimension, bankRows: bankRows)
        return scores.recorded(from: [self]) { [shape] g in
            let dv = try Tensor.empty(shape: shape, context: g.context)
            try kernels.encodeScoresBackward(into: g.context.stream, bank: memory.buffer, scoreGradient: g.buffer, indices: indices.buffer,
                                             anchorGradient: dv.buffer, rows: rows, columns: columns, dimension: dimension,
                                             bankRows: bankRows)
            return [dv]
        }
    }

    /// RepDistiller's NCE loss (`crd/criterion.py` `NCECriterion`) of contrastive scores
    /// `self: [B, J]` (column 0 the positive, columns 1… the `m = J − 1` negatives):
    /// with `x = exp(s / temperature) / Z`, `Pn = 1 / datasetSize`, `c = m·Pn + epsilon`,
    /// `L = −(1/B) Σ_i [log(x_i0 / (x_i0 + c)) + Σ_{j≥1} log(m·Pn / (x_ij + c))]`.
    /// `normalizer` is the `[1]` tensor `Z` (a constant: it gets no gradient). One fused kernel
    /// computes the value and the gradient with respect to the scores.
    public func nceLoss(normalizer: Tensor, temperature: Float, datasetSize: Int, epsilon: Float = 1e-7) throws -> Tensor {
        let op = "nceLoss"
        guard context === normalizer.context else { throw TensorError.contextMismatch(op: op) }
        guard shape.count == 2, shape[1] >= 2 else {
            throw TensorError.invalidShape(op: op, shape: shape,
                                           expected: "[B, J] scores with a positive and at least one negative per row")
        }
        guard normalizer.count == 1 else {
            throw TensorError.invalidShape(op: op, shape: normalizer.shape, expected: "a one-element normalizer")
        }
        guard datasetSize > 0 else {
            throw TensorError.invalidShape(op: op, shape: shape, expected: "a positive dataset size, got \(datasetSize)")
        }
        let (rows, columns) = (shape[0], shape[1])
        let kernels = try context.launcher(ContrastiveMemoryLauncher.self) { try ContrastiveMemoryLauncher(device: $0) }
        let gradient = try Tensor.empty(shape: shape, context: context)
        let perRow = try Tensor.empty(shape: [rows], context: context)
        try kernels.encodeNCE(into: context.stream, scores: buffer, normalizer: normalizer.buffer, scoreGradient: gradient.buffer,
                              loss: perRow.buffer, rows: rows, columns: columns, temperature: temperature,
                              noise: Float(columns - 1) / Float(datasetSize), epsilon: epsilon, scale: 1 / Float(rows))
        return try Tensor.fusedLoss(rows: perRow, gradient: gradient, inputs: [self])
    }

    /// Moves rows of this memory bank `[N, D]` toward `values: [B, D]` in place and renormalizes
    /// them: `self[indices[i]] ← u / max(‖u‖₂, 1e-12)` with `u = momentum · self[indices[i]] +
    /// (1 − momentum) · values[i]` (RepDistiller `crd/memory.py`). The indices must be distinct. Not
    /// recorded; the bank must be a leaf that requires no gradient.
    public func updateRows(at indices: [Int], toward values: Tensor, momentum: Float) throws {
        let op = "updateRows(at:toward:momentum:)"
        guard context === values.context else { throw TensorError.contextMismatch(op: op) }
        guard shape.count == 2, values.shape.count == 2, values.shape[1] == shape[1], values.shape[0] == indices.count else {
            throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: values.shape)
        }
        guard isLeaf, !requiresGrad, values !== self else {
            throw TensorError.invalidBackward("\(op): a memory bank is updated in place: it must be a leaf that requires no gradient")
        }
        guard indices.allSatisfy({ (0..<shape[0]).contains($0) }), Set(indices).count == indices.count else {
            throw TensorError.invalidShape(op: op, shape: shape, expected: "\(indices.count) distinct row indices in 0..<\(shape[0])")
        }
        guard !indices.isEmpty else { return }
        let kernels = try context.launcher(ContrastiveMemoryLauncher.self) { try ContrastiveMemoryLauncher(device: $0) }
        let indexBuffer = try context.device.makeBuffer(indices.map { UInt32($0) })
        try kernels.encodeUpdate(into: context.stream, bank: buffer, values: values.buffer, indices: indexBuffer, rows: indices.count,
                                 dimension: shape[1], bankRows: shape[0], momentum: momentum)
    }
}
