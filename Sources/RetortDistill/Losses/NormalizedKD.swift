import Retort

/// Normalized KD (Yang et al., ICCV 2023 "From Knowledge Distillation to Self-Knowledge
/// Distillation"), as `cls_KD` (branch 1.0) `mmcls/models/dis_losses/nkd.py` computes it. With the
/// label `t` of each row, `p_t = softmax(z_t)` and `s = log_softmax(z_s)` (no temperature here):
///
///     L_target = −(1/B) Σ_i p_t[i,t] · s[i,t]
///     L_non    = −γ·τ²·(1/B) Σ_i Σ_{j≠t} softmax(z̃_t[i]/τ)_j · log_softmax(z̃_s[i]/τ)_j
///     L        = L_target + L_non
///
/// where `z̃` drops the label's column. `L_non` is a soft cross-entropy, not a KL divergence: it
/// includes the teacher's non-target entropy. The method's own cross-entropy with the labels is
/// added by the caller. Dropping the column is done by pushing the label's logit `maskOffset`
/// below the rest (after /τ), whose softmax weight is then exactly 0 in Float32. Defaults are the
/// class defaults (ImageNet): τ = 1, γ = 1.5; the CIFAR-100 config uses τ = 3, γ = 3.5.
public struct NormalizedKD: DistillationLoss {
    /// τ, applied to the non-target term only.
    public var temperature: Float
    /// γ, the weight of the non-target term.
    public var gamma: Float

    /// How far below the other logits (after the division by τ) the label's logit is pushed.
    static let maskOffset: Float = 1000

    public init(temperature: Float = 1, gamma: Float = 1.5) {
        self.temperature = temperature
        self.gamma = gamma
    }

    public var name: String { "nkd" }

    public func loss(_ step: DistillationStep) throws -> Tensor {
        let teacher = try step.teacher(for: name).logits.detached()  // [B, C], a constant
        let student = step.student.logits                             // [B, C]
        let context = step.context
        let (rows, classes) = (step.batchSize, step.classes)
        let gt = try Tensor.oneHot(step.labels, classes: classes, context: context)
        let mask = try Tensor.oneHot(step.labels, classes: classes, on: Self.maskOffset * temperature, context: context)

        // Teacher weights, constants: p_t at each label (0 elsewhere), and the non-target distribution.
        let (targetWeights, nonTarget) = try context.noGrad {
            (try teacher.softmax() * gt, try (teacher - mask).softmax(temperature: temperature))  // [B, C] each
        }
        let target = try (student.logSoftmax() * targetWeights).sum().scaled(by: -1 / Float(rows))
        // The masked column has weight 0, so its (finite) log-probability adds nothing.
        let nonTargetLog = try (student - mask).logSoftmax(temperature: temperature)  // [B, C]
        let non = try (nonTargetLog * nonTarget).sum().scaled(by: -gamma * temperature * temperature / Float(rows))
        return try target + non
    }
}

extension NormalizedKD: RegisteredMethod {
    /// `--loss nkd`: the NKD paper's recipe (T 1, γ 1.5).
    public static let distillationMethod = DistillationMethod(
        name: "nkd", kind: .offline, order: 30, summary: "normalized KD: target + γ·τ²·non-target soft CE", temperature: 1,
        options: [.number("nkd-gamma", default: 1.5, help: "weight of the non-target term")]
    ) { _, options in
        NormalizedKD(temperature: options.temperature, gamma: options.float("nkd-gamma"))
    }
}

extension DistillationMethod {
    /// Normalized KD (``NormalizedKD``).
    public static let nkd = NormalizedKD.distillationMethod
}
