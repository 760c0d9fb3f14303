import Retort

/// Global unstructured selection, as `torch.nn.utils.prune.global_unstructured`: all masked
/// weights compete in one ranking by score, lowest pruned first.
///
/// Counts follow PyTorch's `_compute_nparams_toprune`: `round(amount × n)` (Swift's `.rounded()`,
/// half away from zero; PyTorch's `round` is half to even — they differ only when `amount × n`
/// ends in exactly .5). Equal scores are broken deterministically: the earlier weight in ``names``
/// order, then the lower flat index, is pruned first (`torch.topk` leaves that order unspecified).
/// Pruned weights stay pruned: they are not ranked again.
extension PruningMasks {
    /// Prunes the `count` lowest-scored weights among those still kept.
    /// - Parameter scores: one score per weight of every mask (same names, same counts).
    public func pruning(count: Int, scores: [String: [Float]]) throws(PruningError) -> PruningMasks {
        var candidates: [(score: Float, layer: Int, index: Int)] = []
        candidates.reserveCapacity(totalCount - prunedCount)
        for (layer, name) in names.enumerated() {
            let mask = values[name] ?? []
            guard let score = scores[name] else { throw .scoresMismatch("no scores for '\(name)'") }
            guard score.count == mask.count else {
                throw .scoresMismatch("'\(name)' has \(mask.count) weights but \(score.count) scores")
            }
            for index in mask.indices where mask[index] != 0 {
                guard !score[index].isNaN else { throw .nonFiniteScore(name: name, index: index) }
                candidates.append((score[index], layer, index))
            }
        }
        if let stray = scores.keys.sorted().first(where: { values[$0] == nil }) {
            throw .scoresMismatch("scores for '\(stray)', which has no mask")
        }
        let pruned = min(max(count, 0), candidates.count)
        candidates.sort { ($0.score, $0.layer, $0.index) < ($1.score, $1.layer, $1.index) }
        var result = self
        for candidate in candidates.prefix(pruned) { result.values[names[candidate.layer]]![candidate.index] = 0 }
        return result
    }

    /// Prunes until exactly `round(sparsity × total)` of the masked weights are pruned (one-shot
    /// pruning: `global_unstructured(amount=sparsity)` on fresh masks).
    public func pruning(sparsity: Double, scores: [String: [Float]]) throws(PruningError) -> PruningMasks {
        guard sparsity > 0, sparsity < 1 else { throw .invalidFraction(name: "sparsity", value: sparsity) }
        let target = Int((sparsity * Double(totalCount)).rounded())
        guard target >= prunedCount else { throw .sparsityBelowCurrent(target: target, alreadyPruned: prunedCount) }
        return try pruning(count: target - prunedCount, scores: scores)
    }

    /// Prunes `round(rate × remaining)` of the weights still kept (one round of iterative pruning:
    /// `global_unstructured(amount=rate)` on masked modules, which PyTorch's `PruningContainer`
    /// applies to the unpruned weights only). After k rounds from fresh masks the sparsity is
    /// `1 − (1 − rate)^k` up to rounding.
    public func pruning(rate: Double, scores: [String: [Float]]) throws(PruningError) -> PruningMasks {
        guard rate > 0, rate < 1 else { throw .invalidFraction(name: "rate", value: rate) }
        let remaining = totalCount - prunedCount
        return try pruning(count: Int((rate * Double(remaining)).rounded()), scores: scores)
    }

    /// `|w|` of every masked weight of `model` (L1Unstructured's importance), read from the device.
    public func magnitudeScores(of model: any Module) throws -> [String: [Float]] {
        let parameters = try maskedParameters(of: model)
        var scores: [String: [Float]] = [:]
        for name in names { scores[name] = try parameters[name]!.toArray().map(abs) }
        return scores
    }

    /// A uniform random score per masked weight from `seed` (RandomUnstructured's importance).
    public func randomScores(seed: UInt64) -> [String: [Float]] {
        var generator = SplitMix64(seed: seed)
        var scores: [String: [Float]] = [:]
        for name in names { scores[name] = generator.floats(values[name]?.count ?? 0, in: 0...1) }
        return scores
    }
}
