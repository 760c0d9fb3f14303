import RetortCompute
import RetortDistributed

// Synchronized batch norm (PyTorch's SyncBatchNorm): training-mode batch norm whose statistics are
// those of the global batch, the rows of every data-parallel rank together.
//   x, y: [N_r, C, H, W] (this rank's rows); weight, bias, runningMean, runningVariance: [C]
//
// Each half of the op is two dispatches with a host round trip in between (submit, read [2C]
// values, all-reduce, write [2C] values, continue recording):
//
// Forward. Rank r has n_r = N_r·H·W values per channel, mean m_r and biased variance v_r. The
// ranks all-reduce, in Double, [n_r, n_r·m_r, n_r·(v_r + m_r²)] per channel: the count n = Σ n_r,
// Σ x and Σ x², exactly combinable by a sum whatever each rank's shift was. The global mean is
// Σx / n, the biased variance Σx²/n − mean²; every rank normalizes with them and updates its
// running statistics with them (the unbiased variance with n), so the running statistics agree.
//
// Backward, and why the gradients come out equal to one process's. Data-parallel training (see
// RetortDistill's DataParallel) runs on each rank the loss L_r of its own rows, each a mean over
// the rank's rows, and sums the parameter gradients weighted by the rank's share w_r = n_r / n, so
// the single-process loss is L = Σ_r w_r·L_r and the upstream gradient a rank sees is
// dy_r = ∂L_r/∂y = ∂L/∂y / w_r (for every row of that rank). One process's backward is, per channel,
//   dx = γ·invstd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n)            (Σ over all n values of the global batch)
//   dγ = Σ dy·x̂,   dβ = Σ dy.
// The sums over the global batch in L's scale are S = Σ_r w_r·(Σ over rank r of dy_r), all-reduced
// from each rank's share-weighted local sums. Rank r's input gradient, in its own scale (the scale
// every later gradient of its backward is in, before the weighted sum), is dx / w_r:
//   dx_r = γ·invstd·(dy_r − (S_1/w_r)/n − x̂·(S_2/w_r)/n),
// which is what the combined dispatch computes from the uploaded S/w_r and the global count n.
// dγ and dβ stay local (Σ over rank r's rows of dy_r·x̂ and dy_r): the trainer's weighted sum
// Σ_r w_r·dγ_r = Σ over all rows of ∂L/∂y·x̂ gives one process's dγ. With equal shards (w_r = 1/N)
// this is PyTorch's SyncBatchNorm under DDP's average; with an uneven last batch it stays exact
// where PyTorch's average would not be.

extension Tensor {
    /// Training-mode batch norm with the statistics of the global batch of `group`'s ranks (see the
    /// comment at the top of this file); every rank must call it for the same layer in the same order.
    func synchronizedBatchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, momentum: Float,
                               epsilon: Float, relu: Bool, group: any ProcessGroup, kernel: BatchNormLauncher) throws -> Tensor {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let local = n * h * w
        let y = try Tensor.empty(shape: shape, context: context)
        let mean = try Tensor.empty(shape: [c], context: context), invstd = try Tensor.empty(shape: [c], context: context)
        let statistics = try Tensor.empty(shape: [2 * c], context: context)
        func forward(_ phase: BatchNormLauncher.Phase) throws {
            try kernel.encodeTrainingForward(into: context.stream, input: buffer, weight: weight.buffer, bias: bias.buffer,
                                             runningMean: runningMean.buffer, runningVariance: runningVariance.buffer, output: y.buffer,
                                             savedMean: mean.buffer, savedInvstd: invstd.buffer, batch: n, channels: c, height: h, width: w,
                                             epsilon: epsilon, momentum: momentum, relu: relu, phase: phase)
        }
        try forward(.local(statistics.buffer))
        let moments = try statistics.toArray()
        var sums = [Double](repeating: 0, count: 3 * c)
        for channel in 0..<c {
            let channelMean = Double(moments[channel]), variance = Double(moments[c + channel])
            sums[channel] = Double(local)
            sums[c + channel] = Double(local) * channelMean
            sums[2 * c + channel] = Double(local) * (variance + channelMean * channelMean)
        }
        try group.allReduce(&sums, .sum)
        let total = sums[0]
        guard total > 1, total < Double(1 << 24) else {
            throw TensorError.invalidShape(op: "synchronized batchNorm", shape: shape,
                                           expected: "between 2 and 2²⁴ values per channel over all ranks, not \(total)")
        }
        var combined = [Float](repeating: 0, count: 2 * c)
        for channel in 0..<c {
            let globalMean = sums[c + channel] / total
            combined[channel] = Float(globalMean)
            combined[c + channel] = Float(max(sums[2 * c + channel] / total - globalMean * globalMean, 0))
        }
        try statistics.buffer.write(combined)   // nothing is in flight: reading the moments ran the stream
        try forward(.combined(statistics.buffer, count: Int(total)))
        let share = Double(local) / total
        return y.recorded(from: [self, weight, bias]) { [self] g in
            let dx = try Tensor.empty(shape: g.shape, context: g.context)
            let dWeight = try Tensor.empty(shape: [c], context: g.context), dBias = try Tensor.empty(shape: [c], context: g.context)
            let gradientSums = try Tensor.empty(shape: [2 * c], context: g.context)
            func backward(_ phase: BatchNormLauncher.Phase) throws {
                try kernel.encodeBackward(into: g.context.stream, outputGradient: g.buffer, input: buffer,
                                          reluOutput: relu ? y.buffer : nil, savedMean: mean.buffer, savedInvstd: invstd.buffer,
                                          weight: weight.buffer, inputGradient: dx.buffer, weightGradient: dWeight.buffer,
                                          biasGradient: dBias.buffer, batch: n, channels: c, height: h, width: w, phase: phase)
            }
            try backward(.local(gradientSums.buffer))
            let sumDy = try dBias.toArray(), sumDyXhat = try dWeight.toArray()
            var reduced = (sumDy + sumDyXhat).map { share * Double($0) }
            try group.allReduce(&reduced, .sum)
            try gradientSums.buffer.write(reduced.map { Float($0 / share) })
            try backward(.combined(gradientSums.buffer, count: Int(total)))
            return [dx, dWeight, dBias]
        }
    }
}
