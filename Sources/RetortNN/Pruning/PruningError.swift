/// Why pruning masks cannot be built, applied or loaded; each message says what to change.
public enum PruningError: Error, Equatable, CustomStringConvertible {
    /// A target sparsity or per-round rate outside (0, 1).
    case invalidFraction(name: String, value: Double)
    /// The scores do not cover the masks exactly (a missing name or a wrong element count).
    case scoresMismatch(String)
    /// A scoring criterion could not score the weights (no gradient reached them, bad logits).
    case scoringFailed(String)
    /// Mask values that do not fit their shape or are not 0 and 1.
    case invalidMask(String)
    /// A score is NaN: no order can be chosen.
    case nonFiniteScore(name: String, index: Int)
    /// The target sparsity is below what the masks already prune (pruned weights stay pruned).
    case sparsityBelowCurrent(target: Int, alreadyPruned: Int)
    /// Masks and model disagree: masks naming no parameter of the model, or of another shape.
    case modelMismatch(source: String?, problems: [String])
    /// A masks file that is not a masks file (a key without `_mask`, a non-float tensor, a value
    /// other than 0 and 1).
    case invalidMasksFile(source: String, reason: String)

    public var description: String {
        switch self {
        case .invalidFraction(let name, let value):
            return "\(name) must be a fraction strictly between 0 and 1, got \(value)"
        case .scoresMismatch(let message):
            return "pruning scores do not match the masks: \(message)"
        case .scoringFailed(let message):
            return "cannot score the weights for pruning: \(message)"
        case .invalidMask(let message):
            return "invalid pruning mask: \(message)"
        case .nonFiniteScore(let name, let index):
            return "the pruning score of \(name)[\(index)] is NaN; check the model's weights and gradients"
        case .sparsityBelowCurrent(let target, let alreadyPruned):
            return "the masks already prune \(alreadyPruned) weights, more than the \(target) the target sparsity asks for; "
                + "pruned weights stay pruned, so ask for a higher sparsity"
        case .modelMismatch(let source, let problems):
            return "pruning masks\(source.map { " '\($0)'" } ?? "") do not match the model:\n"
                + problems.map { "  \($0)" }.joined(separator: "\n")
        case .invalidMasksFile(let source, let reason):
            return "'\(source)' is not a pruning masks file: \(reason)"
        }
    }
}
