import Retort
import RetortCompute

// Zipf label-smoothing targets: a constant distribution over the non-target classes, ranked by
// the scores (Zipf's LS ranks the network's own logits).
//   scores, distribution: [B, C];  labels: B class indices;  correct: [B] (1 where argmax == label)

extension Tensor {
    /// The Zipf prior of each row over its non-target classes, `rank^−power` normalised to sum to 1
    /// with exactly 0 at the label, where `rank = 1 + #{classes with a strictly larger score}` (ties
    /// share the smallest rank, as scipy's `rankdata(−score, method: "min")`); and a `[B]` mask that
    /// is 1 where `argmax(score) == label` (first maximum wins). Both are constants (no gradient).
    public func zipfTargets(labels: [Int], power: Float = 1) throws -> (distribution: Tensor, correct: Tensor) {
        let labelBuffer = try uploadLabels(labels, op: "zipfTargets", minimumClasses: 2,
                                           expected: "[B, C] scores with C ≥ 2 and B = \(labels.count) labels")
        let classes = shape[1]
        let kernel = try context.launcher(ZipfTargetsLauncher.self) { try ZipfTargetsLauncher(device: $0) }
        let distribution = try Tensor.empty(shape: shape, context: context)
        let correct = try Tensor.empty(shape: [shape[0]], context: context)
        try kernel.encode(into: context.stream, scores: buffer, labels: labelBuffer, distribution: distribution.buffer,
                          correct: correct.buffer, rows: shape[0], classes: classes, power: power)
        return (distribution, correct)
    }
}
