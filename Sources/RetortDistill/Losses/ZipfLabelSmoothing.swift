import Retort

/// Zipf's label smoothing (Liang et al., megvii-research, ECCV 2022), a one-pass self-distillation
/// term: the non-target classes are pulled towards a Zipf distribution over the network's own
/// ranking of them.
///
/// With the student's logits `z` (their detached copy is the ranking signal) and labels `t`:
/// ```
/// rank[i, c] = rankdata(−z_i, method='min')[c]          (1 = best; ties share the smallest rank)
/// dist[i, c] = rank^−power / Σ_{c' ≠ t} rank^−power,   dist[i, t] = 0
/// L = mean_i Σ_{j ≠ t} dist[i, j] · (log dist[i, j] − log_softmax(z_i over the non-target classes)_j)
/// ```
/// With `masksIncorrect` (the reference's `--mask`) only samples whose arg-max is their label count:
/// `L = Σ_i correct_i · L_i / Σ_i correct_i`, and 0 when none is correct. The caller adds
/// cross-entropy (reference weight λ = 0.1 on this term for CIFAR-100). Source: Zipf's LS
/// `pytorch_zipfls/losses.py` (`gen_pdf` with `rank='hard'`, `distribution='rank_zipf'`; `kl_loss`).
/// This is the non-dense mode (the reference's README runs use `--dense`, which ranks by per-position
/// arg-max votes of the final feature map instead of the logits).
///
/// On the device: the targets come from one kernel (``Retort/Tensor/zipfTargets(labels:power:)``).
/// The softmax over the C − 1 non-target classes is `log_softmax(z − 1e9·onehot)`: the target's
/// exponential is exactly 0 in fp32, so the non-target columns equal the reference's reduced
/// softmax, and the target column (finite, about −1e9) is multiplied by `dist = 0` exactly, so it
/// contributes exactly 0 to the value and to the gradient. `log dist` is taken as
/// `log(dist + onehot)` (0 at the target instead of −∞).
public struct ZipfLabelSmoothing: DistillationLoss {
    /// The Zipf exponent: rank k weighs `k^−power` (1 in the reference, `rank_zipf`).
    public var power: Float
    /// Apply the term only to correctly classified samples (the reference's `--mask`, off by default).
    public var masksIncorrect: Bool

    public init(power: Float = 1, masksIncorrect: Bool = false) {
        self.power = power
        self.masksIncorrect = masksIncorrect
    }

    public var name: String { "zipf" }
    public var teacherCount: ClosedRange<Int> { 0...0 }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let logits = step.student.logits                                                 // z: [B, C]
        let context = step.context
        guard logits.shape.count == 2, logits.shape[1] >= 2, logits.shape[0] == step.labels.count else {
            throw DistillationError.invalidConfiguration("zipf: needs [B, C] logits with C ≥ 2 and one label per row, got \(logits.shape).")
        }
        let classes = logits.shape[1]
        let (distribution, correct, logDistribution, excluded) = try context.noGrad {
            let (distribution, correct) = try logits.detached().zipfTargets(labels: step.labels, power: power)  // [B, C], [B]
            let targetMask = try Tensor.oneHot(step.labels, classes: classes, context: context)          // [B, C]
            let excluded = try Tensor.oneHot(step.labels, classes: classes, on: -1e9, context: context)  // [B, C]
            return (distribution, correct, try (distribution + targetMask).log(), excluded)
        }
        let logProbabilities = try (logits + excluded).logSoftmax()                                 // [B, C], non-target softmax
        let rows = try (distribution * (logDistribution - logProbabilities)).sum(alongAxis: 1)      // [B]
        guard masksIncorrect else { return try rows.mean() }
        let inverseCount = try context.noGrad {
            try (correct.sum() + Tensor.full(1e-30, shape: [1], context: context)).reciprocal()     // 1 / Σ correct; 0/1e-30 = 0 when none
        }
        return try (rows * correct).sum() * inverseCount
    }
}

extension ZipfLabelSmoothing: RegisteredMethod {
    /// `--method zipf`: Zipf LS λ 0.1 (CIFAR), power 1.
    public static let distillationMethod = DistillationMethod(
        name: "zipf", kind: .selfDistillation, order: 20, summary: "Zipf label smoothing from the network's own ranking (self)",
        lossWeight: 0.1, options: [.number("zipf-power", default: 1, help: "power of the Zipf distribution")]
    ) { _, options in
        ZipfLabelSmoothing(power: options.float("zipf-power"))
    }
}

extension DistillationMethod {
    /// Zipf label smoothing (``ZipfLabelSmoothing``).
    public static let zipf = ZipfLabelSmoothing.distillationMethod
}
