import Retort

/// Zipf's label smoothing (Liang et al., megvii-research, ECCV 2022), a one-pass self-distillation
/// term: the non-target classes are pulled towards a Zipf distribution over the network's own
/// ranking of them.
///
/// With labels `t` and a per-class score `s` (the ranking signal, a constant):
/// ```
/// rank[i, c] = rankdata(−s_i, method='min')[c]          (1 = best; ties share the smallest rank)
/// dist[i, c] = rank^−power / Σ_{c' ≠ t} rank^−power,   dist[i, t] = 0
/// L = mean_i Σ_{j ≠ t} dist[i, j] · (log dist[i, j] − log_softmax(z_i over the non-target classes)_j)
/// ```
/// The score is, in **dense** mode (the reference's README commands, `--dense`, our default), the
/// votes of the final feature map: the classifier is applied at every position of the map that
/// global pooling reads (``FeatureTaps/pooledMap``; ×2 bilinear-upsampled first with `upsampled`,
/// the reference's `--upsample bilinear`) and `s[i, c]` counts the positions whose arg-max is `c`
/// (many classes tie, at 0 votes). Otherwise it is the logits `z` themselves. Dense mode needs a
/// network that pools its last map (every zoo model but the plain CNNs) and the step's
/// ``DistillationStep/model``.
///
/// With `masksIncorrect` (the reference's `--mask`) only samples whose logits' arg-max is their label
/// count: `L = Σ_i correct_i · L_i / Σ_i correct_i`, and 0 when none is correct. The caller adds
/// cross-entropy (reference weight λ = 0.1 on this term for CIFAR-100). Source: Zipf's LS
/// `pytorch_zipfls/losses.py` (`gen_pdf` with `rank='hard'`, `distribution='rank_zipf'`; `kl_loss`)
/// and `train_methods.py` (`get_dense_info`).
///
/// On the device: the votes come from two kernels (``ZipfVotesLauncher``) around the classifier, the
/// targets from one (``Retort/Tensor/zipfTargets(labels:power:)``).
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
    /// Rank by the per-position votes of the final feature map (the reference's `--dense`) instead of
    /// the logits.
    public var dense: Bool
    /// In dense mode, upsample the map ×2 (bilinear) before voting (the reference's `--upsample bilinear`).
    public var upsampled: Bool

    public init(power: Float = 1, masksIncorrect: Bool = false, dense: Bool = true, upsampled: Bool = true) {
        self.power = power
        self.masksIncorrect = masksIncorrect
        self.dense = dense
        self.upsampled = upsampled
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
            // The ranking signal gives the distribution; the mask always comes from the logits' arg-max.
            let ranked = try (dense ? votes(step) : logits.detached()).zipfTargets(labels: step.labels, power: power)  // [B, C], [B]
            let distribution = ranked.distribution
            let correct = !dense || !masksIncorrect ? ranked.correct
                : try logits.detached().zipfTargets(labels: step.labels, power: power).correct
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

    /// The dense ranking signal `[B, C]`: per class, the positions of the final feature map where the
    /// classifier's arg-max is that class.
    public func votes(_ step: DistillationStep) throws -> Tensor {
        guard let map = step.student.pooledMap else {
            throw DistillationError.invalidConfiguration("zipf: dense votes need a network that pools its last feature map; "
                                                         + "the plain CNNs flatten it: give --zipf-dense false")
        }
        guard let model = step.model else {
            throw DistillationError.invalidConfiguration("zipf: dense votes apply the student's classifier, but the step carries no model")
        }
        return try step.context.noGrad {
            let rows = try map.detached().zipfVotePositions(upsampled: upsampled)        // [B·P, D]
            return try model.logits(fromPooled: rows).zipfVotes(samples: step.batchSize)  // [B, C]
        }
    }
}

extension ZipfLabelSmoothing: RegisteredMethod {
    /// `--method zipf`: Zipf LS λ 0.1 (CIFAR), power 1, dense votes on the ×2 upsampled map.
    public static let distillationMethod = DistillationMethod(
        name: "zipf", kind: .selfDistillation, order: 20, summary: "Zipf label smoothing from the network's own ranking (self)",
        lossWeight: 0.1, options: [.number("zipf-power", default: 1, help: "power of the Zipf distribution"),
                                   .boolean("zipf-dense", default: true,
                                            help: "rank by the classifier's votes over the final feature map (false: by the logits)"),
                                   .boolean("zipf-upsample", default: true, help: "upsample the map ×2 (bilinear) before voting"),
                                   .boolean("zipf-mask", default: false, help: "apply the term to correctly classified samples only")]
    ) { setup, options in
        guard setup.studentPoolsItsMap || !options.flag("zipf-dense") else {
            throw DistillationError.invalidConfiguration("zipf: dense votes (--zipf-dense true, the default) need a network that pools "
                                                         + "its last feature map; the plain CNNs flatten it: give --zipf-dense false")
        }
        return ZipfLabelSmoothing(power: options.float("zipf-power"), masksIncorrect: options.flag("zipf-mask"),
                           dense: options.flag("zipf-dense"), upsampled: options.flag("zipf-upsample"))
    }
}

extension DistillationMethod {
    /// Zipf label smoothing (``ZipfLabelSmoothing``).
    public static let zipf = ZipfLabelSmoothing.distillationMethod
}
