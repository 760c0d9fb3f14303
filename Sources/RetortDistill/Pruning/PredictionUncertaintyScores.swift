import Foundation
import RetortData
import RetortNN

/// PrUE's pruning criterion — Pruning with Prediction-Uncertainty Enlargement (Wang et al.,
/// ECML-PKDD 2022; reference `pruner.py::prue`): prune the weights whose removal changes least
/// how far each sample's target-class probability sits from its class's mean.
///
/// 1. ``classMeanProbabilities(of:on:classes:epoch:)``: `p̄[c]` = the mean over training samples of
///    class `c` of `softmax(f(x))[c]` (no tape, evaluation mode).
/// 2. ``scores(of:masks:on:classMeans:epoch:)``: over one pass of a loader sorted by label (no
///    shuffling; the training augmentation still applied; batch 500 in the reference), evaluation
///    mode, the gradients of `L = Σ_i |p̄[y_i] − softmax(f(x_i))[y_i]|` accumulate over the whole
///    pass; a weight's score is `|∂L/∂mask|` = `|Σ_batches grad ⊙ w|` (with `w_eff = w ⊙ mask` at
///    mask = 1, and `w` fixed through the pass, this is `|grad_total ⊙ w|`).
/// 3. Global selection of the lowest scores (``PruningMasks/pruning(sparsity:scores:)``); the
///    reference prunes `score ≤ kthvalue(int(sparsity · n))`, this prunes exactly
///    `round(sparsity · n)` with ties broken by position.
///
/// The reference's `torch.norm` of a scalar is its absolute value; here each batch's per-sample
/// differences are read back and `L = Σ_i sign(d_i) · d_i` is differentiated, which has the same
/// value and gradient (`sign(0) = 0`, as the subgradient PyTorch uses at 0).
public enum PredictionUncertainty {
    /// The mean target-class probability of each class over `source`: `[classes]`, 0 for a class
    /// with no sample. Runs in evaluation mode without a tape; restores the model's mode.
    /// - Parameter epoch: which epoch's batches to draw (its augmentation).
    public static func classMeanProbabilities(of model: any Classifier, on source: any BatchSource, classes: Int,
                                              epoch: Int = 0) throws -> [Double] {
        let context = model.parameters()[0].context
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var sums = [Double](repeating: 0, count: classes), counts = [Int](repeating: 0, count: classes)
        for batch in try source.epochBatches(epoch) {
            let probabilities = try context.noGrad { () throws -> [Float] in
                try targetProbabilities(model, batch, classes: classes, context: context).toArray()
            }
            for (label, probability) in zip(batch.labels, probabilities) {
                sums[label] += Double(probability)
                counts[label] += 1
            }
        }
        return zip(sums, counts).map { $1 == 0 ? 0 : $0 / Double($1) }
    }

    /// What the scoring pass returns: one score per masked weight, and the objective's value.
    public struct Scores {
        /// `|Σ ∂L/∂mask|` by parameter name, one per element of each mask.
        public var values: [String: [Float]]
        /// `L = Σ_i |p̄[y_i] − p_i[y_i]|` over the pass (a sum over samples, as the reference's
        /// per-batch sums).
        public var objective: Double
    }

    /// Accumulates `∂L/∂w` over one pass of `source` in evaluation mode and returns
    /// `|grad ⊙ w|` for every weight the masks cover (pruned positions included; selection skips
    /// them). Every parameter's gradient is zeroed before and after.
    /// - Parameters:
    ///   - classMeans: `p̄` from ``classMeanProbabilities(of:on:classes:epoch:)``.
    ///   - epoch: which epoch's batches to draw (1 by default, so the scoring pass sees fresh
    ///     augmentations as the reference's second pass over its loader does).
    public static func scores(of model: any Classifier, masks: PruningMasks, on source: any BatchSource, classMeans: [Double],
                              epoch: Int = 1) throws -> Scores {
        let parameters = try masks.maskedParameters(of: model)
        let context = model.parameters()[0].context
        for name in masks.names where !parameters[name]!.requiresGrad {
            throw PruningError.scoringFailed("'\(name)' does not collect gradients (a frozen model?); unfreeze it to score it")
        }
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        for parameter in model.parameters() { try parameter.zeroGrad() }
        let classes = classMeans.count
        var objective = 0.0
        for batch in try source.epochBatches(epoch) {
            let target = try targetProbabilities(model, batch, classes: classes, context: context)          // p_i[y_i]: [B]
            let means = try Tensor(batch.labels.map { Float(classMeans[$0]) }, shape: [batch.count], context: context)  // p̄[y_i]: [B]
            let difference = try means - target                                                              // d_i: [B]
            let values = try difference.toArray()
            let signs = try Tensor(values.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, shape: [batch.count], context: context)
            let loss = try (difference * signs).sum()                                                         // Σ_i |d_i|
            objective += values.reduce(0.0) { $0 + Double(abs($1)) }
            try loss.backward()
        }
        var scores: [String: [Float]] = [:]
        for name in masks.names {
            let weight = parameters[name]!
            guard let gradient = weight.grad else {
                throw PruningError.scoringFailed("'\(name)' got no gradient from the PrUE objective")
            }
            scores[name] = try (gradient * weight).toArray().map(abs)
        }
        for parameter in model.parameters() { try parameter.zeroGrad() }
        return Scores(values: scores, objective: objective)
    }

    /// `softmax(f(x))[y]` of every sample of `batch`: `[B]` (recorded when the tape is on).
    private static func targetProbabilities(_ model: any Classifier, _ batch: Batch, classes: Int, context: Context) throws -> Tensor {
        let logits = try model(Tensor(batch.images, shape: batch.shape, context: context))                   // z: [B, C]
        guard logits.shape == [batch.count, classes] else {
            throw PruningError.scoringFailed("the model gives logits \(logits.shape) for \(batch.count) samples of \(classes) classes")
        }
        let onehot = try Tensor.oneHot(batch.labels, classes: classes, context: context)                     // [B, C]
        return try (logits.softmax() * onehot).sum(alongAxis: 1)                                             // [B]
    }
}
