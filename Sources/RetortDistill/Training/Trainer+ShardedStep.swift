import Foundation
import RetortData

extension Trainer {
    /// What one training step reports: the global batch's mean loss and correct count, the classes,
    /// and, for a sharded step, whether any rank asked to stop (then all stop after the same step;
    /// nil: ask ``shouldStop`` after the step).
    struct StepOutcome {
        var loss: Float
        var correct: Int
        var classes: Int
        var stops: Bool?
    }

    /// One step of `global` split into pieces: this rank's rows (data-parallel), each cut into
    /// ``ghostBatches`` ghost batches. Each piece runs forward and backward on its own (its own
    /// batch statistics); its gradients, weighted by its share of the global batch, are summed on the
    /// host, then over the ranks in one all-reduce; then the optimizer steps. Batch norm's running
    /// statistics are those the first ghost batch leaves, as data-parallel training keeps rank 0's. A piece's share of a
    /// mean loss is its row count over the batch's, so an uneven last batch averages as one process does.
    func shardedStep(_ global: Batch, epoch: Int, step: Int) throws -> StepOutcome {
        var readSeconds = 0.0
        let context = model.parameters()[0].context
        let (share, shareWeight) = dataParallel?.shard(global) ?? (global, 1)
        let ghosts = max(ghostBatches, 1)
        // Synchronized batch norms all-reduce in every forward: a rank without rows would leave the
        // others waiting. Every rank knows the global count, so all refuse together.
        if let dataParallel, global.count < dataParallel.group.size, !dataParallel.replicatesBatches, model.synchronizedBatchNormCount > 0 {
            throw TrainingError.batchSmallerThanRanks(epoch: epoch, step: step, rows: global.count, ranks: dataParallel.group.size)
        }
        var gradients = FlatGradients(optimizer.groups.flatMap(\.parameters))
        var loss: Float = 0, correct = 0, classes = 0
        var inputs: [DistillationStep] = []
        // Running statistics as the first ghost batch leaves them (as DDP keeps rank 0's).
        var kept: (buffers: [[Float]], counters: [Int64])?
        for ghost in 0..<ghosts {
            let rows = ghost * share.count / ghosts..<(ghost + 1) * share.count / ghosts
            guard !rows.isEmpty else { continue }
            let piece = ghosts == 1 ? share : share.rows(rows)
            // This piece's share of the global batch (exact for even splits: 1, 1/2, 1/4 …).
            let weight = ghosts == 1 ? shareWeight : shareWeight * Float(rows.count) / Float(share.count)
            try optimizer.zeroGrad()
            let x = try Tensor(piece.images, shape: piece.shape, context: context)
            let student = try model.features(x, precision: precision)
            let teacherTaps = try context.noGrad { try teachers.map { try $0.features(x, precision: precision) } }
            // A sum-reduced term (`--kd-reduction sum`) is not a mean over the rows: undo the weight.
            let stepInputs = DistillationStep(student: student, teachers: teacherTaps, labels: piece.labels, indices: piece.indices,
                                              epoch: epoch, sumScale: 1 / weight, model: model)
            let value = try objective.loss(stepInputs)
            try value.backward(seed: lossScaler?.scale ?? 1)  // unscaled below, once the pieces are summed
            let pieceCorrect = try student.logits.topKCorrect(labels: piece.labels, k: 1)
            loss += try value.item() * weight
            correct += try pieceCorrect.value()
            classes = student.logits.shape[1]
            let reading = Date()
            try gradients.add(weight: weight)
            readSeconds += Date().timeIntervalSince(reading)
            inputs.append(stepInputs)
            if ghosts > 1, kept == nil {
                kept = (try model.namedBuffers().map { try $0.tensor.toArray() }, model.namedIntegerBuffers().map(\.counter.value))
            }
        }
        if let kept {
            for ((_, tensor), values) in zip(model.namedBuffers(), kept.buffers) { try tensor.assign(values) }
            for ((_, counter), value) in zip(model.namedIntegerBuffers(), kept.counters) { counter.value = value }
        }
        var extras = [loss, Float(correct), shouldStop() ? 1 : 0]
        if let dataParallel {
            extras = try dataParallel.allReduce(&gradients, extras: extras, readSeconds: readSeconds)
        } else {
            try gradients.write()
        }
        guard extras[0].isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, value: extras[0]) }
        // Every rank holds the same summed gradients, so all skip (or step) together.
        if try LossScaler.unscale(optimizer.groups.flatMap(\.parameters), scaler: &lossScaler) {
            try optimizer.step()
            for stepInputs in inputs { try context.noGrad { try objective.update(after: stepInputs) } }
        }
        // Replicated batches count every sample once per rank.
        let copies = Float(dataParallel?.replicatesBatches == true ? dataParallel?.group.size ?? 1 : 1)
        return StepOutcome(loss: extras[0], correct: Int(extras[1] / copies), classes: classes, stops: extras[2] > 0)
    }
}
